using System.Diagnostics.Metrics;

namespace Altinn.Events.Stages.Outbound;

/// <summary>
/// The outbound stage's OpenTelemetry metrics (meter <c>Altinn.Events.Outbound</c>): deliveries by outcome, push latency,
/// pushes in flight, and, from the scheduler's periodic count in PostgreSQL, open endpoints and waiting deliveries.
/// </summary>
internal sealed class OutboundMetrics : IDisposable
{
    public const string MeterName = "Altinn.Events.Outbound";

    private readonly Meter _meter;
    private readonly Counter<long> _deliveries;
    private readonly Histogram<double> _duration;
    private long _openEndpoints;
    private long _waiting;

    public OutboundMetrics(IMeterFactory meters, EndpointLimiter limiter)
    {
        _meter = meters.Create(MeterName);
        _deliveries = _meter.CreateCounter<long>("altinn.events.outbound.deliveries", "{delivery}", "Deliveries by outcome: delivered, retry, failed, gone, gaveup, skipped, parked.");
        _duration = _meter.CreateHistogram<double>("altinn.events.outbound.push.duration", "s", "How long an endpoint took to answer a push (or to time out).");
        _meter.CreateObservableGauge("altinn.events.outbound.pushes.in_flight", () => limiter.InFlight, "{push}", "Pushes in flight in this process.");
        _meter.CreateObservableGauge("altinn.events.outbound.endpoints.open", () => Volatile.Read(ref _openEndpoints), "{endpoint}", "Endpoints that are open (not pushed to but for probes).");
        _meter.CreateObservableGauge("altinn.events.outbound.deliveries.waiting", () => Volatile.Read(ref _waiting), "{delivery}", "Deliveries waiting for a retry or on their endpoint.");
    }

    public void Count(string outcome, long count)
    {
        if (count > 0)
        {
            _deliveries.Add(count, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    public void Pushed(TimeSpan duration, bool success) =>
        _duration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("success", success));

    public void Observe(long openEndpoints, long waiting)
    {
        Volatile.Write(ref _openEndpoints, openEndpoints);
        Volatile.Write(ref _waiting, waiting);
    }

    public void Dispose() => _meter.Dispose();
}
