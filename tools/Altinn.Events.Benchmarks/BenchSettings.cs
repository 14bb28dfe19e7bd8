using System.Globalization;

namespace Altinn.Events.Benchmarks;

/// <summary>Everything the run needs, from BENCH_* environment variables that scripts/bench.sh sets.</summary>
internal sealed class BenchSettings
{
    public required string ApiUrl { get; init; }
    public required string Database { get; init; }
    public required string Queues { get; init; }
    public required string PgBench { get; init; }
    public required string PublishToken { get; init; }
    public required string SubscribeToken { get; init; }
    public required string QueryOrgToken { get; init; }
    public required string QueryOrg { get; init; }
    public required string QueryApp { get; init; }
    public int ApiPid { get; init; }
    public int StagesPid { get; init; }
    public bool Smoke { get; init; }
    public int Runs { get; init; }
    public TimeSpan Duration { get; init; }
    public TimeSpan Warmup { get; init; }
    public int Concurrency { get; init; }

    /// <summary>BENCH_S1_CONCURRENCY: the concurrencies S1 and its pgbench baseline run at ("32,128").</summary>
    public IReadOnlyList<int> PublishConcurrencies { get; init; } = [32];

    /// <summary>BENCH_TRACE: a file to write a dotnet-trace CPU sample of the API to, during one extra S1 run (empty: none).</summary>
    public string Trace { get; init; } = string.Empty;

    /// <summary>Whether PostgreSQL loads pg_stat_statements (BENCH_PG_SETTINGS), found at the start of S1.</summary>
    public bool Statements { get; set; }
    public int QueryConcurrency { get; init; }
    public long StoredEvents { get; init; }
    public long StoredSubscriptions { get; init; }
    public int MatchEvents { get; init; }

    /// <summary>S5P: inbound events per run on the permit path (BENCH_S5P_MATCH_EVENTS, as BENCH_MATCH_EVENTS by default).</summary>
    public int PermitMatchEvents { get; init; }
    public int FreshnessEvents { get; init; }
    public int EndToEndRate { get; init; }
    public int EndToEndSubscriptions { get; init; }
    public int PushEvents { get; init; }
    public TimeSpan HangTime { get; init; }

    /// <summary>S7: deliveries waiting for the dead endpoint.</summary>
    public int DeadBacklog { get; init; }

    /// <summary>S7: how long the failing endpoints are watched with no other traffic.</summary>
    public TimeSpan FailingWindow { get; init; }

    public int AzuritePid { get; init; }

    /// <summary>S9: the accountant's client parties (BENCH_S9_CLIENTS), as generated.</summary>
    public int AccountantClients { get; init; }

    /// <summary>S9: the subscriptions without a subject filter generated (BENCH_S9_ALL_PARTY).</summary>
    public int AllPartySubscriptions { get; init; }

    /// <summary>S9: inbound events per run (BENCH_S9_MATCH_EVENTS).</summary>
    public int AccountantMatchEvents { get; init; }

    /// <summary>S9: the accountant's token (BENCH_TOKEN_ACCOUNTANT) and the bench app's (BENCH_TOKEN_BENCH_APP).</summary>
    public string AccountantToken { get; init; } = string.Empty;

    public string BenchAppToken { get; init; } = string.Empty;

    public int PostgresPid { get; init; }
    public bool Outbound { get; init; }
    /// <summary>BENCH_MODE: <c>full</c> (the scenarios) or <c>flood</c> (issue 15: maximum-size publishes only).</summary>
    public string Mode { get; init; } = "full";

    /// <summary>Flood: concurrent clients (BENCH_FLOOD_CONCURRENCY, 64).</summary>
    public int FloodConcurrency { get; init; }

    /// <summary>Flood: how long each phase lasts (BENCH_FLOOD_SECONDS, 20).</summary>
    public TimeSpan FloodDuration { get; init; }

    public required string Output { get; init; }
    public required string Commit { get; init; }
    public required string Notes { get; init; }

    /// <summary>BENCH_ONLY: the scenario groups to run (baselines, S1, S3, S4, S5, S5P, S2, S6, S7, S8, S9), or empty for all.</summary>
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>();

    /// <summary>Whether the run includes <paramref name="group"/>.</summary>
    public bool Wants(string group) => Only.Count == 0 || Only.Contains(group);

    public static BenchSettings FromEnvironment()
    {
        var smoke = Env("BENCH_SMOKE", "0") == "1";
        return new BenchSettings
        {
            ApiUrl = Required("BENCH_API_URL").TrimEnd('/'),
            Database = Required("BENCH_DB"),
            Queues = Required("BENCH_QUEUES"),
            PgBench = Required("BENCH_PGBENCH"),
            PublishToken = Required("BENCH_TOKEN_PUBLISH"),
            SubscribeToken = Required("BENCH_TOKEN_SUBSCRIBE"),
            QueryOrgToken = Required("BENCH_TOKEN_QUERY"),
            QueryOrg = Env("BENCH_QUERY_ORG", "org1"),
            QueryApp = Env("BENCH_QUERY_APP", "app1"),
            ApiPid = Int("BENCH_API_PID", 0),
            StagesPid = Int("BENCH_STAGES_PID", 0),
            Smoke = smoke,
            Only = Env("BENCH_ONLY", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase),
            Runs = Int("BENCH_RUNS", smoke ? 1 : 3),
            Duration = TimeSpan.FromSeconds(Double("BENCH_SECONDS", smoke ? 1 : 10)),
            Warmup = TimeSpan.FromSeconds(Double("BENCH_WARMUP_SECONDS", smoke ? 0.5 : 2)),
            Concurrency = Int("BENCH_CONCURRENCY", 32),
            PublishConcurrencies = [.. Env("BENCH_S1_CONCURRENCY", smoke ? "32" : "32,128").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(c => int.Parse(c, CultureInfo.InvariantCulture))],
            Trace = Env("BENCH_TRACE", string.Empty),
            QueryConcurrency = Int("BENCH_QUERY_CONCURRENCY", 8),
            StoredEvents = Int("BENCH_EVENTS", 0),
            StoredSubscriptions = Int("BENCH_SUBSCRIPTIONS", 0),
            MatchEvents = Int("BENCH_MATCH_EVENTS", smoke ? 512 : 10_000),
            PermitMatchEvents = Int("BENCH_S5P_MATCH_EVENTS", Int("BENCH_MATCH_EVENTS", smoke ? 512 : 10_000)),
            FreshnessEvents = Int("BENCH_FRESHNESS_EVENTS", smoke ? 40 : 200),
            EndToEndRate = Int("BENCH_E2E_RATE", smoke ? 50 : 200),
            EndToEndSubscriptions = Int("BENCH_E2E_SUBSCRIPTIONS", 10),
            PushEvents = Int("BENCH_PUSH_EVENTS", smoke ? 50 : 2000),
            HangTime = TimeSpan.FromSeconds(Double("BENCH_HANG_SECONDS", 30)),
            DeadBacklog = Int("BENCH_DEAD_BACKLOG", smoke ? 1_000 : 100_000),
            FailingWindow = TimeSpan.FromSeconds(Double("BENCH_FAILING_SECONDS", smoke ? 3 : 60)),
            AzuritePid = Int("BENCH_AZURITE_PID", 0),
            AccountantClients = Int("BENCH_S9_CLIENTS", smoke ? 200 : 10_000),
            AllPartySubscriptions = Int("BENCH_S9_ALL_PARTY", smoke ? 1_000 : 100_000),
            AccountantMatchEvents = Int("BENCH_S9_MATCH_EVENTS", smoke ? 512 : 10_000),
            AccountantToken = Env("BENCH_TOKEN_ACCOUNTANT", string.Empty),
            BenchAppToken = Env("BENCH_TOKEN_BENCH_APP", string.Empty),
            PostgresPid = Int("BENCH_PG_PID", 0),
            Outbound = Env("BENCH_OUTBOUND", "0") == "1",
            Mode = Env("BENCH_MODE", "full"),
            FloodConcurrency = Int("BENCH_FLOOD_CONCURRENCY", 64),
            FloodDuration = TimeSpan.FromSeconds(Double("BENCH_FLOOD_SECONDS", smoke ? 3 : 20)),
            Output = Required("BENCH_OUTPUT"),
            Commit = Env("BENCH_COMMIT", "unknown"),
            Notes = Env("BENCH_NOTES", string.Empty),
        };
    }

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : throw new InvalidOperationException($"{name} is not set (scripts/bench.sh sets it)");

    private static int Int(string name, int fallback) => int.Parse(Env(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    private static double Double(string name, double fallback) => double.Parse(Env(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
}
