using System.Diagnostics;
using Altinn.Events.Benchmarks;

/// <summary>S5 and S5P (issue 18), beside the other scenarios of <see cref="BenchmarkRun"/>.</summary>
internal sealed partial class BenchmarkRun
{
    /// <summary>
    /// S5: inbound matching among the stored subscriptions, events built from random ones of the generated mix (issue 18's
    /// type lists, prefixes and filters included), against the same built from subscriptions without those filters in
    /// this run (S5 plain, the baseline). S5P: the same with the matched consumers permitted (a DAGL role for the party,
    /// a policy for the app), so the permit path runs and the pushes are made to a receiver in this process.
    /// </summary>
    private void Cpu(string scenario, List<Scenarios.MatchingResult> runs)
    {
        foreach (var (what, pick) in new (string, Func<Scenarios.MatchingCpu, double>)[]
        {
            ("stage host CPU per event", c => c.StagesMicros), ("PostgreSQL CPU per event (all backends)", c => c.PostgresMicros),
            ("Azurite CPU per event", c => c.AzuriteMicros), ("benchmark process CPU per event (the receiver, in S5P)", c => c.BenchMicros),
        })
        {
            report.Row(scenario, what, new Figure(what, "µs", [.. runs.Select(r => pick(r.Cpu))]), null, null, null);
        }
    }

    private async Task<List<T>> Repeat1<T>(string name, int run, Func<Task<T>> once)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var result = await once();
            Console.WriteLine($"bench: {name} run {run}/{settings.Runs} done in {watch.Elapsed.TotalSeconds:F1} s");
            return [result];
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            report.Failures.Add($"{name} run {run}: {ex.GetType().Name}: {ex.Message}");
            Console.WriteLine($"bench: {name} run {run} FAILED: {ex.Message}");
            throw;
        }
    }

    private async Task RunMatchingAsync(Scenarios scenarios, Stopwatch clock, CancellationToken cancellationToken)
    {
        var statements = await PublishCost.StatementsAvailableAsync(settings, cancellationToken);
        async Task StatementsAsync(string part, double events)
        {
            if (statements)
            {
                foreach (var line in await PublishCost.TopStatementsAsync(settings, events, cancellationToken))
                {
                    report.Note($"{part}, PostgreSQL statements (pg_stat_statements over the runs, picking and storing the events included): {line}");
                }
            }
        }

        // Warm-up, not reported: the stage host's JIT and first connections would otherwise fall on the first measured block.
        var warm = await scenarios.MatchingAsync(0, cancellationToken);
        Console.WriteLine($"bench: S5 warm-up done ({Figure.Fmt(warm.EventsPerSecond)} events/s, not reported)");

        // S5 plain and S5 take turns, run by run, so neither gains from coming later (warmer caches, tiered code).
        if (statements)
        {
            await PublishCost.ResetStatementsAsync(settings, cancellationToken);
        }

        var plain = new List<Scenarios.MatchingResult>();
        var s5 = new List<Scenarios.MatchingResult>();
        for (var run = 1; run <= settings.Runs; run++)
        {
            var current = run;
            if (settings.Wants("S5"))
            {
                plain.AddRange(await Repeat1("S5 matching, plain subscriptions", current, () => scenarios.MatchingAsync(50 + current, cancellationToken, Scenarios.MatchPick.Plain)));
            }

            s5.AddRange(await Repeat1("S5 matching", current, () => scenarios.MatchingAsync(current, cancellationToken)));
        }

        await StatementsAsync(plain.Count > 0 ? "S5 plain and S5 matching" : "S5 matching", s5.Sum(r => r.Events) + plain.Sum(r => r.Events));
        Figure? plainRate = null;
        if (plain.Count > 0)
        {
            plainRate = new Figure("S5 plain", "events/s", [.. plain.Select(r => r.EventsPerSecond)]);
            report.Row("S5 matching", $"inbound throughput, events from subscriptions without typeFilter or filters (the baseline), {settings.StoredSubscriptions:N0} subscriptions stored", plainRate, null, null, null);
            report.Note($"S5 plain: {string.Join("; ", plain.Select(r => r.Describe()))}.");
        }

        var s5Rate = new Figure("S5", "events/s", [.. s5.Select(r => r.EventsPerSecond)]);
        report.Row("S5 matching", $"inbound throughput, events from the generated mix (issue 18's type lists, prefixes and filters), {settings.StoredSubscriptions:N0} subscriptions stored", s5Rate, plainRate, ">= 5 000/s", s5Rate.Median >= 5000);
        Cpu("S5 matching", s5);
        report.Row("S5 matching", "decisions (deliveries decided) per second", new Figure("decisions", "decisions/s", [.. s5.Select(r => r.DecisionsPerSecond)]), null, null, null);
        report.Note($"S5: {s5[0].Events:N0} events per run in {s5[0].Messages} messages of up to 256 references, each built from a random stored subscription with its " +
            "resource, subject and source and one of three types at random (so type lists, prefixes and filters let some through and not others); done when every " +
            $"event's outbox row is gone and the queue is empty. Per run: {string.Join("; ", s5.Select(r => r.Describe()))}. The generated subscribers hold no roles, " +
            "so every decision is a deny (recorded unauthorized; nothing reaches events-outbound): S5P measures the permit path. " +
            $"A warm-up run of the mix ({Figure.Fmt(warm.EventsPerSecond)} events/s) comes first and is not reported; then S5 plain and S5 take turns, run by run.");

        if (!settings.Wants("S5P"))
        {
            return;
        }

        if (statements)
        {
            await PublishCost.ResetStatementsAsync(settings, cancellationToken);
        }

        await using var receiver = await Receiver.StartAsync(clock, settings.HangTime, 5, cancellationToken);
        var routed = await scenarios.RoutePermitAppsAsync(receiver, cancellationToken);
        List<Scenarios.MatchingResult> s5p;
        Scenarios.MatchingResult permitWarm;
        try
        {
            // Warm-up, not reported: the first pushes carry the outbound stage's JIT, its connections to the receiver and
            // the first reads of the apps' policies.
            permitWarm = await scenarios.MatchingAsync(0, cancellationToken, Scenarios.MatchPick.Permitted, receiver);
            Console.WriteLine($"bench: S5P warm-up done ({Figure.Fmt(permitWarm.EventsPerSecond)} events/s, not reported)");
            if (statements)
            {
                await PublishCost.ResetStatementsAsync(settings, cancellationToken);
            }

            s5p = await Repeat("S5P matching, permitted", run => scenarios.MatchingAsync(run, cancellationToken, Scenarios.MatchPick.Permitted, receiver));
        }
        finally
        {
            await scenarios.WithdrawPermitsAsync(CancellationToken.None);
        }

        await StatementsAsync("S5P matching (pushes included)", s5p.Sum(r => r.Events));
        var s5pRate = new Figure("S5P", "events/s", [.. s5p.Select(r => r.EventsPerSecond)]);
        report.Row("S5P matching, permitted", $"inbound throughput with the matched consumers permitted (pushes made meanwhile), {settings.StoredSubscriptions:N0} subscriptions stored", s5pRate, s5Rate, ">= 5 000/s", s5pRate.Median >= 5000);
        report.Row("S5P matching, permitted", "decisions (deliveries decided) per second", new Figure("decisions", "decisions/s", [.. s5p.Select(r => r.DecisionsPerSecond)]),
            new Figure("S5 decisions", "decisions/s", [.. s5.Select(r => r.DecisionsPerSecond)]), null, null);
        report.Row("S5P matching, permitted", "permits (deliveries queued for a push) per second", new Figure("permits", "deliveries/s", [.. s5p.Select(r => r.PermitsPerSecond)]), null, null, null);
        Cpu("S5P matching, permitted", s5p);
        report.Note($"S5P: as S5, but the events are built from subscriptions to the generated apps of org10 to org19 (1 000 apps with a bench policy letting DAGL, " +
            "REGNA and PRIV of the party read), whose consumers are granted DAGL for the subscription's party (and the party put in the register) before each run, " +
            $"and whose endpoints point at a receiver in the benchmark process (5 ports; {routed:N0} subscriptions of those apps pointed there once, then VACUUM); the roles are withdrawn afterwards. " +
            $"A warm-up run ({Figure.Fmt(permitWarm.EventsPerSecond)} events/s) comes first and is not reported. Per run: {string.Join("; ", s5p.Select(r => r.Describe()))}; " +
            $"pushes received {string.Join(", ", s5p.Select(r => r.Pushed.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))}, drained " +
            $"{string.Join(", ", s5p.Select(r => $"{r.Drained.TotalSeconds:F0} s"))} after matching (not measured).");
    }
}
