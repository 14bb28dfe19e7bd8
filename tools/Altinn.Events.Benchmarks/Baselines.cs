using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Altinn.Events.Benchmarks;

/// <summary>What the machine itself can do, measured in the same run: the ceilings the scenarios are compared with.</summary>
internal static partial class Baselines
{
    /// <summary>
    /// A plain (not partitioned) copy of the events table with the same columns, defaults and indexes, for pgbench. The
    /// service's own insert also writes event_keys and outbox rows; this baseline is the events row alone.
    /// </summary>
    private const string BaselineTable = """
        DROP TABLE IF EXISTS bench_events;
        DROP SEQUENCE IF EXISTS bench_events_seq;
        CREATE SEQUENCE bench_events_seq AS bigint;
        CREATE TABLE bench_events (
            seq bigint NOT NULL DEFAULT nextval('bench_events_seq'), registered timestamptz NOT NULL, id text NOT NULL,
            source text NOT NULL, resource text NOT NULL, type text NOT NULL, subject text, alternative_subject text,
            party_id integer, time timestamptz, xact_id xid8 NOT NULL DEFAULT pg_current_xact_id(), cloudevent text NOT NULL,
            PRIMARY KEY (seq, registered));
        CREATE INDEX ON bench_events (resource, seq);
        CREATE INDEX ON bench_events (subject, seq) WHERE subject IS NOT NULL;
        CREATE INDEX ON bench_events (alternative_subject, seq) WHERE alternative_subject IS NOT NULL;
        CREATE INDEX ON bench_events (party_id, seq) WHERE party_id IS NOT NULL;
        CREATE INDEX ON bench_events (id);
        """;

    public sealed record PgBenchResult(double Tps, double AverageLatencyMs);

    /// <summary>pgbench: single-row inserts of the benchmark's event JSON, one transaction each, at <paramref name="concurrency"/> clients.</summary>
    public static async Task<PgBenchResult> PgBenchAsync(BenchSettings settings, string workDir, int concurrency, CancellationToken cancellationToken)
    {
        await using (var connection = new NpgsqlConnection(settings.Database))
        {
            await connection.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand(BaselineTable, connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var json = Http.EventJson("bench-:n-:client_id").Replace("'", "''", StringComparison.Ordinal);
        var script = Path.Combine(workDir, "pgbench-insert.sql");
        await File.WriteAllTextAsync(script, string.Join('\n',
            @"\set n random(1, 2000000000)",
            "INSERT INTO bench_events (registered, id, source, resource, type, subject, party_id, time, cloudevent) VALUES "
            + "(now(), 'bench-' || :n || '-' || :client_id, 'https://bench.example.com/orders/4711', '" + Http.TestResource + "', 'bench.order.created', '/party/50001', 50001, now(), "
            + "'" + json + "');") + "\n", cancellationToken);

        var builder = new NpgsqlConnectionStringBuilder(settings.Database);
        var start = new ProcessStartInfo(settings.PgBench)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
                 {
                     "-n", "-c", concurrency.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(concurrency, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
                     "-T", Math.Max(1, (int)Math.Round(settings.Duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture), "-f", script,
                     "-h", builder.Host!, "-p", builder.Port.ToString(CultureInfo.InvariantCulture), "-U", builder.Username!, builder.Database!,
                 })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PGPASSWORD"] = builder.Password;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("pgbench did not start");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0 || TpsPattern().Match(output) is not { Success: true } tps)
        {
            throw new InvalidOperationException($"pgbench failed ({process.ExitCode}): {output}\n{errors}");
        }

        var latency = LatencyPattern().Match(output);
        return new PgBenchResult(
            double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture),
            latency.Success ? double.Parse(latency.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN);
    }

    /// <summary>A bare Kestrel endpoint in this process that only reads the body and answers 200.</summary>
    public static async Task<WebApplication> StartBareKestrelAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:" + Http.FreePort().ToString(CultureInfo.InvariantCulture));
        var app = builder.Build();
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            var buffer = new byte[8192];
            while (await context.Request.Body.ReadAsync(buffer, context.RequestAborted) > 0)
            {
            }

            return Results.Ok();
        });
        await app.StartAsync(cancellationToken);
        return app;
    }

    public sealed record AzuriteResult(double SendsPerSecond, double ReceiveDeletesPerSecond);

    /// <summary>Raw Azurite with the Azure.Storage.Queues SDK: sends of one ~100-byte message, then receive (32) + delete each.</summary>
    public static async Task<AzuriteResult> AzuriteAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var queue = new QueueClient(settings.Queues, "bench-baseline");
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await queue.ClearMessagesAsync(cancellationToken);
        var body = "{\"events\":[{\"seq\":1234567,\"registered\":\"2026-01-01T12:00:00.123456+00:00\"}]}";
        var sends = await ClosedLoop.RunAsync(settings.Concurrency, TimeSpan.Zero, settings.Duration, async (_, ct) =>
        {
            await queue.SendMessageAsync(body, ct);
            return true;
        }, cancellationToken);

        long deleted = 0;
        var clock = Stopwatch.StartNew();
        var receivers = Math.Min(settings.Concurrency, 8);
        await Task.WhenAll(Enumerable.Range(0, receivers).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < settings.Duration)
            {
                var batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1), cancellationToken)).Value;
                if (batch.Length == 0)
                {
                    return;
                }

                foreach (var message in batch)
                {
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
                    Interlocked.Increment(ref deleted);
                }
            }
        }, cancellationToken)));
        var elapsed = clock.Elapsed.TotalSeconds;
        await queue.DeleteIfExistsAsync(cancellationToken);
        return new AzuriteResult(sends.PerSecond, deleted / elapsed);
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsPattern();

    [GeneratedRegex(@"latency average = ([0-9.]+) ms")]
    private static partial Regex LatencyPattern();
}
