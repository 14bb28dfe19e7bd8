using System.Runtime.InteropServices;
using Altinn.Events.Chaos;

// Run by scripts/chaos.sh, which installs what is missing, builds, initialises the PostgreSQL cluster and passes the paths.
ChaosSettings settings;
try
{
    settings = ChaosSettings.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync($"chaos: {ex.Message}\n{ChaosSettings.Usage}");
    return 2;
}

using var cancel = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    Console.Error.WriteLine($"chaos: {context.Signal}, stopping everything");
    cancel.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
try
{
    return await new ChaosRun(settings, TimeProvider.System).RunAsync(cancel.Token);
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    await Console.Error.WriteLineAsync("chaos: cancelled");
    return 130;
}
catch (Exception ex)
{
    // Everything started has been stopped by then (ChaosRun's finally); a bug in the check is a failed check.
    await Console.Error.WriteLineAsync($"chaos: the check itself failed: {ex}");
    return 1;
}
