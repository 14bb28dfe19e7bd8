using System.Diagnostics;
using Npgsql;

namespace Altinn.Events.Benchmarks;

/// <summary>
/// What one published event costs (issue 20), over a measured window: CPU of each process from <c>/proc</c>, and from
/// PostgreSQL's statistics the WAL bytes, transactions and statements (when pg_stat_statements is loaded) of the
/// window. Divided by the events published in the window.
/// </summary>
internal sealed class PublishCost
{
    private readonly BenchSettings _settings;
    private Sample _start;

    private PublishCost(BenchSettings settings) => _settings = settings;

    public readonly record struct Sample(double? Api, double? Postgres, double? Azurite, double? Stages, long WalBytes, long Transactions, long? Statements, TimeSpan At);

    /// <summary>Per event: CPU microseconds of each process, WAL bytes, transactions and statements.</summary>
    public sealed record PerEvent(double ApiMicros, double PostgresMicros, double AzuriteMicros, double StagesMicros, double WalBytes, double Transactions, double Statements, double ApiCores, double PostgresCores);

    /// <summary>Samples at the start of the measured window (after <paramref name="warmup"/>) and again after <paramref name="duration"/>.</summary>
    public static async Task<(Sample Start, Sample End)> MeasureAsync(BenchSettings settings, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        var cost = new PublishCost(settings);
        var clock = Stopwatch.StartNew();
        await Task.Delay(warmup, cancellationToken);
        cost._start = await cost.SampleAsync(clock, cancellationToken);
        await Task.Delay(warmup + duration - clock.Elapsed, cancellationToken);
        var end = await cost.SampleAsync(clock, cancellationToken);
        return (cost._start, end);
    }

    public static PerEvent Divide(Sample start, Sample end, double events)
    {
        double Micros(double? a, double? b) => a is { } x && b is { } y && events > 0 ? (y - x) / events * 1e6 : double.NaN;
        var seconds = (end.At - start.At).TotalSeconds;
        return new PerEvent(
            Micros(start.Api, end.Api),
            Micros(start.Postgres, end.Postgres),
            Micros(start.Azurite, end.Azurite),
            Micros(start.Stages, end.Stages),
            (end.WalBytes - start.WalBytes) / events,
            (end.Transactions - start.Transactions) / events,
            start.Statements is { } s && end.Statements is { } e ? (e - s) / events : double.NaN,
            start.Api is { } a0 && end.Api is { } a1 ? (a1 - a0) / seconds : double.NaN,
            start.Postgres is { } p0 && end.Postgres is { } p1 ? (p1 - p0) / seconds : double.NaN);
    }

    /// <summary>Whether pg_stat_statements is there (scripts/bench.sh creates it when BENCH_PG_SETTINGS loads it).</summary>
    public static async Task<bool> StatementsAvailableAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        await using var loaded = new NpgsqlCommand("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'", connection);
        return (long)(await loaded.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    /// <summary>The statements PostgreSQL spent most time on since the last reset, per event, as Markdown lines.</summary>
    public static async Task<IReadOnlyList<string>> TopStatementsAsync(BenchSettings settings, double events, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT calls, total_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 8",
            connection);
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(FormattableString.Invariant($"{reader.GetInt64(0) / events:F3} calls and {reader.GetDouble(1) * 1000 / events:F1} µs per event: `{reader.GetString(2).Replace('|', '/')}`"));
        }

        return lines;
    }

    public static async Task ResetStatementsAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_stat_statements_reset()", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<Sample> SampleAsync(Stopwatch clock, CancellationToken cancellationToken)
    {
        var at = clock.Elapsed;
        var api = ProcessCpu.Seconds(_settings.ApiPid, withChildren: false);
        var postgres = ProcessCpu.Seconds(_settings.PostgresPid, withChildren: true);
        var azurite = ProcessCpu.Seconds(_settings.AzuritePid, withChildren: false);
        var stages = ProcessCpu.Seconds(_settings.StagesPid, withChildren: false);
        await using var connection = new NpgsqlConnection(_settings.Database);
        await connection.OpenAsync(cancellationToken);
        var statements = _settings.Statements ? "(SELECT sum(calls)::bigint FROM pg_stat_statements)" : "NULL::bigint";
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT wal_bytes::bigint FROM pg_stat_wal), (SELECT sum(xact_commit + xact_rollback)::bigint FROM pg_stat_database), " + statements,
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new Sample(api, postgres, azurite, stages, reader.GetInt64(0), reader.GetInt64(1), await reader.IsDBNullAsync(2, cancellationToken) ? null : reader.GetInt64(2), at);
    }
}
