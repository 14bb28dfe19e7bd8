using System.Globalization;
using System.Text;

namespace Altinn.Events.Chaos;

/// <summary>
/// The figures of one run and its verdict. Fails when an acknowledged event is lost from the store or never pushed,
/// when the API answered 500, when an event could not be published at all, or (full mode) when the duplicate pushes
/// reach 1 % of the events or PostgreSQL or Azurite was never killed.
/// </summary>
internal sealed class ChaosReport(
    ChaosSettings settings,
    int seed,
    Publisher publisher,
    Receiver receiver,
    Monkey monkey,
    StoreResult store,
    TimeSpan publishStart,
    TimeSpan publishEnd,
    bool drained,
    IReadOnlyList<Service> services)
{
    public List<string> Failures { get; } = [];

    public string Write()
    {
        var acknowledged = publisher.Acknowledged;
        var ours = receiver.Pushes.Where(p => acknowledged.ContainsKey(p.EventId) || publisher.GaveUp.Contains(p.EventId)).ToList();
        var lost = acknowledged.Keys.Count(id => !store.Stored.ContainsKey(id));
        var storedTwice = store.Stored.Count(s => s.Value > 1);
        var notDelivered = acknowledged.Keys.Count(id => !receiver.FirstPush.ContainsKey(id));
        var byEvent = ours.GroupBy(p => p.EventId).ToList();
        var duplicates = ours.Count - byEvent.Count;
        var sameWebhookId = byEvent.Sum(g => g.Count() - g.Select(p => p.WebhookId).Distinct().Count());
        var duplicateShare = acknowledged.Count == 0 ? 0 : (double)duplicates / acknowledged.Count;
        var latencies = acknowledged.Where(a => receiver.FirstPush.ContainsKey(a.Key))
            .Select(a => (receiver.FirstPush[a.Key] - a.Value).TotalSeconds).Order().ToArray();
        var lastFirstPush = acknowledged.Keys.Where(receiver.FirstPush.ContainsKey).Select(id => receiver.FirstPush[id]).DefaultIfEmpty(publishEnd).Max();
        var drain = lastFirstPush - publishEnd;
        var answers = publisher.Answers;
        var fiveHundreds = answers.Where(a => a.Key.Length == 3 && a.Key[0] == '5').ToList();
        var count500 = answers.GetValueOrDefault("500");
        var count503 = answers.GetValueOrDefault("503");

        if (lost > 0)
        {
            Failures.Add($"{lost:N0} acknowledged events are not in the events table");
        }

        if (notDelivered > 0)
        {
            Failures.Add($"{notDelivered:N0} acknowledged events were never pushed within {settings.DrainTimeout.TotalSeconds:F0} s");
        }

        if (count500 > 0)
        {
            Failures.Add($"the API answered 500 {count500:N0} times");
        }

        if (publisher.GaveUp.Count > 0)
        {
            Failures.Add($"{publisher.GaveUp.Count:N0} events were never acknowledged (retried until the give-up time)");
        }

        if (!settings.Short && settings.Mode == ChaosMode.Kill && duplicateShare >= 0.01)
        {
            Failures.Add($"duplicate pushes are {duplicateShare:P2} of the events (the limit is 1 %)");
        }

        if (settings.Mode == ChaosMode.Kill)
        {
            foreach (var target in settings.MustKill.Where(t => monkey.Count(t, "kill -9") == 0))
            {
                Failures.Add($"{Monkey.Name(target)} was never killed");
            }
        }

        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        Line($"## Chaos check: {settings.ModeName} ({(Failures.Count == 0 ? "PASSED" : "FAILED")})");
        Line("");
        Line($"- Commit: {settings.Commit}; seed {seed}; {settings.Events:N0} events at {settings.Concurrency} concurrent"
            + (settings.Rate > 0 ? $", paced at {settings.Rate:F0}/s" : "")
            + (settings.Mode == ChaosMode.Kill ? $", a kill every ~{settings.KillEvery.TotalSeconds:F0} s" : ""));
        Line($"- Published for {(publishEnd - publishStart).TotalSeconds:F1} s; {publisher.Attempts:N0} requests");
        Line("");
        Line("| Figure | Value |");
        Line("|---|---|");
        Line($"| acknowledged | {acknowledged.Count:N0} of {settings.Events:N0}{(publisher.GaveUp.Count > 0 ? $" ({publisher.GaveUp.Count:N0} given up)" : "")} |");
        Line($"| lost from the store (acknowledged, not in `events`) | {lost:N0} |");
        Line($"| stored more than once | {storedTwice:N0} |");
        Line($"| not delivered (acknowledged, never pushed) | {notDelivered:N0} |");
        Line($"| duplicate pushes (beyond the first per event) | {duplicates:N0} ({Percent(duplicateShare)} of events){(duplicates > 0 ? $"; {sameWebhookId:N0} repeated a webhook-id, {duplicates - sameWebhookId:N0} had a new one" : "")} |");
        Line($"| drain time (end of publishing -> last first push) | {(drained ? Seconds(Math.Max(0, drain.TotalSeconds)) : $"not drained within {settings.DrainTimeout.TotalSeconds:F0} s")} |");
        Line($"| publish -> first push p50 / p99 / max | {Seconds(Percentile(latencies, 50))} / {Seconds(Percentile(latencies, 99))} / {Seconds(latencies.DefaultIfEmpty(double.NaN).Last())} |");
        Line($"| API answers | {string.Join(", ", answers.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}: {a.Value:N0}"))} |");
        Line($"| 5xx answers | {(fiveHundreds.Count == 0 ? "none" : string.Join(", ", fiveHundreds.Select(a => $"{a.Key}: {a.Value:N0}")))}{(count503 > 0 ? $" ({publisher.RetryAfter503:N0} of the 503s had Retry-After)" : "")} |");
        foreach (var service in services)
        {
            var kills = monkey.Count(service.Target, "kill -9");
            var exits = monkey.Count(service.Target, "exited by itself");
            Line($"| {Monkey.Name(service.Target)} | {kills} kill -9, {exits} exited by itself, {service.Starts} starts |");
        }

        foreach (var outage in monkey.Incidents.Where(i => i.What.StartsWith("outage", StringComparison.Ordinal)))
        {
            Line($"| outage | {Monkey.Name(outage.Target)} {outage.What} at {Monkey.Clock(outage.At - publishStart)} of publishing, back after {outage.DownFor.TotalSeconds:F0} s |");
        }

        if (settings.Mode == ChaosMode.Outage && settings.OutageTarget == Target.Pdp)
        {
            Line($"| fake PDP | {receiver.PdpCalls:N0} calls, {receiver.PdpRefused:N0} answered 503 |");
        }

        if (count500 > 0)
        {
            Line("");
            Line($"Causes of the 500s (unhandled exceptions in {ApiLog}):");
            foreach (var (cause, count) in UnhandledExceptions())
            {
                Line($"- {count:N0} x {cause}");
            }
        }

        Line("");
        Line("Store and queues at the end:");
        Line($"- subscription deliveries by status: {Join(store.Deliveries)}; recorded delivered twice in delivery_attempts: {store.DeliveredTwice:N0}; outbox rows: {store.OutboxRows:N0}");
        Line($"- queues (approximate messages): {Join(store.Queues)}");
        if (store.NotDeliveredByState.Count > 0)
        {
            Line($"- not delivered, by state: {Join(store.NotDeliveredByState)}");
            foreach (var sample in store.NotDeliveredSamples)
            {
                Line($"  - {sample}");
            }
        }

        foreach (var sample in store.PoisonSamples)
        {
            Line($"- poison: {sample}");
        }

        foreach (var error in store.Errors)
        {
            Line($"- check error: {error}");
        }

        var pushedUnacknowledged = receiver.FirstPush.Keys.Count(publisher.GaveUp.Contains);
        if (pushedUnacknowledged > 0)
        {
            Line($"- {pushedUnacknowledged:N0} events never acknowledged were stored and pushed anyway");
        }

        Line("");
        Line("Timeline (t = since the check started; publishing from " + Monkey.Clock(publishStart) + " to " + Monkey.Clock(publishEnd) + "):");
        foreach (var incident in monkey.Incidents)
        {
            Line($"- {Monkey.Clock(incident.At)} {incident.What}: {Monkey.Name(incident.Target)}, back after {incident.DownFor.TotalSeconds:F1} s");
        }

        Line("");
        if (Failures.Count == 0)
        {
            Line("Verdict: PASSED");
        }
        else
        {
            Line("Verdict: FAILED");
            foreach (var failure in Failures)
            {
                Line($"- {failure}");
            }
        }

        if (duplicateShare >= 0.01)
        {
            Line($"!! DUPLICATES: {duplicates:N0} duplicate pushes = {Percent(duplicateShare)} of events (>= 1 %)");
        }

        return text.ToString();
    }

    private string ApiLog => services.First(s => s.Target == Target.Api).LogFile;

    /// <summary>The API's unhandled exceptions by type and the start of the message (the ExceptionHandlerMiddleware's lines).</summary>
    private IEnumerable<(string Cause, int Count)> UnhandledExceptions()
    {
        const string Marker = "An unhandled exception has occurred while executing the request. ";
        try
        {
            return [.. File.ReadLines(ApiLog)
                .Select(line => line.IndexOf(Marker, StringComparison.Ordinal) is var at and >= 0 ? line[(at + Marker.Length)..] : null)
                .OfType<string>()
                .Select(cause => cause.Length > 140 ? cause[..140] : cause)
                .GroupBy(cause => cause, StringComparer.Ordinal)
                .OrderByDescending(g => g.Count())
                .Take(5)
                .Select(g => (g.Key, g.Count()))];
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static string Join<T>(IReadOnlyDictionary<string, T> values) =>
        values.Count == 0 ? "none" : string.Join(", ", values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key} {v.Value:N0}")));

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Seconds(double value) => double.IsNaN(value) ? "n/a" : value.ToString("F1", CultureInfo.InvariantCulture) + " s";

    private static string Percent(double share) => (share * 100).ToString("F2", CultureInfo.InvariantCulture) + " %";
}
