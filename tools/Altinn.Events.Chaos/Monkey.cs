using System.Globalization;

namespace Altinn.Events.Chaos;

/// <summary>One thing the check did to a process, for the timeline and the report.</summary>
internal sealed record Incident(TimeSpan At, Target Target, string What, TimeSpan DownFor);

/// <summary>
/// Breaks things while the publisher runs. Kill mode: every <see cref="ChaosSettings.KillEvery"/> (0.5x to 1.5x, at
/// random) one target drawn at random gets <c>kill -9</c> and is restarted 0.5 to 1.5 s after it is gone; the targets
/// that must be killed at least once are drawn first when the publishing left would not leave room for them. Outage
/// mode: one dependency is down for <see cref="ChaosSettings.OutageLength"/>. A supervisor restarts any process that
/// exits without being killed (as a container platform would) and counts it.
/// </summary>
internal sealed class Monkey(ChaosSettings settings, IReadOnlyList<Service> services, Receiver receiver, Func<double> progress, Random random, TimeProvider time, long origin, TextWriter timeline) : IDisposable
{
    private static readonly Target[] KillTargets = [Target.Api, Target.Stages, Target.Postgres, Target.Azurite];

    private readonly Dictionary<Target, SemaphoreSlim> _gates = services.ToDictionary(s => s.Target, _ => new SemaphoreSlim(1, 1));
    private readonly List<Incident> _incidents = [];
    private readonly Lock _lock = new();

    public IReadOnlyList<Incident> Incidents
    {
        get
        {
            lock (_lock)
            {
                return [.. _incidents];
            }
        }
    }

    public int Count(Target target, string what) => Incidents.Count(i => i.Target == target && i.What == what);

    private Service Get(Target target) => services.Single(s => s.Target == target);

    /// <summary>Kills at random until <paramref name="publishing"/> is cancelled.</summary>
    public async Task KillLoopAsync(CancellationToken publishing, CancellationToken cancellationToken)
    {
        var started = time.GetElapsedTime(origin);
        while (!publishing.IsCancellationRequested)
        {
            var wait = settings.KillEvery * (0.5 + random.NextDouble());
            try
            {
                await Task.Delay(wait, time, publishing);
            }
            catch (OperationCanceledException) when (publishing.IsCancellationRequested)
            {
                return;
            }

            await KillAsync(Choose(started), cancellationToken);
        }
    }

    /// <summary>Kills each target that must be killed and has not been yet (when publishing ended before its turn).</summary>
    public async Task KillMissingAsync(CancellationToken cancellationToken)
    {
        foreach (var target in settings.MustKill.Where(t => Count(t, "kill -9") == 0))
        {
            await KillAsync(target, cancellationToken);
        }
    }

    private Target Choose(TimeSpan started)
    {
        var missing = settings.MustKill.Where(t => Count(t, "kill -9") == 0).ToList();
        var done = progress();
        if (missing.Count > 0 && done > 0.02)
        {
            var elapsed = time.GetElapsedTime(origin) - started;
            var left = elapsed * ((1 - done) / done);
            // Each kill takes its wait plus a restart of a few seconds.
            var killsLeft = left / (settings.KillEvery + TimeSpan.FromSeconds(3));
            if (killsLeft <= missing.Count + 1)
            {
                return missing[random.Next(missing.Count)];
            }
        }

        return KillTargets[random.Next(KillTargets.Length)];
    }

    /// <summary><c>kill -9</c>, a pause of 0.5 to 1.5 s once it is gone, a restart, and a wait until it answers.</summary>
    public async Task KillAsync(Target target, CancellationToken cancellationToken)
    {
        var service = Get(target);
        var gate = _gates[target];
        await gate.WaitAsync(cancellationToken);
        try
        {
            var at = time.GetElapsedTime(origin);
            await service.KillAsync(cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(0.5 + random.NextDouble()), time, cancellationToken);
            var up = await service.StartAsync(TimeSpan.FromSeconds(90), cancellationToken);
            Record(new Incident(at, target, "kill -9", time.GetElapsedTime(origin) - at), up ? null : "did not answer within 90 s of its restart");
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Takes the outage target down <paramref name="after"/> the start, for the outage length, and brings it back.</summary>
    public async Task OutageAsync(TimeSpan after, CancellationToken cancellationToken)
    {
        await Task.Delay(after, time, cancellationToken);
        var at = time.GetElapsedTime(origin);
        var target = settings.OutageTarget;
        Write($"{Clock(at)} ({time.GetUtcNow():HH:mm:ss.f}Z) outage: {Name(target)} goes down for {settings.OutageLength.TotalSeconds:F0} s");
        if (target == Target.Pdp)
        {
            receiver.PdpDown = true;
            await Task.Delay(settings.OutageLength, time, cancellationToken);
            receiver.PdpDown = false;
            Record(new Incident(at, target, "outage (503)", time.GetElapsedTime(origin) - at), null);
            return;
        }

        var service = Get(target);
        var gate = _gates[target];
        await gate.WaitAsync(cancellationToken);
        try
        {
            // A clean stop (PostgreSQL: fast shutdown; Azurite: SIGTERM): the outage is about being unreachable, the kills are about crashes.
            // Azurite sometimes lingers after SIGTERM (see lib.sh): 5 s, then kill -9.
            await service.StopAsync(target == Target.Postgres ? Os.SigInt : Os.SigTerm, TimeSpan.FromSeconds(target == Target.Postgres ? 30 : 5), cancellationToken);
            var left = settings.OutageLength - (time.GetElapsedTime(origin) - at);
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, time, cancellationToken);
            }

            var up = await service.StartAsync(TimeSpan.FromSeconds(90), cancellationToken);
            Record(new Incident(at, target, "outage (stopped)", time.GetElapsedTime(origin) - at), up ? null : "did not answer within 90 s of its restart");
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Restarts, every half second, any process that is not alive and was not taken down on purpose.</summary>
    public async Task SuperviseAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            foreach (var service in services)
            {
                var gate = _gates[service.Target];
                if (service.Down || service.IsAlive || !await gate.WaitAsync(0, cancellationToken))
                {
                    continue;
                }

                try
                {
                    if (!service.Down && !service.IsAlive)
                    {
                        var at = time.GetElapsedTime(origin);
                        service.MarkDown();
                        var up = await service.StartAsync(TimeSpan.FromSeconds(90), cancellationToken);
                        Record(new Incident(at, service.Target, "exited by itself", time.GetElapsedTime(origin) - at), up ? null : "did not answer within 90 s of its restart");
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                finally
                {
                    gate.Release();
                }
            }
        }
    }

    /// <summary>Waits until every process answers again (after the last kill), for at most <paramref name="timeout"/> each.</summary>
    public async Task<List<string>> WaitAllUpAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var notUp = new List<string>();
        foreach (var service in services)
        {
            if (!await service.WaitUpAsync(timeout, cancellationToken))
            {
                notUp.Add(service.Name);
            }
        }

        return notUp;
    }

    private void Record(Incident incident, string? problem)
    {
        lock (_lock)
        {
            _incidents.Add(incident);
        }

        Write($"{Clock(incident.At)} ({time.GetUtcNow() - (time.GetElapsedTime(origin) - incident.At):HH:mm:ss.f}Z) {incident.What}: {Name(incident.Target)}, back after {incident.DownFor.TotalSeconds:F1} s (published {progress():P0}){(problem is null ? "" : " -- " + problem)}");
    }

    private void Write(string line)
    {
        lock (_lock)
        {
            Console.WriteLine("chaos: " + line);
            timeline.WriteLine(line);
            timeline.Flush();
        }
    }

    public static string Clock(TimeSpan at) => "t+" + at.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + "s";

    public static string Name(Target target) => target switch
    {
        Target.Api => "API",
        Target.Stages => "stage host",
        Target.Postgres => "PostgreSQL",
        Target.Azurite => "Azurite",
        _ => "remote PDP",
    };

    public void Dispose()
    {
        foreach (var gate in _gates.Values)
        {
            gate.Dispose();
        }
    }
}
