using System.Diagnostics;
using Altinn.Events.Benchmarks;

/// <summary>S9's rows (issue 19), beside the other scenarios of <see cref="BenchmarkRun"/>.</summary>
internal sealed partial class BenchmarkRun
{
    private async Task RunAccountantAsync(Scenarios scenarios, Stopwatch clock, HttpClient client, CancellationToken cancellationToken)
    {
        const string Name = "S9 accountant";
        var accountant = new Accountant(settings, client, clock);
        await using var receiver = await Receiver.StartAsync(clock, settings.HangTime, 5, cancellationToken);
        var routed = await accountant.RouteToAsync(receiver, cancellationToken);

        // With pg_stat_statements loaded (BENCH_PG_SETTINGS), where PostgreSQL's time went in each part.
        var statements = await PublishCost.StatementsAvailableAsync(settings, cancellationToken);
        async Task StatementsAsync(string part, string per, double count)
        {
            if (statements)
            {
                foreach (var line in await PublishCost.TopStatementsAsync(settings, count, cancellationToken))
                {
                    report.Note($"{Name} {part}, PostgreSQL statements (pg_stat_statements, per {per}): {line.Replace("per event", "per " + per, StringComparison.Ordinal)}");
                }

                await PublishCost.ResetStatementsAsync(settings, cancellationToken);
            }
        }

        // Warm-up, not reported: the first inbound run of the all-party mix is also the stage host's first run of the push
        // path at volume and the first writes to the empty delivery tables. perf over the first runs found the JIT and
        // tiering in about 45 % of the stage host's samples; in the run that added this, the warm-up ran 998 events/s with
        // PostgreSQL at 1 169 µs per event, the measured runs after it 4 455-5 713 with 158-190 µs (docs/benchmarks.md,
        // "S9 inbound with a warm-up").
        var warmInbound = await accountant.MatchingAsync(0, cancellationToken);
        Console.WriteLine($"bench: S9 inbound warm-up done ({warmInbound.EventsPerSecond:F0} events/s; not reported)");
        report.Note($"{Name}: one inbound warm-up run ({warmInbound.EventsPerSecond:F0} events/s; {warmInbound.Cpu.Describe()}) preceded the S5 baseline and the measured runs and is not reported.");

        // Inbound: the all-party mix, against S5's mix (subject-filtered subscriptions only) in this run.
        var s5 = await Repeat("S9 baseline (S5 matching)", run => scenarios.MatchingAsync(90 + run, cancellationToken));
        if (statements)
        {
            await PublishCost.ResetStatementsAsync(settings, cancellationToken);
        }

        var s9 = await Repeat("S9 inbound", run => accountant.MatchingAsync(1 + run, cancellationToken));
        await StatementsAsync("inbound (pushes included)", "event", s9.Sum(r => r.Events));
        var s5Rate = new Figure("S5", "events/s", [.. s5.Select(r => r.EventsPerSecond)]);
        var s9Rate = new Figure("S9", "events/s", [.. s9.Select(r => r.EventsPerSecond)]);
        report.Row(Name, $"inbound throughput, events about the clients, {settings.StoredSubscriptions + settings.AllPartySubscriptions:N0} subscriptions of which {settings.AllPartySubscriptions:N0} cover every party of their consumer", s9Rate, s5Rate, ">= 5 000/s", s9Rate.Median >= 5000);
        report.Note($"{Name}: {settings.AccountantClients:N0} clients, each with three right holders (the accountant's REGNA, a DAGL, an auditor's REVI: the policy grants the first two); " +
            $"{routed:N0} all-party subscriptions to the bench app pushed to a receiver in the benchmark process. Inbound: {s9[0].Events:N0} events per run in messages of 256; deliveries per run: " +
            string.Join("; ", s9.Select(r => string.Join(", ", r.Deliveries.Select(d => $"{d.Value:N0} {d.Key}")))) +
            $"; the permitted pushes drained {string.Join(", ", s9.Select(r => $"{r.Drained.TotalSeconds:F0} s"))} after matching (not measured). Ratio: to S5 (subject-filtered probes only) in this run; {s9Rate.Median / 5000:F2}x the 5 000/s target. " +
            $"While matching (pushes included), run by run: {string.Join("; ", s9.Select(r => r.Cpu.Describe()))}.");

        // /app/party without a party for the accountant, once the inbound runs' events are indexed and the tables they grew
        // vacuumed: left to autovacuum, that ran during the first query run (its naptime began after the quiet wait).
        var settled = await Quiet.WaitAsync(settings, TimeSpan.FromMinutes(10), cancellationToken);
        var vacuumed = await Quiet.VacuumAsync(settings, cancellationToken);
        report.Note($"{Name}: before the /app/party runs the benchmark waited {settled.TotalSeconds:F0} s for the inbound runs' aftermath (the holder index of their events) and ran VACUUM (ANALYZE) over the database ({vacuumed.TotalSeconds:F0} s), as autovacuum would have during the runs.");
        // Warm-up, not reported: the API's first run of these queries carries its JIT and tiering (in S4 the tiering
        // thread alone took a tenth of the machine's samples for the first 25 s; docs/benchmarks.md, "S4's tail").
        var warm = await accountant.QueryAsync(cancellationToken);
        Console.WriteLine($"bench: S9 /app/party warm-up done (p99 {Figure.Fmt(warm.AllParties.Latencies.Percentile(99))} ms all parties, {Figure.Fmt(warm.OneParty.Latencies.Percentile(99))} ms one party; not reported)");
        report.Note($"{Name}: one /app/party warm-up run (both loops, p99 {Figure.Fmt(warm.AllParties.Latencies.Percentile(99))} ms without party and {Figure.Fmt(warm.OneParty.Latencies.Percentile(99))} ms with one) preceded the measured runs and is not reported.");
        if (statements)
        {
            await PublishCost.ResetStatementsAsync(settings, cancellationToken);
        }

        var query = await Repeat("S9 /app/party", _ => accountant.QueryAsync(cancellationToken));
        await StatementsAsync("/app/party (without and with party)", "request", query.Sum(r => (r.AllParties.PerSecond + r.OneParty.PerSecond) * (settings.Warmup + settings.Duration).TotalSeconds));
        var allP99 = new Figure("p99", "ms", [.. query.Select(r => r.AllParties.Latencies.Percentile(99))]);
        var oneP99 = new Figure("one-party p99", "ms", [.. query.Select(r => r.OneParty.Latencies.Percentile(99))]);
        report.Row(Name, $"GET /app/party without party, page of 50 at a random cursor, {settings.AccountantClients:N0} clients, p50", new Figure("p50", "ms", [.. query.Select(r => r.AllParties.Latencies.Percentile(50))]), null, null, null);
        report.Row(Name, "GET /app/party without party p99", allP99, oneP99, "< 50 ms", allP99.Median < 50);
        report.Row(Name, $"GET /app/party without party rate at {settings.QueryConcurrency} concurrent", new Figure("rate", "req/s", [.. query.Select(r => r.AllParties.PerSecond)]), new Figure("one-party rate", "req/s", [.. query.Select(r => r.OneParty.PerSecond)]), null, null);
        report.Errors($"{Name} /app/party", query.Sum(r => r.AllParties.Errors + r.OneParty.Errors), query.Select(r => r.AllParties.FirstError ?? r.OneParty.FirstError).FirstOrDefault(e => e is not null));
        report.Note($"{Name}: /app/party pages held {query.Average(r => r.AverageRows):F1} events on average; cursors: {query[0].Cursors:N0} stored events of the clients " +
            $"({settings.StoredEvents:N0} generated events in all); the baseline is the same caller with party= one client, from one of its events.");

        // Grant and withdrawal.
        var propagation = await Repeat("S9 grant/withdraw", run => accountant.PropagationAsync(receiver, run, cancellationToken));
        var pushP50 = new Figure("publish -> push p50", "ms", [.. propagation.Select(r => r.PushP50Ms)]);
        var grant = new Figure("grant", "ms", [.. propagation.Select(r => r.GrantMs)]);
        report.Row(Name, "role granted -> first push of an event published after it", grant, pushP50, "within seconds", grant.Median < 5000);
        var after = propagation.Sum(r => r.PushedAfterWithdrawal);
        var withdraw = new Figure("withdraw", "ms", [.. propagation.Select(r => r.WithdrawMs)]);
        report.Row(Name, $"role withdrawn -> last push of the party's events ({after} pushed of those published after the withdrawal)", withdraw, pushP50, "within seconds, none after", withdraw.Median < 5000 && after == 0);
        report.Note($"{Name}: grant/withdraw publishes an event of a spare client every 50 ms through POST /app ({string.Join(", ", propagation.Select(r => r.Published))} per run) and changes the role table the embedded register and PDP read.");
    }
}
