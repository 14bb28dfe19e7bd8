namespace Altinn.Events.Benchmarks;

/// <summary>Latencies of one run, in milliseconds, with percentiles taken from the recorded values (no buckets).</summary>
internal sealed class Latencies
{
    private readonly List<double> _values = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _values.Count;
            }
        }
    }

    public void Add(double milliseconds)
    {
        lock (_lock)
        {
            _values.Add(milliseconds);
        }
    }

    public double Percentile(double p)
    {
        lock (_lock)
        {
            if (_values.Count == 0)
            {
                return double.NaN;
            }

            var sorted = _values.Order().ToArray();
            var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
            return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
        }
    }
}

/// <summary>One figure over several runs: reported as median [min–max].</summary>
internal sealed record Figure(string Name, string Unit, IReadOnlyList<double> Runs)
{
    public double Median
    {
        get
        {
            var valid = Runs.Where(v => !double.IsNaN(v)).Order().ToArray();
            if (valid.Length == 0)
            {
                return double.NaN;
            }

            return valid.Length % 2 == 1 ? valid[valid.Length / 2] : (valid[(valid.Length / 2) - 1] + valid[valid.Length / 2]) / 2;
        }
    }

    public double Min => Runs.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Min();

    public double Max => Runs.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Max();

    public string Format() => Runs.Count <= 1
        ? $"{Fmt(Median)} {Unit}"
        : $"{Fmt(Median)} [{Fmt(Min)}–{Fmt(Max)}] {Unit}";

    public static string Fmt(double value) => double.IsNaN(value) ? "n/a"
        : value >= 100 ? value.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)
        : value >= 10 ? value.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)
        : value.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// A closed loop: <c>concurrency</c> workers each repeat one operation until the time is up. Operations that start in
/// the warm-up are not counted; the rate is the operations completed in the measured window divided by its length.
/// </summary>
internal static class ClosedLoop
{
    public sealed record Result(double PerSecond, Latencies Latencies, long Errors, string? FirstError);

    public static async Task<Result> RunAsync(int concurrency, TimeSpan warmup, TimeSpan duration, Func<long, CancellationToken, Task<bool>> operation, CancellationToken cancellationToken)
    {
        var latencies = new Latencies();
        var trace = LatencyTrace.Start();
        long completed = 0, errors = 0, sequence = 0;
        string? firstError = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var measureFrom = warmup;
        var end = warmup + duration;

        async Task WorkerAsync()
        {
            while (clock.Elapsed < end && !cancellationToken.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref sequence);
                var started = clock.Elapsed;
                bool ok;
                try
                {
                    ok = await operation(n, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    ok = false;
                    Interlocked.CompareExchange(ref firstError, ex.GetType().Name + ": " + ex.Message, null);
                }

                var finished = clock.Elapsed;
                if (started < measureFrom || finished > end)
                {
                    continue;
                }

                if (ok)
                {
                    Interlocked.Increment(ref completed);
                    latencies.Add((finished - started).TotalMilliseconds);
                    trace?.Add(started, finished);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(WorkerAsync, cancellationToken)));
        trace?.Write();
        return new Result(completed / duration.TotalSeconds, latencies, errors, firstError);
    }
}

/// <summary>
/// With <c>BENCH_LATENCY_LOG</c> set to a folder, each closed loop writes its measured operations there
/// (<c>loop-{n}.csv</c>: start and end in ms since the loop began, both wall-clock milliseconds of the Unix epoch at the
/// start for lining them up with other logs), to see when in a run the slow ones happen.
/// </summary>
internal sealed class LatencyTrace
{
    private static int _loops;
    private readonly string _path;
    private readonly long _epochMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private readonly System.Collections.Concurrent.ConcurrentQueue<(double Start, double End)> _samples = new();

    private LatencyTrace(string path) => _path = path;

    public static LatencyTrace? Start()
    {
        var folder = Environment.GetEnvironmentVariable("BENCH_LATENCY_LOG");
        if (string.IsNullOrEmpty(folder))
        {
            return null;
        }

        Directory.CreateDirectory(folder);
        return new LatencyTrace(Path.Combine(folder, $"loop-{Interlocked.Increment(ref _loops)}.csv"));
    }

    public void Add(TimeSpan started, TimeSpan finished) => _samples.Enqueue((started.TotalMilliseconds, finished.TotalMilliseconds));

    public void Write()
    {
        using var writer = new StreamWriter(_path);
        writer.WriteLine($"# epoch_ms={_epochMs}");
        writer.WriteLine("start_ms,end_ms");
        foreach (var (start, end) in _samples.OrderBy(s => s.Start))
        {
            writer.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{start:F3},{end:F3}"));
        }
    }
}
