using System.Globalization;

namespace Altinn.Events.Chaos;

/// <summary>What breaks during the run: processes killed at random, or one dependency down for a while.</summary>
internal enum ChaosMode
{
    Kill,
    Outage,
}

/// <summary>The processes the check runs, and can kill or take down.</summary>
internal enum Target
{
    Api,
    Stages,
    Postgres,
    Azurite,
    Pdp,
}

/// <summary>
/// Settings from the command line that scripts/chaos.sh passes: where things are (repository, run folder, PostgreSQL
/// binaries and cluster, Azurite), the ports of PostgreSQL and Azurite, and the mode with its sizes.
/// </summary>
internal sealed class ChaosSettings
{
    public required string RepoRoot { get; init; }

    public required string RunDir { get; init; }

    public required string PgBin { get; init; }

    /// <summary>The cluster's data directory (initialised by chaos.sh).</summary>
    public required string PgData { get; init; }

    /// <summary>The OS user PostgreSQL runs as when the check runs as root (PostgreSQL refuses root); null otherwise.</summary>
    public string? PgUser { get; init; }

    public required int PgPort { get; init; }

    public required int AzuritePort { get; init; }

    /// <summary>The azurite-queue launcher under node_modules/.bin.</summary>
    public required string AzuriteBin { get; init; }

    public bool Short { get; init; }

    public ChaosMode Mode { get; init; } = ChaosMode.Kill;

    public Target OutageTarget { get; init; }

    public TimeSpan OutageLength { get; init; } = TimeSpan.FromMinutes(3);

    public int Events { get; init; }

    /// <summary>Mean time between kills; each wait is drawn from 0.5x to 1.5x of it.</summary>
    public TimeSpan KillEvery { get; init; }

    /// <summary>Publishing rate over all workers in events/s; 0 publishes as fast as the workers go.</summary>
    public double Rate { get; init; }

    public int Concurrency { get; init; } = 16;

    public TimeSpan DrainTimeout { get; init; }

    /// <summary>The commit the run measures, for the report.</summary>
    public string Commit { get; init; } = "unknown";

    /// <summary>Targets that must be killed at least once (kill mode).</summary>
    public IReadOnlyList<Target> MustKill => Short ? [Target.Api, Target.Stages, Target.Postgres, Target.Azurite] : [Target.Postgres, Target.Azurite];

    public string ModeName => Mode == ChaosMode.Outage ? $"outage {OutageTarget.ToString().ToLowerInvariant()} {OutageLength.TotalSeconds:F0} s" : Short ? "short" : "full";

    public string LogDir => Path.Combine(RunDir, "logs");

    public string ApiDll => Path.Combine(RepoRoot, "src/Altinn.Events.Api/bin/Release/net10.0/Altinn.Events.Api.dll");

    public string StagesDll => Path.Combine(RepoRoot, "src/Altinn.Events.Stages/bin/Release/net10.0/Altinn.Events.Stages.dll");

    public string CliDll => Path.Combine(RepoRoot, "tools/Altinn.Events.Cli/bin/Release/net10.0/altinn-events.dll");

    public const string Usage = """
        usage: Altinn.Events.Chaos --repo DIR --run-dir DIR --pg-bin DIR --pg-data DIR [--pg-user USER] --pg-port N
                                   --azurite-port N --azurite-bin PATH [--short] [--events N] [--kill-every S] [--rate R]
                                   [--outage pg|azurite|pdp --outage-seconds S] [--drain-timeout S] [--commit TEXT]
        (scripts/chaos.sh passes these; run that instead)
        """;

    public static ChaosSettings Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{name}'");
            }

            if (name is "--short")
            {
                flags.Add(name);
            }
            else if (i + 1 < args.Length)
            {
                values[name] = args[++i];
            }
            else
            {
                throw new ArgumentException($"{name} needs a value");
            }
        }

        string Required(string name) => values.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new ArgumentException($"{name} is required");
        double? Number(string name) => values.TryGetValue(name, out var value)
            ? double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n : throw new ArgumentException($"{name} must be a non-negative number, not '{value}'")
            : null;

        var isShort = flags.Contains("--short");
        var mode = values.ContainsKey("--outage") ? ChaosMode.Outage : ChaosMode.Kill;
        var outage = values.TryGetValue("--outage", out var o)
            ? o switch
            {
                "pg" => Target.Postgres,
                "azurite" => Target.Azurite,
                "pdp" => Target.Pdp,
                _ => throw new ArgumentException($"--outage must be pg, azurite or pdp, not '{o}'"),
            }
            : Target.Postgres;
        var outageLength = TimeSpan.FromSeconds(Number("--outage-seconds") ?? 180);
        var events = (int)(Number("--events") ?? (isShort ? 1500 : 20000));
        if (events < 1)
        {
            throw new ArgumentException("--events must be at least 1");
        }

        // Paced so that the kills land while publishing: short mode spreads its events over about 30 s (every target gets
        // killed), full mode publishes at 200/s (20 000 events in 100 s, about 20 kills; unpaced, 16 requests publish them
        // in under 20 s, room for 3 or 4 kills only). An outage run publishes for the outage plus a minute (30 s before it
        // starts, 30 s after it ends).
        var rate = Number("--rate") ?? (mode == ChaosMode.Outage ? events / (outageLength.TotalSeconds + 60) : isShort ? 50 : 200);
        return new ChaosSettings
        {
            RepoRoot = Required("--repo"),
            RunDir = Required("--run-dir"),
            PgBin = Required("--pg-bin"),
            PgData = Required("--pg-data"),
            PgUser = values.TryGetValue("--pg-user", out var user) && user.Length > 0 ? user : null,
            PgPort = (int)(Number("--pg-port") ?? throw new ArgumentException("--pg-port is required")),
            AzuritePort = (int)(Number("--azurite-port") ?? throw new ArgumentException("--azurite-port is required")),
            AzuriteBin = Required("--azurite-bin"),
            Short = isShort,
            Mode = mode,
            OutageTarget = outage,
            OutageLength = outageLength,
            Events = events,
            KillEvery = TimeSpan.FromSeconds(Number("--kill-every") ?? (isShort ? 3 : 4)),
            Rate = rate,
            DrainTimeout = TimeSpan.FromSeconds(Number("--drain-timeout") ?? (isShort ? 240 : 600)),
            Commit = values.TryGetValue("--commit", out var commit) ? commit : "unknown",
        };
    }
}
