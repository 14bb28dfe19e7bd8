using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;

namespace Altinn.Events.Benchmarks;

/// <summary>
/// The flood (issue 15, <c>scripts/bench.sh --flood</c>): <see cref="BenchSettings.FloodConcurrency"/> clients publish
/// maximum-size requests as fast as they are answered, first single events of just under 64 KB,
/// then batches of 100 of them (6.2 MB each). The API's RSS is sampled every 100 ms; every answer is counted by status; afterwards every
/// acknowledged event must be stored and no event of a refused request may be.
/// </summary>
internal sealed class Flood(BenchSettings settings, HttpClient client)
{
    // An event of at most Publishing:MaxEventBytes (65 536): the skeleton is about 330 bytes.
    private const int DataChars = 65_000;
    private const int BatchSize = 100;

    public sealed record Phase(string Name, long RequestBytes, Dictionary<string, long> Statuses, Latencies Accepted, Latencies Refused, double PeakRssMb, double Seconds, long EventsAcknowledged, long AcknowledgedStored, long RefusedStored);

    public async Task<(double IdleRssMb, List<Phase> Phases, double HwmMb)> RunAsync(CancellationToken cancellationToken)
    {
        var idle = Rss("VmRSS:");
        var phases = new List<Phase>
        {
            await PhaseAsync("single events of 64 KB", batch: false, cancellationToken),
            await PhaseAsync("batches of 100 events of 64 KB", batch: true, cancellationToken),
        };
        return (idle, phases, Rss("VmHWM:"));
    }

    private async Task<Phase> PhaseAsync(string name, bool batch, CancellationToken cancellationToken)
    {
        var statuses = new ConcurrentDictionary<string, long>();
        var accepted = new Latencies();
        var refused = new Latencies();
        var acknowledged = new ConcurrentBag<string>();
        var refusedIds = new ConcurrentBag<string>();
        var peak = 0.0;
        using var stop = new CancellationTokenSource(settings.FloodDuration);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, cancellationToken);
        var sampler = Task.Run(async () =>
        {
            while (!linked.IsCancellationRequested)
            {
                peak = Math.Max(peak, Rss("VmRSS:"));
                await Task.Delay(100, CancellationToken.None);
            }
        }, CancellationToken.None);

        var data = new string('d', DataChars);
        var phase = batch ? 'b' : 's';
        var count = batch ? BatchSize : 1;
        var clock = Stopwatch.StartNew();
        long requestBytes = 0;
        var workers = Enumerable.Range(0, settings.FloodConcurrency).Select(worker => Task.Run(async () =>
        {
            // One body per client, its ids rewritten in place for every request (fixed width), so the load generator
            // holds one maximum-size body per client and no more.
            var events = Enumerable.Range(0, count).Select(i => Event(Id(phase, worker, 0, i), data));
            var body = Encoding.UTF8.GetBytes(batch ? "[" + string.Join(',', events) + "]" : events.First());
            var marker = Encoding.UTF8.GetBytes(Id(phase, worker, 0, 0)[..11]);
            var offsets = new List<int>();
            for (var from = 0; body.AsSpan(from).IndexOf(marker) is var found and >= 0; from += found + 1)
            {
                offsets.Add(from + found);
            }

            Interlocked.Exchange(ref requestBytes, body.Length);
            for (var n = 0; !linked.IsCancellationRequested; n++)
            {
                var digits = Encoding.ASCII.GetBytes(n.ToString("D9", CultureInfo.InvariantCulture));
                foreach (var at in offsets)
                {
                    digits.CopyTo(body, at + 11);
                }

                var ids = Enumerable.Range(0, count).Select(i => Id(phase, worker, n, i)).ToArray();
                using var request = new HttpRequestMessage(HttpMethod.Post, settings.ApiUrl + "/events") { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(batch ? "application/cloudevents-batch+json" : "application/cloudevents+json");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.PublishToken);
                var started = clock.Elapsed;
                string status;
                try
                {
                    using var response = await client.SendAsync(request, CancellationToken.None);
                    status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                    var ms = (clock.Elapsed - started).TotalMilliseconds;
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        accepted.Add(ms);
                        foreach (var id in ids)
                        {
                            acknowledged.Add(id);
                        }
                    }
                    else
                    {
                        refused.Add(ms);
                        foreach (var id in ids)
                        {
                            refusedIds.Add(id);
                        }

                        if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests
                            && response.Headers.RetryAfter?.Delta is { } wait)
                        {
                            // A well-behaved client waits as told; the flood comes from their number, not from ignoring it.
                            await Task.Delay(wait, CancellationToken.None);
                        }
                    }
                }
                catch (HttpRequestException ex)
                {
                    status = "connection error: " + (ex.InnerException?.GetType().Name ?? ex.GetType().Name);
                    foreach (var id in ids)
                    {
                        refusedIds.Add(id);
                    }
                }

                statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
            }
        }, CancellationToken.None)).ToArray();

        await Task.WhenAll(workers);
        var seconds = clock.Elapsed.TotalSeconds;
        await linked.CancelAsync();
        await sampler;

        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        return new Phase(name, requestBytes, new Dictionary<string, long>(statuses), accepted, refused, peak, seconds, acknowledged.Count,
            await CountAsync(connection, [.. acknowledged], cancellationToken), await CountAsync(connection, [.. refusedIds], cancellationToken));
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, string[] ids, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM events WHERE id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", ids);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    // flood-b-07-000000042-099: phase, client, request number, entry.
    private static string Id(char phase, int worker, int n, int i) =>
        string.Create(CultureInfo.InvariantCulture, $"flood-{phase}-{worker:D2}-{n:D9}-{i:D3}");

    private static string Event(string id, string data) =>
        "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"source\":\"https://bench.example.com/flood\",\"type\":\"bench.flood\","
        + "\"resource\":\"" + Http.TestResource + "\",\"subject\":\"/party/50001\",\"time\":\"2026-01-01T12:00:00Z\",\"data\":\"" + data + "\"}";

    private double Rss(string field)
    {
        var status = $"/proc/{settings.ApiPid}/status";
        if (!File.Exists(status))
        {
            return double.NaN;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>The figures as Markdown, for <c>.data/bench-flood.md</c>; docs/benchmarks.md quotes them by hand.</summary>
    public static string Describe(BenchSettings settings, double idle, List<Phase> phases, double hwm)
    {
        var text = new StringBuilder();
        text.AppendLine("# Flood (scripts/bench.sh --flood)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, git {settings.Commit}; {settings.FloodConcurrency} concurrent clients, {settings.FloodDuration.TotalSeconds:F0} s per phase");
        text.AppendLine(CultureInfo.InvariantCulture, $"- API RSS before the flood: {idle:F0} MB; peak (VmHWM) over both phases: {hwm:F0} MB ({(hwm < 400 ? "under" : "OVER")} 400 MB)");
        text.AppendLine();
        text.AppendLine("| phase | request size | answers | 200 p50 / p99 | refusal p50 / p99 | peak RSS | events acknowledged / of them stored | events of refused requests stored |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var p in phases)
        {
            var answers = string.Join(", ", p.Statuses.OrderByDescending(s => s.Value).Select(s => $"{s.Key}: {s.Value:N0}"));
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Name} | {p.RequestBytes / 1024.0 / 1024.0:F2} MB | {answers} ({p.Statuses.Values.Sum() / p.Seconds:F0} req/s) | {Figure.Fmt(p.Accepted.Percentile(50))} / {Figure.Fmt(p.Accepted.Percentile(99))} ms | {Figure.Fmt(p.Refused.Percentile(50))} / {Figure.Fmt(p.Refused.Percentile(99))} ms | {p.PeakRssMb:F0} MB | {p.EventsAcknowledged:N0} / {p.AcknowledgedStored:N0} | {p.RefusedStored:N0} |");
        }

        return text.ToString();
    }
}
