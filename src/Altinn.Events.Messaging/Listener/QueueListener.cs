using System.Collections.Concurrent;
using System.Text.Json;
using Altinn.Events.Messaging.Messages;
using Altinn.Events.Messaging.Wakeups;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Messaging.Listener;

/// <summary>
/// Runs <typeparamref name="TFunction"/> for each message on its queue with the semantics of an Azure Functions
/// queue trigger: messages are received in batches and stay invisible while they are worked on (renewed at half
/// the visibility timeout), a success deletes the message, a permanent error or the dequeue limit moves it to
/// <c>&lt;queue&gt;-poison</c> with the reason, and any other error puts it back with a growing visibility delay. An
/// outage of a dependency (<see cref="DependencyFailures"/>) is not the message's fault: the message waits with capped
/// backoff for as long as the outage lasts and never goes to poison, and the listener pauses receiving meanwhile.
/// On shutdown no new messages are taken; in-flight ones get <see cref="QueueListenerOptions.ShutdownDrainTimeout"/>
/// to finish, then are cancelled and made visible again at once, so nothing in flight is lost.
/// </summary>
public sealed class QueueListener<TFunction> : BackgroundService
    where TFunction : class, IQueueFunction
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan NeverExpire = TimeSpan.FromSeconds(-1);

    private readonly string _functionName;
    private readonly QueueClientFactory _queues;
    private readonly IServiceScopeFactory _scopes;
    private readonly QueueListenerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly OutageBackoff _backoff;
    private readonly QueueWakeups _wakeups;

    public QueueListener(
        string functionName,
        QueueClientFactory queues,
        IServiceScopeFactory scopes,
        IOptionsMonitor<QueueListenerOptions> options,
        QueueWakeups wakeups,
        TimeProvider time,
        ILogger<QueueListener<TFunction>> logger)
    {
        _functionName = functionName;
        _queues = queues;
        _scopes = scopes;
        _options = options.Get(functionName);
        _time = time;
        _logger = logger;
        _backoff = new OutageBackoff(time);
        _wakeups = wakeups;
    }

    public string FunctionName => _functionName;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = _queues.GetQueue(_options.QueueName);
        var poison = _queues.GetPoisonQueue(_options.QueueName);
        using var drain = new CancellationTokenSource();
        using var slots = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        var inFlight = new ConcurrentDictionary<Task, bool>();
        var idleDelay = _options.MinPollingInterval;

        Log.ListenerStarted(_logger, _functionName, _options.QueueName);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (_backoff.PausedFor() is { } pause)
                {
                    await Task.Delay(pause, _time, stoppingToken);
                }

                await slots.WaitAsync(stoppingToken);
                var wanted = 1;
                while (wanted < _options.BatchSize && slots.Wait(TimeSpan.Zero, stoppingToken))
                {
                    wanted++;
                }

                QueueMessage[] messages;
                var version = _wakeups.Version(_options.QueueName);
                try
                {
                    messages = (await queue.ReceiveMessagesAsync(wanted, _options.VisibilityTimeout, stoppingToken)).Value;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    slots.Release(wanted);
                    Log.ReceiveFailed(_logger, ex, _functionName, _options.QueueName);
                    await Task.Delay(_options.MaxPollingInterval, _time, stoppingToken);
                    continue;
                }

                if (messages.Length < wanted)
                {
                    slots.Release(wanted - messages.Length);
                }

                if (messages.Length == 0)
                {
                    // Woken as soon as a message is sent to the queue (by any process); the poll is the fallback.
                    if (await _wakeups.WaitAsync(_options.QueueName, version, idleDelay, _time, stoppingToken))
                    {
                        idleDelay = _options.MinPollingInterval;
                    }
                    else
                    {
                        idleDelay = TimeSpan.FromTicks(Math.Min(idleDelay.Ticks * 2, _options.MaxPollingInterval.Ticks));
                    }

                    continue;
                }

                idleDelay = _options.MinPollingInterval;
                foreach (var message in messages)
                {
                    var task = ProcessAndReleaseSlotAsync(queue, poison, message, slots, drain.Token);
                    inFlight[task] = true;
                    _ = task.ContinueWith(t => inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: stop taking messages and drain below.
        }

        var pending = inFlight.Keys.ToArray();
        if (pending.Length > 0)
        {
            Log.Draining(_logger, _functionName, pending.Length, _options.ShutdownDrainTimeout);
            var all = Task.WhenAll(pending);
            if (await Task.WhenAny(all, Task.Delay(_options.ShutdownDrainTimeout, _time, CancellationToken.None)) != all)
            {
                await drain.CancelAsync();
                await all;
            }
        }

        Log.ListenerStopped(_logger, _functionName);
    }

    private async Task ProcessAndReleaseSlotAsync(QueueClient queue, QueueClient poison, QueueMessage message, SemaphoreSlim slots, CancellationToken drainToken)
    {
        try
        {
            await ProcessAsync(queue, poison, message, drainToken);
        }
        catch (Exception ex)
        {
            // ProcessAsync settles every outcome itself; this only guards the listener loop.
            Log.SettleFailed(_logger, ex, _functionName, message.MessageId);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task ProcessAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken drainToken)
    {
        var lease = new Lease(message.PopReceipt);
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(drainToken);
        var renewTask = RenewAsync(queue, message.MessageId, lease, renewal.Token);

        Outcome outcome;
        string? reason = null;
        TimeSpan retryDelay = default;
        try
        {
            var context = new QueueMessageContext(_options.QueueName, message.MessageId, message.Body.ToString(), message.DequeueCount, message.InsertedOn);
            await using (var scope = _scopes.CreateAsyncScope())
            {
                var function = scope.ServiceProvider.GetRequiredService<TFunction>();
                await function.RunAsync(context, drainToken);
            }

            outcome = Outcome.Complete;
            _backoff.Succeeded();
        }
        catch (PermanentMessageException ex)
        {
            outcome = Outcome.Poison;
            reason = ex.Message;
        }
        catch (OperationCanceledException) when (drainToken.IsCancellationRequested)
        {
            outcome = Outcome.Release;
        }
        catch (Exception ex) when (DependencyFailures.Classify(ex) is { } dependency)
        {
            // An outage, not a fault of the message: it waits for as long as the outage lasts and never goes to poison.
            // The whole listener pauses too, since every other message would fail the same way.
            outcome = Outcome.Retry;
            retryDelay = _backoff.Failed(_options);
            Log.DependencyUnavailable(_logger, ex, _functionName, message.MessageId, dependency.ToString(), retryDelay);
        }
        catch (Exception ex)
        {
            if (message.DequeueCount >= _options.MaxDequeueCount)
            {
                outcome = Outcome.Poison;
                reason = $"Failed {message.DequeueCount} times; last error: {ex.GetType().Name}: {ex.Message}";
            }
            else
            {
                outcome = Outcome.Retry;
                retryDelay = _options.RetryDelay(message.DequeueCount);
                Log.TransientFailure(_logger, ex, _functionName, message.MessageId, message.DequeueCount, retryDelay);
            }
        }
        finally
        {
            await renewal.CancelAsync();
            await renewTask;
        }

        using var settle = new CancellationTokenSource(SettleTimeout);
        try
        {
            switch (outcome)
            {
                case Outcome.Complete:
                    await queue.DeleteMessageAsync(message.MessageId, lease.PopReceipt, settle.Token);
                    break;
                case Outcome.Poison:
                    var envelope = new PoisonMessage(_options.QueueName, message.MessageId, message.DequeueCount, reason!, _time.GetUtcNow(), message.InsertedOn, message.Body.ToString());
                    // Send before delete: a crash in between leaves a duplicate, never a loss.
                    await poison.SendMessageAsync(JsonSerializer.Serialize(envelope, QueueJsonContext.Default.PoisonMessage), null, NeverExpire, settle.Token);
                    await queue.DeleteMessageAsync(message.MessageId, lease.PopReceipt, settle.Token);
                    Log.MovedToPoison(_logger, _functionName, message.MessageId, message.DequeueCount, reason!);
                    break;
                case Outcome.Retry:
                    await queue.UpdateMessageAsync(message.MessageId, lease.PopReceipt, visibilityTimeout: retryDelay, cancellationToken: settle.Token);
                    break;
                case Outcome.Release:
                    await queue.UpdateMessageAsync(message.MessageId, lease.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: settle.Token);
                    Log.Released(_logger, _functionName, message.MessageId);
                    break;
            }
        }
        catch (RequestFailedException ex) when (DependencyFailures.IsLeaseLost(ex))
        {
            // The message is gone (404) or the pop receipt no longer matches (400): the visibility ran out and someone
            // else holds the message, or holds it no more. Either way it is not ours to settle.
            Log.LeaseLost(_logger, _functionName, message.MessageId);
        }
    }

    private async Task RenewAsync(QueueClient queue, string messageId, Lease lease, CancellationToken cancellationToken)
    {
        // A third of the timeout: one renewal may fail, or be slow, and the next still lands before the lease lapses.
        var interval = _options.VisibilityTimeout / 3;
        while (true)
        {
            try
            {
                await Task.Delay(interval, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                // Not cancellable on purpose: a renewal cut off mid-flight could leave us holding a stale pop receipt.
                var receipt = await queue.UpdateMessageAsync(messageId, lease.PopReceipt, visibilityTimeout: _options.VisibilityTimeout, cancellationToken: CancellationToken.None);
                lease.PopReceipt = receipt.Value.PopReceipt;
            }
            catch (Exception ex)
            {
                Log.RenewFailed(_logger, ex, _functionName, messageId);
            }
        }
    }

    private sealed class Lease(string popReceipt)
    {
        public string PopReceipt { get; set; } = popReceipt;
    }

    private enum Outcome
    {
        Complete,
        Retry,
        Poison,
        Release,
    }
}
