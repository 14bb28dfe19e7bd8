using System.Diagnostics;
using System.Globalization;
using Altinn.Events.Benchmarks;

// Run by scripts/bench.sh, which starts PostgreSQL, Azurite, the API and the stage host and passes BENCH_* settings.
var settings = BenchSettings.FromEnvironment();
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
if (settings.Mode == "flood")
{
    using var floodClient = Http.CreateClient(settings.FloodConcurrency * 2);
    var (idle, phases, hwm) = await new Flood(settings, floodClient).RunAsync(cancel.Token);
    var text = Flood.Describe(settings, idle, phases, hwm);
    await File.WriteAllTextAsync(settings.Output, text, cancel.Token);
    Console.Write(text);
    var lost = phases.Any(p => p.AcknowledgedStored != p.EventsAcknowledged || p.RefusedStored != 0);
    return hwm < 400 && !lost ? 0 : 1;
}

var report = new Report(settings);
await new BenchmarkRun(settings, report).RunAsync(cancel.Token);
var path = report.Write();
Console.WriteLine($"bench: wrote {path}");
return report.Failures.Count == 0 ? 0 : 1;

/// <summary>Runs the baselines and scenarios in order, each several times, and records the figures in the report.</summary>
internal sealed partial class BenchmarkRun(BenchSettings settings, Report report)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var client = Http.CreateClient(Math.Max(settings.PublishConcurrencies.Append(settings.Concurrency).Max(), 64) * 2);
        var scenarios = new Scenarios(settings, client, clock);
        var work = Path.Combine(Path.GetTempPath(), "altinn-events-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(work);

        // The API's analytics aggregator first rolls up the whole generated store (at 10 000 000 events several minutes
        // of CPU and writes); measuring meanwhile made the baselines depend on how far it had got.
        var caughtUp = await Quiet.WaitAsync(settings, TimeSpan.FromHours(2), cancellationToken);
        Console.WriteLine($"bench: analytics aggregator caught up with the stored events after {caughtUp.TotalSeconds:F0} s");
        report.Note($"Before the measurements: the analytics aggregator's catch-up over the generated store, {caughtUp.TotalSeconds:F0} s (waited for, so no figure shares the machine with it).");
        report.LoadAverage("start");

        // Baselines.
        // S1's ratios need the baselines, so they run with S1 even when BENCH_ONLY leaves them out.
        var pgTps = new Dictionary<int, Figure>();
        Figure? bareRate = null;
        if (settings.Wants("baselines") || settings.Wants("S1"))
        {
            foreach (var concurrency in settings.PublishConcurrencies.Union([settings.Concurrency]))
            {
                var pgbench = await Repeat($"pgbench {concurrency}", run => Baselines.PgBenchAsync(settings, work, concurrency, cancellationToken));
                pgTps[concurrency] = new Figure($"pgbench single-row inserts at {concurrency}", "inserts/s", [.. pgbench.Select(p => p.Tps)]);
                report.Baseline($"pgbench: single-row INSERT of the event JSON, one transaction each, {concurrency} clients", pgTps[concurrency],
                    new Figure("latency average", "ms", [.. pgbench.Select(p => p.AverageLatencyMs)]));
            }

            await using var kestrel = await Baselines.StartBareKestrelAsync(cancellationToken);
            var kestrelUrl = kestrel.Urls.First();
            var bare = await Repeat("bare Kestrel", run => scenarios.BareKestrelAsync(kestrelUrl, cancellationToken));
            bareRate = new Figure("bare Kestrel", "req/s", [.. bare.Select(b => b.PerSecond)]);
            report.Baseline($"bare Kestrel POST that only reads the body, {settings.Concurrency} concurrent", bareRate,
                new Figure("p99", "ms", [.. bare.Select(b => b.Latencies.Percentile(99))]));
            if (settings.Wants("baselines"))
            {
                var azurite = await Repeat("Azurite", run => Baselines.AzuriteAsync(settings, cancellationToken));
                report.Baseline($"Azurite send (one message per call, {settings.Concurrency} concurrent)", new Figure("sends", "msg/s", [.. azurite.Select(a => a.SendsPerSecond)]), null);
                report.Baseline("Azurite receive (32 per call) + delete each, 8 concurrent", new Figure("receive+delete", "msg/s", [.. azurite.Select(a => a.ReceiveDeletesPerSecond)]), null);
            }
        }

        if (settings.Wants("S1"))
        {
            await RunPublishAsync(scenarios, pgTps, bareRate!, cancellationToken);
        }

        if (settings.Wants("S3"))
        {
            // S3 pull freshness.
            var s3 = await Repeat("S3 freshness", run => scenarios.FreshnessAsync(run, settings.FreshnessEvents, cancellationToken));
            report.Row("S3 pull freshness", "publish start -> seen by an `after` poller, p50", new Figure("p50", "ms", [.. s3.Select(r => r.Visible.Percentile(50))]), null, null, null);
            var s3P99 = new Figure("p99", "ms", [.. s3.Select(r => r.Visible.Percentile(99))]);
            report.Row("S3 pull freshness", "p99", s3P99, null, "< 1 s", s3P99.Median < 1000 && s3.All(r => r.Seen == r.Published));
            report.Note($"S3: {s3.Sum(r => r.Seen)} of {s3.Sum(r => r.Published)} published events were seen by the poller.");
        }

        if (settings.Wants("S4"))
        {
            // S4 query, once what S1 and S3 left (their events' matching and roll-up) is done.
            var quiet = await Quiet.WaitAsync(settings, TimeSpan.FromMinutes(30), cancellationToken);
            report.Note($"S4 started after the inbound stage and the analytics aggregator had got through the events published before it ({quiet.TotalSeconds:F0} s of waiting).");
            // Warm-up, not reported: the first run carries the API's JIT and tiering (the tiering thread took a tenth of the
            // machine's samples through the first 25 s of S4), which a service that has run for a minute no longer pays.
            var warm = await scenarios.QueryAsync(cancellationToken);
            Console.WriteLine($"bench: S4 warm-up done (p99 {Figure.Fmt(warm.App.Latencies.Percentile(99))} / {Figure.Fmt(warm.Events.Latencies.Percentile(99))} ms; not reported)");
            report.Note($"S4: one warm-up run of both loops (p99 {Figure.Fmt(warm.App.Latencies.Percentile(99))} ms for /app/{{org}}/{{app}}, {Figure.Fmt(warm.Events.Latencies.Percentile(99))} ms for /events) preceded the measured runs and is not reported.");
            var s4 = await Repeat("S4 query", run => scenarios.QueryAsync(cancellationToken));
            foreach (var (name, pick) in new (string, Func<Scenarios.QueryResult, ClosedLoop.Result>)[] { ("GET /app/{org}/{app}", r => r.App), ("GET /events", r => r.Events) })
            {
                var p99 = new Figure("p99", "ms", [.. s4.Select(r => pick(r).Latencies.Percentile(99))]);
                report.Row("S4 query", $"{name} page of 50 at a random cursor, p50", new Figure("p50", "ms", [.. s4.Select(r => pick(r).Latencies.Percentile(50))]), null, null, null);
                report.Row("S4 query", $"{name} p99", p99, null, "< 20 ms", p99.Median < 20);
                report.Row("S4 query", $"{name} rate at {settings.QueryConcurrency} concurrent", new Figure("rate", "req/s", [.. s4.Select(r => pick(r).PerSecond)]), null, null, null);
                report.Errors("S4 " + name, s4.Sum(r => pick(r).Errors), s4.Select(r => pick(r).FirstError).FirstOrDefault(e => e is not null));
            }

            report.Note($"S4: {settings.StoredEvents:N0} generated events stored (plus the ones published by S1/S3); the query app " +
                $"{settings.QueryOrg}/{settings.QueryApp} holds {s4[0].Cursors:N0} of them; pages held {s4.Average(r => r.AverageRows):F1} events on average.");
        }

        if (settings.Wants("S5") || settings.Wants("S5P"))
        {
            await RunMatchingAsync(scenarios, clock, cancellationToken);
        }

        if (settings.Wants("S8"))
        {
            await RunAnalyticsAsync(scenarios, client, cancellationToken);
        }

        if (settings.Wants("S9"))
        {
            await RunAccountantAsync(scenarios, clock, client, cancellationToken);
        }

        if (settings.Outbound && (settings.Wants("S2") || settings.Wants("S6") || settings.Wants("S7")))
        {
            await RunPushAsync(scenarios, clock, cancellationToken);
        }
        else if (!settings.Outbound)
        {
            report.Note("S2 and S6 were not measured: the outbound stage had not landed on main when this ran.");
        }

        report.LoadAverage("end");
        report.Rss("API", settings.ApiPid);
        report.Rss("stage host", settings.StagesPid);
    }

    /// <summary>
    /// S1 (issue 20): publishing alone (the stage host stopped with SIGSTOP, so only the API with its relay, PostgreSQL
    /// and Azurite run) at each of <see cref="BenchSettings.PublishConcurrencies"/>, then the whole system (stage host
    /// running) beside it; each with what one event cost. With BENCH_TRACE one more run publishing alone is sampled by
    /// dotnet-trace.
    /// </summary>
    private async Task RunPublishAsync(Scenarios scenarios, Dictionary<int, Figure> pgTps, Figure bareRate, CancellationToken cancellationToken)
    {
        settings.Statements = await PublishCost.StatementsAvailableAsync(settings, cancellationToken);

        // Warm-up, not reported: one run at the highest concurrency with the whole system running, so the first measured
        // block does not carry the hosts' JIT and tiering (its first run used to cost three times the others per event).
        var warm = await scenarios.PublishAsync(0, settings.PublishConcurrencies.Max(), cancellationToken);
        Console.WriteLine($"bench: S1 warm-up done ({Figure.Fmt(warm.Loop.PerSecond)} events/s, not reported)");
        report.Note($"S1: a warm-up run ({settings.Warmup.TotalSeconds + settings.Duration.TotalSeconds:F0} s at {settings.PublishConcurrencies.Max()} concurrent, whole system, {Figure.Fmt(warm.Loop.PerSecond)} events/s) precedes the measured blocks and is not reported.");
        foreach (var (whole, label) in new[] { (false, "S1 publish alone"), (true, "S1 whole system") })
        {
            foreach (var concurrency in settings.PublishConcurrencies)
            {
                List<Scenarios.PublishResult> s1;
                if (!whole)
                {
                    Signal("STOP", settings.StagesPid);
                }

                try
                {
                    if (settings.Statements)
                    {
                        await PublishCost.ResetStatementsAsync(settings, cancellationToken);
                    }

                    s1 = await Repeat($"{label} {concurrency}", run => scenarios.PublishAsync(run, concurrency, cancellationToken));
                    if (settings.Statements && !whole)
                    {
                        var events = s1.Sum(r => r.Loop.PerSecond) * (settings.Duration + settings.Warmup).TotalSeconds;
                        foreach (var line in await PublishCost.TopStatementsAsync(settings, events, cancellationToken))
                        {
                            report.Note($"{label} at {concurrency}, PostgreSQL statements (pg_stat_statements over the runs, warm-up included): {line}");
                        }
                    }
                }
                finally
                {
                    if (!whole)
                    {
                        Signal("CONT", settings.StagesPid);
                    }
                }

                var rate = new Figure($"{label} rate", "events/s", [.. s1.Select(r => r.Loop.PerSecond)]);
                var p99 = new Figure("p99", "ms", [.. s1.Select(r => r.Loop.Latencies.Percentile(99))]);
                var pg = pgTps[concurrency];
                report.Row(label, $"POST /events rate, {concurrency} concurrent", rate, pg, whole ? null : ">= 1.0x pgbench", whole ? null : rate.Median >= pg.Median,
                    secondBaseline: concurrency == settings.Concurrency ? bareRate : null);
                report.Row(label, $"p50 at {concurrency}", new Figure("p50", "ms", [.. s1.Select(r => r.Loop.Latencies.Percentile(50))]), null, null, null);
                report.Row(label, $"p99 at {concurrency}", p99, null, whole ? null : "< 50 ms", whole ? null : p99.Median < 50);
                Cost(label, concurrency, "API CPU per event", "µs", s1, c => c.ApiMicros);
                Cost(label, concurrency, "PostgreSQL CPU per event (all backends)", "µs", s1, c => c.PostgresMicros);
                Cost(label, concurrency, "Azurite CPU per event", "µs", s1, c => c.AzuriteMicros);
                if (whole)
                {
                    Cost(label, concurrency, "stage host CPU per event", "µs", s1, c => c.StagesMicros);
                }

                Cost(label, concurrency, "API / PostgreSQL busy", "cores", s1, c => c.ApiCores, c => c.PostgresCores);
                Cost(label, concurrency, "WAL written per event", "bytes", s1, c => c.WalBytes);
                Cost(label, concurrency, "transactions per event (all of PostgreSQL)", "xact", s1, c => c.Transactions);
                if (settings.Statements)
                {
                    Cost(label, concurrency, "statements per event (pg_stat_statements)", "stmts", s1, c => c.Statements);
                }

                report.Errors($"{label} {concurrency}", s1.Sum(r => r.Loop.Errors), s1.Select(r => r.Loop.FirstError).FirstOrDefault(e => e is not null));
            }
        }

        if (settings.Trace.Length > 0)
        {
            Signal("STOP", settings.StagesPid);
            try
            {
                var concurrency = settings.PublishConcurrencies[0];
                var trace = Process.Start(new ProcessStartInfo(Environment.GetEnvironmentVariable("BENCH_DOTNET_TRACE") ?? "dotnet-trace")
                {
                    ArgumentList = { "collect", "--process-id", settings.ApiPid.ToString(CultureInfo.InvariantCulture), "--profile", "dotnet-sampled-thread-time", "--duration", "00:00:00:08", "-o", settings.Trace },
                    RedirectStandardOutput = true,
                }) ?? throw new InvalidOperationException("dotnet-trace did not start");
                var traced = await scenarios.PublishAsync(99, concurrency, cancellationToken);
                await trace.WaitForExitAsync(cancellationToken);
                report.Note($"Profile: {settings.Trace} (dotnet-trace cpu-sampling of the API, 8 s of S1 publishing alone at {concurrency}: {Figure.Fmt(traced.Loop.PerSecond)} events/s while sampled).");
            }
            finally
            {
                Signal("CONT", settings.StagesPid);
            }
        }

        void Cost(string label, int concurrency, string what, string unit, List<Scenarios.PublishResult> runs, Func<PublishCost.PerEvent, double> pick, Func<PublishCost.PerEvent, double>? second = null)
        {
            var figure = new Figure(what, unit, [.. runs.Select(r => pick(r.Cost))]);
            var text = second is null ? figure.Format() : $"{figure.Format()} / {new Figure(what, unit, [.. runs.Select(r => second(r.Cost))]).Format()}";
            report.Row(label, $"{what} at {concurrency}", figure, null, null, null, text: text);
        }
    }

    private static void Signal(string signal, int pid)
    {
        if (pid > 0)
        {
            using var kill = Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    private async Task RunPushAsync(Scenarios scenarios, Stopwatch clock, CancellationToken cancellationToken)
    {
        // One port per subscriber: the outbound stage limits pushes per host (scheme, host and port), as subscribers are
        // separate hosts in real life. Ports 0..9 healthy, 10 hanging, 11 dead.
        var healthyCount = settings.EndToEndSubscriptions;
        await using var receiver = await Receiver.StartAsync(clock, settings.HangTime, healthyCount + 2, cancellationToken);
        var hangUrl = receiver.BaseUrls[healthyCount];
        var deadUrl = receiver.BaseUrls[healthyCount + 1];
        var subscriptions = new List<string>();
        for (var i = 0; i < healthyCount; i++)
        {
            subscriptions.Add(await scenarios.SubscribeAsync($"{receiver.BaseUrls[i]}/hook/s{i}", cancellationToken));
        }

        var validations = await Repeat("Validation at idle", run => scenarios.ValidationLatencyAsync(receiver, run, cancellationToken));
        report.Row("Validation at idle", "create request -> validation request at the endpoint", new Figure("latency", "ms", [.. validations]), null, "< 200 ms", new Figure("latency", "ms", [.. validations]).Median < 200);

        var idle = await Repeat("S2i idle", run => scenarios.IdleEndToEndAsync(receiver, run, subscriptions.Count, cancellationToken));
        report.Row("S2i idle", $"publish -> webhook p50, 40 single events 0.5 s apart, {subscriptions.Count} subscriptions",
            new Figure("p50", "ms", [.. idle.Select(r => r.Latency.Percentile(50))]), null, "< 50 ms", new Figure("p50", "ms", [.. idle.Select(r => r.Latency.Percentile(50))]).Median < 50);
        var idleP99 = new Figure("p99", "ms", [.. idle.Select(r => r.Latency.Percentile(99))]);
        report.Row("S2i idle", "p99", idleP99, null, "< 150 ms", idleP99.Median < 150 && idle.All(r => r.Received == r.Expected));

        var s2 = await Repeat("S2 end to end", run => scenarios.EndToEndAsync(receiver, run, subscriptions.Count, cancellationToken));
        var rate = new Figure("rate", "events/s", [.. s2.Select(r => r.AchievedRate)]);
        report.Row("S2 end to end", $"publish -> webhook p50 at {Figure.Fmt(rate.Median)} events/s (asked {settings.EndToEndRate}), {subscriptions.Count} subscriptions",
            new Figure("p50", "ms", [.. s2.Select(r => r.Latency.Percentile(50))]), null, "< 50 ms", new Figure("p50", "ms", [.. s2.Select(r => r.Latency.Percentile(50))]).Median < 50);
        var s2P99 = new Figure("p99", "ms", [.. s2.Select(r => r.Latency.Percentile(99))]);
        report.Row("S2 end to end", "p99", s2P99, null, "< 200 ms", s2P99.Median < 200 && s2.All(r => r.Received == r.Expected));
        report.Note($"S2: {s2.Sum(r => r.Received):N0} of {s2.Sum(r => r.Expected):N0} deliveries arrived within 60 s of the last publish.");

        if (!settings.Wants("S6") && !settings.Wants("S7"))
        {
            return;
        }

        var healthy = await Repeat("S6 push", run => scenarios.PushAsync(receiver, run, subscriptions.Count, cancellationToken));
        var healthyRate = new Figure("S6", "deliveries/s", [.. healthy.Select(r => r.DeliveriesPerSecond)]);
        report.Row("S6 push", $"deliveries/s to loopback receivers ({settings.PushEvents:N0} events x {subscriptions.Count} subscriptions)", healthyRate, null, ">= 2 000/s", healthyRate.Median >= 2000);

        var hanging = await scenarios.SubscribeAsync($"{hangUrl}/hang/slow", cancellationToken);
        var slowed = await Repeat("S6 push with a hanging endpoint", run => scenarios.PushAsync(receiver, 100 + run, subscriptions.Count, cancellationToken));
        await scenarios.UnsubscribeAsync(hanging, cancellationToken);
        var slowedRate = new Figure("S6 hang", "deliveries/s", [.. slowed.Select(r => r.DeliveriesPerSecond)]);
        var drop = 1 - (slowedRate.Median / healthyRate.Median);
        report.Row("S6 push", $"healthy deliveries/s with one endpoint hanging {settings.HangTime.TotalSeconds:F0} s (drop {drop:P0})", slowedRate, healthyRate, "drop < 10 %", drop < 0.10);
        report.Note($"S6: healthy deliveries received {healthy.Sum(r => r.Received):N0} of {healthy.Sum(r => r.Expected):N0}; with the hanging endpoint " +
            $"{slowed.Sum(r => r.Received):N0} of {slowed.Sum(r => r.Expected):N0}; the hanging endpoint took {receiver.Hung:N0} requests.");

        await RunFailingEndpointsAsync(scenarios, receiver, subscriptions, s2, hangUrl, deadUrl, cancellationToken);
    }

    /// <summary>
    /// S7: a dead endpoint with <see cref="BenchSettings.DeadBacklog"/> deliveries waiting and a hanging endpoint beside the
    /// healthy subscribers; first watched alone (requests, CPU of Azurite and PostgreSQL, against an idle window of the
    /// same length just before), then with the S2 load on the healthy subscribers, compared with S2 in this run.
    /// </summary>
    private async Task RunFailingEndpointsAsync(Scenarios scenarios, Receiver receiver, List<string> s2Subscriptions, List<Scenarios.EndToEndResult> s2, string hangUrl, string deadUrl, CancellationToken cancellationToken)
    {
        foreach (var id in s2Subscriptions)
        {
            await scenarios.UnsubscribeAsync(id, cancellationToken);
        }

        var idle = await WatchAsync(receiver, cancellationToken);
        var dead = await scenarios.SubscribeAsync($"{deadUrl}/dead/s7", cancellationToken, typeFilter: Http.DeadType);
        var filled = Stopwatch.StartNew();
        await scenarios.PublishBacklogAsync(settings.DeadBacklog, cancellationToken);
        (string State, long Waiting) health = default;
        while (filled.Elapsed < TimeSpan.FromSeconds(Math.Max(120, settings.DeadBacklog / 200.0)))
        {
            health = await scenarios.HealthAsync(dead, cancellationToken);
            if (health.State == "open" && health.Waiting >= settings.DeadBacklog * 0.99)
            {
                break;
            }

            await Task.Delay(500, cancellationToken);
        }

        var fillTime = filled.Elapsed;
        var hanging = await scenarios.SubscribeAsync($"{hangUrl}/hang/s7", cancellationToken, typeFilter: Http.EventType);
        var healthy = new List<string>();
        for (var i = 0; i < s2Subscriptions.Count; i++)
        {
            healthy.Add(await scenarios.SubscribeAsync($"{receiver.BaseUrls[i]}/hook/t{i}", cancellationToken, typeFilter: Http.EventType));
        }

        var failing = await WatchAsync(receiver, cancellationToken);
        var s7 = await Repeat("S7 failing endpoints", run => scenarios.EndToEndAsync(receiver, 700 + run, healthy.Count, cancellationToken));
        var after = await scenarios.HealthAsync(dead, cancellationToken);

        static double Delivered(Scenarios.EndToEndResult r, int subscriptions) => r.AchievedRate * subscriptions * r.Received / r.Expected;
        var s2Rate = new Figure("S2", "deliveries/s", [.. s2.Select(r => Delivered(r, s2Subscriptions.Count))]);
        var s7Rate = new Figure("S7", "deliveries/s", [.. s7.Select(r => Delivered(r, healthy.Count))]);
        var s7P99 = new Figure("p99", "ms", [.. s7.Select(r => r.Latency.Percentile(99))]);
        var ratio = s7Rate.Median / s2Rate.Median;
        report.Row("S7 failing endpoints", $"healthy publish -> webhook p99 at {settings.EndToEndRate} events/s, {settings.DeadBacklog:N0} deliveries waiting for a dead endpoint and one hanging", s7P99, s2Figure(s2), "< 1 s", s7P99.Median < 1000);
        report.Row("S7 failing endpoints", "healthy deliveries/s", s7Rate, s2Rate, "within 10 % of S2", ratio >= 0.9);
        report.Row("S7 failing endpoints", "requests to the dead endpoint per minute, failing endpoints alone", new Figure("dead", "req/min", [failing.DeadPerMinute]), null, "one probe per retry step", null);
        report.Row("S7 failing endpoints", "requests to the hanging endpoint per minute, failing endpoints alone", new Figure("hang", "req/min", [failing.HungPerMinute]), null, null, null);
        report.Row("S7 failing endpoints", "Azurite CPU, failing endpoints alone", new Figure("azurite", "% of a core", [failing.AzuriteCpu]), new Figure("idle", "% of a core", [idle.AzuriteCpu]), null, null);
        report.Row("S7 failing endpoints", "PostgreSQL CPU, failing endpoints alone", new Figure("postgres", "% of a core", [failing.PostgresCpu]), new Figure("idle", "% of a core", [idle.PostgresCpu]), null, null);
        report.Note($"S7: the dead endpoint's backlog ({settings.DeadBacklog:N0} events published with its type only) was stored, matched and waiting with the endpoint open after {fillTime.TotalSeconds:F0} s " +
            $"(state {health.State}, {health.Waiting:N0} waiting; after the load: {after.State}, {after.Waiting:N0}). Each window watched {settings.FailingWindow.TotalSeconds:F0} s: " +
            $"idle (no subscriptions) {idle.Describe()}; failing endpoints alone {failing.Describe()}. Healthy deliveries received {s7.Sum(r => r.Received):N0} of {s7.Sum(r => r.Expected):N0}. " +
            "Queue messages the failing endpoints cause: none by design (retries, parked deliveries and probes are rows in PostgreSQL; the stage sends only to the poison queue, when a delivery is given up), so Azurite's CPU in the failing window is its idle polling.");

        foreach (var id in healthy.Append(hanging).Append(dead))
        {
            await scenarios.UnsubscribeAsync(id, cancellationToken);
        }

        static Figure s2Figure(List<Scenarios.EndToEndResult> s2) => new("S2 p99", "ms", [.. s2.Select(r => r.Latency.Percentile(99))]);
    }

    private async Task<Window> WatchAsync(Receiver receiver, CancellationToken cancellationToken)
    {
        var (dead, hung) = (receiver.Dead, receiver.Hung);
        var azurite = ProcessCpu.Seconds(settings.AzuritePid, withChildren: false);
        var postgres = ProcessCpu.Seconds(settings.PostgresPid, withChildren: true);
        var watch = Stopwatch.StartNew();
        await Task.Delay(settings.FailingWindow, cancellationToken);
        var seconds = watch.Elapsed.TotalSeconds;
        double Percent(double? before, double? now) => before is { } b && now is { } n ? (n - b) / seconds * 100 : double.NaN;
        return new Window(
            (receiver.Dead - dead) / seconds * 60,
            (receiver.Hung - hung) / seconds * 60,
            Percent(azurite, ProcessCpu.Seconds(settings.AzuritePid, withChildren: false)),
            Percent(postgres, ProcessCpu.Seconds(settings.PostgresPid, withChildren: true)));
    }

    private sealed record Window(double DeadPerMinute, double HungPerMinute, double AzuriteCpu, double PostgresCpu)
    {
        public string Describe() => string.Create(CultureInfo.InvariantCulture, $"{DeadPerMinute:F1} dead and {HungPerMinute:F1} hanging requests/min, Azurite {AzuriteCpu:F1} %, PostgreSQL {PostgresCpu:F1} % of a core");
    }

    /// <summary>S8 (issue 24): the analytics aggregator's catch-up over the stored events, analytics queries, and its cost to S1.</summary>
    private async Task RunAnalyticsAsync(Scenarios scenarios, HttpClient client, CancellationToken cancellationToken)
    {
        var analytics = new AnalyticsBench(settings, client, scenarios);
        var catchUp = await analytics.CatchUpFromScratchAsync(cancellationToken);
        report.Row("S8 analytics", $"aggregator catch-up over {catchUp.Events:N0} stored events (roll-ups emptied first)", new Figure("catch-up", "events/s", [catchUp.PerSecond]), null, null, null);
        report.Note($"S8: the aggregator counted {catchUp.Events:N0} events in {catchUp.Seconds:F0} s from an empty set of roll-ups, while nothing else ran.");
        var sizes = await analytics.SizesAsync(cancellationToken);
        report.Note($"S8: the query app {settings.QueryOrg}/{settings.QueryApp} has {sizes.Hours:N0} hour rows, {sizes.Days:N0} day rows and {sizes.Durations:N0} duration-bucket rows; {sizes.Instances:N0} instance states in all.");
        foreach (var hourly in new[] { false, true })
        {
            var name = hourly ? "GET /analytics/app/{org}/{app} 30 days by hour" : "GET /analytics/app/{org}/{app} 89 days by day";
            var q = await Repeat("S8 " + name, run => analytics.QueryAsync(hourly, cancellationToken));
            var p99 = new Figure("p99", "ms", [.. q.Select(r => r.Latencies.Percentile(99))]);
            report.Row("S8 analytics", $"{name}, p50", new Figure("p50", "ms", [.. q.Select(r => r.Latencies.Percentile(50))]), null, null, null);
            report.Row("S8 analytics", $"{name}, p99 at {settings.QueryConcurrency} concurrent", p99, null, "< 100 ms", p99.Median < 100);
            report.Errors("S8 " + name, q.Sum(r => r.Errors), q.Select(r => r.FirstError).FirstOrDefault(e => e is not null));
        }

        var concurrency = settings.Concurrency;
        // As "S1 publish alone": the stage host is stopped, so the API (with its relay and aggregator) has the machine.
        List<(Scenarios.PublishResult Paused, Scenarios.PublishResult Running)> cost;
        Signal("STOP", settings.StagesPid);
        try
        {
            cost = await Repeat("S8 S1 paused/running", run => analytics.PublishCostAsync(run, concurrency, cancellationToken));
        }
        finally
        {
            Signal("CONT", settings.StagesPid);
        }

        var paused = new Figure("aggregator paused", "events/s", [.. cost.Select(c => c.Paused.Loop.PerSecond)]);
        var running = new Figure("aggregator running", "events/s", [.. cost.Select(c => c.Running.Loop.PerSecond)]);
        report.Row("S8 analytics", $"S1 POST /events rate at {concurrency} concurrent, aggregator paused", paused, null, null, null);
        var ratio = running.Median / paused.Median;
        report.Row("S8 analytics", $"S1 rate at {concurrency} concurrent, aggregator running (ratio to paused)", running, paused, ">= 0.90x paused", ratio >= 0.9);
        report.Note($"S8: S1 runs in pairs, paused first in odd pairs and running first in even ones ({settings.Runs} pairs); per-pair ratios running/paused: {string.Join(", ", cost.Select(c => (c.Running.Loop.PerSecond / c.Paused.Loop.PerSecond).ToString("F2", CultureInfo.InvariantCulture)))}.");
        report.Errors("S8 S1", cost.Sum(c => c.Paused.Loop.Errors + c.Running.Loop.Errors), cost.Select(c => c.Paused.Loop.FirstError ?? c.Running.Loop.FirstError).FirstOrDefault(e => e is not null));
    }

    private async Task<List<T>> Repeat<T>(string name, Func<int, Task<T>> run)
    {
        var results = new List<T>();
        for (var i = 1; i <= settings.Runs; i++)
        {
            var watch = Stopwatch.StartNew();
            try
            {
                results.Add(await run(i));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                report.Failures.Add($"{name} run {i}: {ex.GetType().Name}: {ex.Message}");
                Console.WriteLine($"bench: {name} run {i} FAILED: {ex.Message}");
                throw;
            }

            Console.WriteLine($"bench: {name} run {i}/{settings.Runs} done in {watch.Elapsed.TotalSeconds:F1} s");
        }

        return results;
    }
}
