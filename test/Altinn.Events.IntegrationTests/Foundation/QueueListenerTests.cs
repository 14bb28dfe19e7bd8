using System.Collections.Concurrent;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Messaging;
using Altinn.Events.Messaging.Listener;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Altinn.Events.IntegrationTests.Foundation;

/// <summary>The generic listener against the real Azurite: complete, permanent, transient, shutdown, renewal.</summary>
public sealed class QueueListenerTests
{
    private readonly TestQueues _queues = new();

    [Fact]
    public async Task Message_HandledSuccessfully_IsDeletedAfterOneAttempt()
    {
        var script = new Script(_ => Task.CompletedTask);
        using var host = await StartHostAsync(script);

        await _queues.Queue(_queues.Inbound).SendMessageAsync("{\"hello\":1}");

        Assert.True(await TestQueues.EventuallyAsync(async () => script.Attempts.Count == 1 && (await _queues.PeekAsync(_queues.Inbound)).Length == 0, TimeSpan.FromSeconds(10)));
        var attempt = Assert.Single(script.Attempts);
        Assert.Equal("{\"hello\":1}", attempt.Body);
        Assert.Equal(1, attempt.DequeueCount);
        Assert.Empty(await _queues.PoisonedAsync(_queues.Inbound));
        await host.StopAsync();
    }

    [Fact]
    public async Task Message_ThrowingPermanentError_GoesToPoisonAtOnceWithTheReason()
    {
        var script = new Script(_ => throw new PermanentMessageException("body is not a batch of events"));
        using var host = await StartHostAsync(script);

        await _queues.Queue(_queues.Inbound).SendMessageAsync("not json");

        Assert.True(await TestQueues.EventuallyAsync(async () => (await _queues.PoisonedAsync(_queues.Inbound)).Length == 1, TimeSpan.FromSeconds(10)));
        var poisoned = Assert.Single(await _queues.PoisonedAsync(_queues.Inbound));
        Assert.Equal("body is not a batch of events", poisoned.Reason);
        Assert.Equal("not json", poisoned.Body);
        Assert.Equal(_queues.Inbound, poisoned.Queue);
        Assert.Single(script.Attempts);
        Assert.Empty(await _queues.PeekAsync(_queues.Inbound));
        await host.StopAsync();
    }

    [Fact]
    public async Task Message_WhoseFunctionFails_IsRetriedWithGrowingDelay_ThenPoisonedAtTheLimit()
    {
        var script = new Script(_ => throw new InvalidOperationException("database did not answer"));
        using var host = await StartHostAsync(script, new()
        {
            ["Stages:test:MaxDequeueCount"] = "3",
            ["Stages:test:RetryBaseDelay"] = "00:00:01",
        });

        await _queues.Queue(_queues.Inbound).SendMessageAsync("retry me");

        Assert.True(await TestQueues.EventuallyAsync(async () => (await _queues.PoisonedAsync(_queues.Inbound)).Length == 1, TimeSpan.FromSeconds(20)));
        var attempts = script.Attempts.ToArray();
        Assert.Equal([1L, 2L, 3L], attempts.Select(a => a.DequeueCount));
        // Invisible for at least the base delay after the first failure, and at least twice that after the second.
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromMilliseconds(900), $"first retry after {attempts[1].At - attempts[0].At}");
        Assert.True(attempts[2].At - attempts[1].At >= TimeSpan.FromMilliseconds(1900), $"second retry after {attempts[2].At - attempts[1].At}");
        var poisoned = Assert.Single(await _queues.PoisonedAsync(_queues.Inbound));
        Assert.Contains("Failed 3 times", poisoned.Reason);
        Assert.Contains("database did not answer", poisoned.Reason);
        await host.StopAsync();
    }

    [Fact]
    public async Task Message_FailingOnAnOutage_WaitsPastTheDequeueLimit_AndIsNeverPoisoned()
    {
        // Five attempts meet a dependency that is down (a timeout, as a dead database gives), the sixth finds it back.
        var script = new Script(_ => throw new TimeoutException("database did not answer"), succeedFrom: 6);
        using var host = await StartHostAsync(script, new()
        {
            ["Stages:test:MaxDequeueCount"] = "3",
            ["Stages:test:OutageBaseDelay"] = "00:00:00.200",
            ["Stages:test:OutageMaxDelay"] = "00:00:01",
        });

        await _queues.Queue(_queues.Inbound).SendMessageAsync("wait for the database");

        Assert.True(await TestQueues.EventuallyAsync(async () => script.Completed == 1 && (await _queues.PeekAsync(_queues.Inbound)).Length == 0, TimeSpan.FromSeconds(30)));
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], script.Attempts.Select(a => a.DequeueCount));
        Assert.Empty(await _queues.PoisonedAsync(_queues.Inbound));
        await host.StopAsync();
    }

    [Fact]
    public async Task Message_DequeuedBeyondTheLimitByProcessesThatDied_IsProcessed_NotPoisoned()
    {
        await _queues.CreateAllAsync();
        var queue = _queues.Queue(_queues.Inbound);
        await queue.SendMessageAsync("survivor of crashes");
        // What kill -9 mid-message leaves: dequeued, never settled, visible again when the visibility ends.
        for (var i = 0; i < 4; i++)
        {
            Assert.True(await TestQueues.EventuallyAsync(async () => (await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(1))).Value.Length == 1, TimeSpan.FromSeconds(10)));
        }

        var script = new Script(_ => Task.CompletedTask);
        using var host = await StartHostAsync(script, new() { ["Stages:test:MaxDequeueCount"] = "3" });

        Assert.True(await TestQueues.EventuallyAsync(async () => script.Completed == 1 && (await _queues.PeekAsync(_queues.Inbound)).Length == 0, TimeSpan.FromSeconds(15)));
        Assert.Equal(5, Assert.Single(script.Attempts).DequeueCount);
        Assert.Empty(await _queues.PoisonedAsync(_queues.Inbound));
        await host.StopAsync();
    }

    [Fact]
    public async Task HostStoppedMidMessage_ReleasesIt_AndTheNextHostProcessesIt()
    {
        var started = new TaskCompletionSource();
        var blocking = new Script(async ct =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        using (var host = await StartHostAsync(blocking, new() { ["Stages:test:ShutdownDrainTimeout"] = "00:00:00.500" }))
        {
            await _queues.Queue(_queues.Inbound).SendMessageAsync("in flight");
            await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await host.StopAsync();
        }

        // Released at once, not after the visibility timeout (a minute by default).
        var visible = await _queues.PeekAsync(_queues.Inbound);
        Assert.Equal("in flight", Assert.Single(visible).Body.ToString());

        var finishing = new Script(_ => Task.CompletedTask);
        using var next = await StartHostAsync(finishing);
        Assert.True(await TestQueues.EventuallyAsync(async () => finishing.Attempts.Count == 1 && (await _queues.PeekAsync(_queues.Inbound)).Length == 0, TimeSpan.FromSeconds(10)));
        Assert.Equal(2, finishing.Attempts.Single().DequeueCount);
        Assert.Empty(await _queues.PoisonedAsync(_queues.Inbound));
        await next.StopAsync();
    }

    [Fact]
    public async Task HostStoppedWhileHandlerFinishesWithinDrainTimeout_CompletesTheMessage()
    {
        var started = new TaskCompletionSource();
        var slow = new Script(async _ =>
        {
            started.TrySetResult();
            await Task.Delay(700, CancellationToken.None);
        });
        using var host = await StartHostAsync(slow, new() { ["Stages:test:ShutdownDrainTimeout"] = "00:00:05" });
        await _queues.Queue(_queues.Inbound).SendMessageAsync("almost done");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await host.StopAsync();

        Assert.Empty(await _queues.PeekAsync(_queues.Inbound));
        Assert.Single(slow.Attempts);
    }

    [Fact]
    public async Task LongRunningMessage_KeepsItsLeaseBeyondTheVisibilityTimeout()
    {
        var script = new Script(_ => Task.Delay(5000, CancellationToken.None));
        using var host = await StartHostAsync(script, new() { ["Stages:test:VisibilityTimeout"] = "00:00:02" });

        await _queues.Queue(_queues.Inbound).SendMessageAsync("slow");

        Assert.True(await TestQueues.EventuallyAsync(async () => script.Completed == 1 && (await _queues.PeekAsync(_queues.Inbound)).Length == 0, TimeSpan.FromSeconds(15)));
        // Without renewal the message would have become visible after 2 s and run a second time.
        Assert.Single(script.Attempts);
        await host.StopAsync();
    }

    [Fact]
    public async Task ManyMessages_AreProcessedConcurrently_EachOnce()
    {
        var script = new Script(_ => Task.Delay(200, CancellationToken.None));
        using var host = await StartHostAsync(script);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => _queues.Queue(_queues.Inbound).SendMessageAsync($"m{i}")));

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(script.Completed == 40), TimeSpan.FromSeconds(20)));
        Assert.Equal(40, script.Attempts.Select(a => a.Body).Distinct().Count());
        Assert.True(script.MaxConcurrent > 1, $"max concurrency seen {script.MaxConcurrent}");
        await host.StopAsync();
    }

    [Fact]
    public void RetryDelay_DoublesFromTheBase_UpToTheCap()
    {
        var options = new QueueListenerOptions { RetryBaseDelay = TimeSpan.FromSeconds(5), RetryMaxDelay = TimeSpan.FromSeconds(30) };

        Assert.Equal(
            new[] { 5, 10, 20, 30, 30 }.Select(s => TimeSpan.FromSeconds(s)),
            Enumerable.Range(1, 5).Select(n => options.RetryDelay(n)));
    }

    [Fact]
    public void RetryDelay_RoundsUpToWholeSeconds_BecauseStorageCountsInSeconds()
    {
        var options = new QueueListenerOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(400) };

        Assert.Equal(TimeSpan.FromSeconds(1), options.RetryDelay(1));
        Assert.Equal(TimeSpan.FromSeconds(1), options.RetryDelay(2));
        Assert.Equal(TimeSpan.FromSeconds(2), options.RetryDelay(3));
    }

    private async Task<IHost> StartHostAsync(Script script, Dictionary<string, string?>? settings = null)
    {
        var config = _queues.Settings();
        config["Stages:test:MinPollingInterval"] = "00:00:00.020";
        config["Stages:test:MaxPollingInterval"] = "00:00:00.100";
        config["Stages:test:RetryBaseDelay"] = "00:00:00.100";
        foreach (var (key, value) in settings ?? [])
        {
            config[key] = value;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddSingleton(script);
        builder.Services.AddQueueFunction<ScriptedFunction>("test", q => q.InboundQueue);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>
    /// What the function under test does, and what it saw: runs <paramref name="behaviour"/> on each attempt, and from
    /// attempt <paramref name="succeedFrom"/> on succeeds.
    /// </summary>
    public sealed class Script(Func<CancellationToken, Task> behaviour, int succeedFrom = int.MaxValue)
    {
        private int _running;
        private int _maxConcurrent;
        private int _completed;

        public ConcurrentQueue<(string Body, long DequeueCount, DateTime At)> Attempts { get; } = new();

        public int MaxConcurrent => _maxConcurrent;

        public int Completed => _completed;

        public async Task RunAsync(QueueMessageContext message, CancellationToken cancellationToken)
        {
            Attempts.Enqueue((message.Body, message.DequeueCount, DateTime.UtcNow));
            var now = Interlocked.Increment(ref _running);
            InterlockedMax(ref _maxConcurrent, now);
            try
            {
                if (Attempts.Count < succeedFrom)
                {
                    await behaviour(cancellationToken);
                }

                Interlocked.Increment(ref _completed);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }

    public sealed class ScriptedFunction(Script script) : IQueueFunction
    {
        public Task RunAsync(QueueMessageContext message, CancellationToken cancellationToken) => script.RunAsync(message, cancellationToken);
    }
}
