using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Npgsql;

namespace Altinn.Events.Chaos;

/// <summary>Signals and the process table, from libc and <c>/proc</c> (Linux only, as the check is).</summary>
internal static partial class Os
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    public static bool Signal(int pid, int signal) => pid > 0 && SysKill(pid, signal) == 0;

    /// <summary>True while <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => pid > 0 && Stat(pid) is { } stat && stat.State != 'Z';

    /// <summary>The live processes whose parent is <paramref name="pid"/>.</summary>
    public static List<int> Children(int pid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child)
                && Stat(child) is { } stat && stat.Parent == pid && stat.State != 'Z')
            {
                children.Add(child);
            }
        }

        return children;
    }

    private static (char State, int Parent)? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // After the command name in parentheses: state, ppid, ...
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}

/// <summary>
/// One process the check starts, kills and restarts: its output goes to a log file under the run folder, each start
/// appends to the same file. Started through <c>/bin/sh -c 'exec ...'</c> so the process id is the program's own.
/// Every pid started is also written to <c>pids</c> in the run folder, so scripts/chaos.sh can end what is left if
/// this process itself dies.
/// </summary>
internal abstract class Service(string name, Target target, string runDir, TimeProvider time)
{
    private readonly Lock _lock = new();
    private Process? _process;

    public string Name { get; } = name;

    public Target Target { get; } = target;

    public string LogFile { get; } = Path.Combine(runDir, "logs", name + ".log");

    protected TimeProvider Time { get; } = time;

    /// <summary>True while the check has taken the service down on purpose (a kill before its restart, an outage).</summary>
    public bool Down { get; private set; } = true;

    public int Starts { get; private set; }

    /// <summary>The pid to signal: the program itself (for PostgreSQL, the postmaster).</summary>
    public int Pid { get; protected set; }

    protected Process? Process => _process;

    public virtual bool IsAlive => Os.IsAlive(Pid);

    protected abstract (string WorkingDirectory, string Program, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment) Command();

    /// <summary>Starts the program and waits until it answers (<see cref="WaitUpAsync"/>) for at most <paramref name="timeout"/>.</summary>
    public async Task<bool> StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (workingDirectory, program, arguments, environment) = Command();
        var info = new ProcessStartInfo("/bin/sh") { WorkingDirectory = workingDirectory, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$CHAOS_LOG\" 2>&1 </dev/null");
        info.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["CHAOS_LOG"] = LogFile;
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        await File.AppendAllTextAsync(LogFile, $"{Environment.NewLine}===== chaos: start {Starts + 1} at {Time.GetUtcNow():O} ====={Environment.NewLine}", cancellationToken);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Name}");
        lock (_lock)
        {
            _process?.Dispose();
            _process = process;
            Pid = process.Id;
        }

        await File.AppendAllTextAsync(Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(LogFile)!)!, "pids"), process.Id.ToString(CultureInfo.InvariantCulture) + Environment.NewLine, cancellationToken);
        Starts++;
        Down = false;
        return await WaitUpAsync(timeout, cancellationToken);
    }

    /// <summary><c>kill -9</c>, then waits until the process (and whatever it had started) is gone.</summary>
    public virtual async Task KillAsync(CancellationToken cancellationToken)
    {
        Down = true;
        Os.Signal(Pid, Os.SigKill);
        await WaitGoneAsync([Pid], TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>A clean stop (<paramref name="signal"/>), then <c>kill -9</c> after <paramref name="grace"/>.</summary>
    public virtual async Task StopAsync(int signal, TimeSpan grace, CancellationToken cancellationToken)
    {
        Down = true;
        if (!IsAlive)
        {
            return;
        }

        Os.Signal(Pid, signal);
        if (!await WaitGoneAsync([Pid], grace, cancellationToken))
        {
            await KillAsync(cancellationToken);
        }
    }

    /// <summary>Marks the service as down on purpose without touching it (an outage that is not a stop).</summary>
    public void MarkDown() => Down = true;

    /// <summary>Waits until the service answers; false when it did not within <paramref name="timeout"/> or exited.</summary>
    public async Task<bool> WaitUpAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Time.GetTimestamp();
        while (Time.GetElapsedTime(started) < timeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsAlive && Process is { HasExited: true })
            {
                return false;
            }

            if (await AnswersAsync(cancellationToken))
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), Time, cancellationToken);
        }

        return false;
    }

    protected abstract Task<bool> AnswersAsync(CancellationToken cancellationToken);

    protected async Task<bool> WaitGoneAsync(IReadOnlyCollection<int> pids, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Time.GetTimestamp();
        while (pids.Any(Os.IsAlive))
        {
            if (Time.GetElapsedTime(started) > timeout)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), Time, cancellationToken);
        }

        // Reap our direct child (runuser or the program), so no zombie is left.
        if (Process is { } process)
        {
            using var reap = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            reap.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await process.WaitForExitAsync(reap.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }

        return true;
    }

    protected static async Task<bool> PortOpenAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}

/// <summary>
/// PostgreSQL on loopback, durable (fsync, synchronous commit, full page writes on), on the cluster chaos.sh initialised.
/// A kill is <c>kill -9</c> of the postmaster and all its children at once; the restart waits until they are all gone,
/// as a real crash-restart does (a new postmaster refuses to start while old backends hold the shared memory).
/// </summary>
internal sealed class PostgresService(ChaosSettings settings, TimeProvider time) : Service("postgres", Target.Postgres, settings.RunDir, time)
{
    public string ConnectionString(string database = "events") =>
        $"Host=127.0.0.1;Port={settings.PgPort};Database={database};Username=events;Password=events";

    protected override (string, string, IReadOnlyList<string>, IReadOnlyDictionary<string, string>) Command()
    {
        var postgres = Path.Combine(settings.PgBin, "postgres");
        List<string> arguments = ["-D", settings.PgData,
            "-c", $"port={settings.PgPort}", "-c", "listen_addresses=127.0.0.1", "-c", $"unix_socket_directories={settings.PgData}",
            "-c", "max_connections=300", "-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on",
            "-c", "logging_collector=off"];
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        return settings.PgUser is { } user
            ? (settings.PgData, "runuser", ["-u", user, "--", postgres, .. arguments], environment)
            : (settings.PgData, postgres, arguments, environment);
    }

    public override async Task KillAsync(CancellationToken cancellationToken)
    {
        MarkDown();
        var postmaster = Pid;
        var children = Os.Children(postmaster);
        Os.Signal(postmaster, Os.SigKill);
        foreach (var child in children)
        {
            Os.Signal(child, Os.SigKill);
        }

        // Children started between the listing and the kill die on their own when they see the postmaster gone.
        await WaitGoneAsync([postmaster, .. children], TimeSpan.FromSeconds(30), cancellationToken);
        var late = Os.Children(postmaster);
        await WaitGoneAsync(late, TimeSpan.FromSeconds(30), cancellationToken);
    }

    public override async Task StopAsync(int signal, TimeSpan grace, CancellationToken cancellationToken)
    {
        MarkDown();
        var postmaster = Pid;
        var children = Os.Children(postmaster);
        Os.Signal(postmaster, signal);
        if (!await WaitGoneAsync([postmaster, .. children], grace, cancellationToken))
        {
            await KillAsync(cancellationToken);
        }
    }

    protected override async Task<bool> AnswersAsync(CancellationToken cancellationToken)
    {
        // The postmaster writes its pid to postmaster.pid; with runuser in between, Process.Id is runuser's.
        if (settings.PgUser is not null && ReadPostmasterPid() is { } pid && Process is { } process && pid != process.Id && Os.IsAlive(pid))
        {
            Pid = pid;
        }

        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false;Timeout=2");
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return settings.PgUser is null || Pid != Process?.Id;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or IOException)
        {
            return false;
        }
    }

    private int? ReadPostmasterPid()
    {
        try
        {
            var first = File.ReadLines(Path.Combine(settings.PgData, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>Azurite's queue service, persisted on disk (<c>--location</c>), as a real restart would find it.</summary>
internal sealed class AzuriteService(ChaosSettings settings, TimeProvider time) : Service("azurite", Target.Azurite, settings.RunDir, time)
{
    public const string Account = "devstoreaccount1";

    // The well-known, public Azurite development key.
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};QueueEndpoint=http://127.0.0.1:{settings.AzuritePort}/{Account};";

    protected override (string, string, IReadOnlyList<string>, IReadOnlyDictionary<string, string>) Command()
    {
        var location = Path.Combine(settings.RunDir, "azurite");
        Directory.CreateDirectory(location);
        return (settings.RepoRoot, settings.AzuriteBin,
            ["--queueHost", "127.0.0.1", "--queuePort", settings.AzuritePort.ToString(CultureInfo.InvariantCulture), "--location", location,
             "--skipApiVersionCheck", "--loose", "--silent"],
            new Dictionary<string, string>(StringComparer.Ordinal));
    }

    protected override Task<bool> AnswersAsync(CancellationToken cancellationToken) => PortOpenAsync(settings.AzuritePort, cancellationToken);
}

/// <summary>The API or the stage host, from the Release build output, as run.sh starts them.</summary>
internal sealed class HostService(string name, Target target, ChaosSettings settings, string dll, int port, IReadOnlyDictionary<string, string> environment, HttpClient client, TimeProvider time)
    : Service(name, target, settings.RunDir, time)
{
    public int Port { get; } = port;

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    protected override (string, string, IReadOnlyList<string>, IReadOnlyDictionary<string, string>) Command() =>
        (Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(dll))))!, "dotnet",
         [dll, "--urls", BaseUrl], environment);

    /// <summary>Liveness (<c>/health</c>): the process serves HTTP, whether or not its dependencies are up.</summary>
    protected override async Task<bool> AnswersAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var response = await client.GetAsync(new Uri(BaseUrl + "/health"), timeout.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Readiness (<c>/health/ready</c>): PostgreSQL and the queues answer.</summary>
    public async Task<bool> ReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            using var response = await client.GetAsync(new Uri(BaseUrl + "/health/ready"), timeout.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
