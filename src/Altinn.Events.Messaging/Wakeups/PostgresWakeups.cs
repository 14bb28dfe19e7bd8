using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Altinn.Events.Messaging.Wakeups;

/// <summary>
/// Announces sends with PostgreSQL <c>NOTIFY</c> on the database every host already uses, so listeners on other
/// processes and machines wake within milliseconds. Listeners here are woken at once, without the round trip. At most
/// one NOTIFY per queue is in flight: announcements made meanwhile are folded into one more after it, so a burst of
/// sends costs two notifications, not one each. Failures (the database down) are ignored: the listeners' fallback poll
/// covers them.
/// </summary>
internal sealed partial class PostgresQueueAnnouncer(NpgsqlDataSource dataSource, QueueWakeups wakeups, ILogger<PostgresQueueAnnouncer> logger) : IQueueAnnouncer
{
    public const string Channel = "queue_wakeups";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    public void Announce(string queue)
    {
        wakeups.Wake(queue);
        var state = _states.GetOrAdd(queue, _ => new State());
        while (true)
        {
            switch (Interlocked.CompareExchange(ref state.Value, State.Sending, State.Idle))
            {
                case State.Idle:
                    _ = NotifyLoopAsync(queue, state);
                    return;
                case State.Sending when Interlocked.CompareExchange(ref state.Value, State.SendingAndDirty, State.Sending) != State.Sending:
                    continue;
                default:
                    return;
            }
        }
    }

    private async Task NotifyLoopAsync(string queue, State state)
    {
        while (true)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT pg_notify($1, $2)");
                command.Parameters.AddWithValue(Channel);
                command.Parameters.AddWithValue(queue);
                await command.ExecuteNonQueryAsync();
            }
            catch (Exception ex)
            {
                LogNotifyFailed(logger, ex, queue);
            }

            // Dirty: announced again while sending, so send once more. Otherwise go idle, unless that raced with one more.
            if (Interlocked.CompareExchange(ref state.Value, State.Sending, State.SendingAndDirty) == State.SendingAndDirty)
            {
                continue;
            }

            if (Interlocked.CompareExchange(ref state.Value, State.Idle, State.Sending) == State.Sending)
            {
                return;
            }
        }
    }

    [LoggerMessage(LogEventIds.NotifyFailed, LogLevel.Debug, "Could not announce a send to {Queue}; its listeners find the message at their next poll")]
    private static partial void LogNotifyFailed(ILogger logger, Exception exception, string queue);

    private sealed class State
    {
        public const int Idle = 0;
        public const int Sending = 1;
        public const int SendingAndDirty = 2;

        public int Value;
    }
}

/// <summary>
/// Holds one connection that <c>LISTEN</c>s for announcements and wakes this process's listeners. When the connection
/// breaks (a database restart, a network cut), it reconnects with backoff and wakes every listener once, since signals
/// may have been missed meanwhile; until then the listeners poll as before.
/// </summary>
internal sealed partial class PostgresWakeupListener(NpgsqlDataSource dataSource, QueueWakeups wakeups, TimeProvider time, ILogger<PostgresWakeupListener> logger) : BackgroundService
{
    private static readonly TimeSpan LivenessCheck = TimeSpan.FromSeconds(30);

    /// <summary>How many times the listener has (re)started listening.</summary>
    public int Connects => _connects;

    private int _connects;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                try
                {
                    connection.Notification += (_, e) => wakeups.Wake(e.Payload);
                    await using (var listen = new NpgsqlCommand($"LISTEN {PostgresQueueAnnouncer.Channel}", connection))
                    {
                        await listen.ExecuteNonQueryAsync(stoppingToken);
                    }

                    Interlocked.Increment(ref _connects);
                    backoff = TimeSpan.FromMilliseconds(500);
                    wakeups.WakeAll();
                    LogListening(logger);
                    while (!stoppingToken.IsCancellationRequested)
                    {
                        if (!await connection.WaitAsync(LivenessCheck, stoppingToken))
                        {
                            // Quiet for a while: make sure the connection is still alive rather than silently gone.
                            await using var ping = new NpgsqlCommand("SELECT 1", connection);
                            await ping.ExecuteScalarAsync(stoppingToken);
                        }
                    }
                }
                finally
                {
                    // The pool resets no session state (PersistenceExtensions): a connection that is still open goes back
                    // listening to nothing.
                    await UnlistenAsync(connection);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogListenFailed(logger, ex, backoff);
                await Task.Delay(backoff, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private static async Task UnlistenAsync(NpgsqlConnection connection)
    {
        if (connection.FullState != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            await using var unlisten = new NpgsqlCommand("UNLISTEN *", connection) { CommandTimeout = 5 };
            await unlisten.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // Broken after all: the pool does not hand out a broken connection again.
        }
    }

    [LoggerMessage(LogEventIds.Listening, LogLevel.Information, "Listening for queue wake-ups")]
    private static partial void LogListening(ILogger logger);

    [LoggerMessage(LogEventIds.ListenFailed, LogLevel.Warning, "Lost the wake-up connection; listeners poll until it is back (retry in {Backoff})")]
    private static partial void LogListenFailed(ILogger logger, Exception exception, TimeSpan backoff);
}
