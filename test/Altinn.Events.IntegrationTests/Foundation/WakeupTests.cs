using System.Diagnostics;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Messaging;
using Altinn.Events.Messaging.Wakeups;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using static Altinn.Events.IntegrationTests.Foundation.QueueListenerTests;

namespace Altinn.Events.IntegrationTests.Foundation;

/// <summary>
/// Listeners wake when work arrives: announced in this process, announced by another through PostgreSQL NOTIFY, or
/// (announcement lost) at the fallback poll; and a database restart does not leave them deaf. The polls are set far
/// apart (30 s) so only a wake-up can explain a message handled within <see cref="Prompt"/>. Prompt is generous
/// (5 s) because the clock also covers the queue send and, under a loaded CI machine, a wake-up was seen taking
/// 1.9 s end to end; it still sits far below the 30 s poll a missed wake-up would cost.
/// </summary>
public sealed class WakeupTests : IAsyncLifetime
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);
    private readonly TestQueues _queues = new();
    private readonly DatabaseFixture _database = new();

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        await _queues.CreateAllAsync();
    }

    public Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task ASendAnnouncedInThisProcess_WakesTheIdleListenerAtOnce()
    {
        var script = new Script(_ => Task.CompletedTask);
        using var host = await StartHostAsync(script, _database.ConnectionString);
        await Task.Delay(500);

        var sent = Stopwatch.StartNew();
        await host.Services.GetRequiredService<IQueueSender>().SendAsync(_queues.Inbound, "wake up", null, CancellationToken.None);

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(script.Completed == 1), TimeSpan.FromSeconds(10)));
        Assert.True(sent.Elapsed < Prompt, $"handled {sent.Elapsed} after the send");
        await host.StopAsync();
    }

    [Fact]
    public async Task AnAnnouncementFromAnotherProcess_WakesTheListener_ThroughNotify()
    {
        var script = new Script(_ => Task.CompletedTask);
        using var host = await StartHostAsync(script, _database.ConnectionString);
        await WaitListeningAsync(host, 1);

        var sent = Stopwatch.StartNew();
        await SendAsAnotherProcessAsync("from elsewhere", announce: true);

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(script.Completed == 1), TimeSpan.FromSeconds(10)));
        Assert.True(sent.Elapsed < Prompt, $"handled {sent.Elapsed} after the send");
        await host.StopAsync();
    }

    [Fact]
    public async Task ALostAnnouncement_CostsAtMostTheFallbackPoll()
    {
        var script = new Script(_ => Task.CompletedTask);
        var poll = TimeSpan.FromSeconds(2);
        using var host = await StartHostAsync(script, _database.ConnectionString, poll);
        await WaitListeningAsync(host, 1);

        var sent = Stopwatch.StartNew();
        await SendAsAnotherProcessAsync("nobody told", announce: false);

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(script.Completed == 1), TimeSpan.FromSeconds(10)));
        Assert.True(sent.Elapsed < poll + Prompt, $"handled {sent.Elapsed} after the send; the poll is {poll}");
        await host.StopAsync();
    }

    [Fact]
    public async Task ADatabaseRestart_DoesNotLeaveTheListenerDeaf()
    {
        var postgres = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        await using var proxy = new TcpProxy(postgres.Host!, postgres.Port);
        var throughProxy = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port }.ConnectionString;
        var script = new Script(_ => Task.CompletedTask);
        using var host = await StartHostAsync(script, throughProxy);
        await WaitListeningAsync(host, 1);

        // The database goes away (every connection reset, the port closed) and comes back.
        proxy.Down();
        await Task.Delay(TimeSpan.FromSeconds(2));
        proxy.Up();
        await WaitListeningAsync(host, 2);

        var sent = Stopwatch.StartNew();
        await SendAsAnotherProcessAsync("after the restart", announce: true);

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(script.Completed == 1), TimeSpan.FromSeconds(10)));
        Assert.True(sent.Elapsed < Prompt, $"handled {sent.Elapsed} after the send: the listener stayed deaf after the restart");
        await host.StopAsync();
    }

    /// <summary>A message sent straight to the queue, announced (or not) from a connection of its own.</summary>
    private async Task SendAsAnotherProcessAsync(string body, bool announce)
    {
        await _queues.Queue(_queues.Inbound).SendMessageAsync(body);
        if (announce)
        {
            await using var connection = new NpgsqlConnection(_database.ConnectionString);
            await connection.OpenAsync();
            await using var notify = new NpgsqlCommand("SELECT pg_notify('queue_wakeups', @queue)", connection);
            notify.Parameters.AddWithValue("queue", _queues.Inbound);
            await notify.ExecuteNonQueryAsync();
        }
    }

    private static async Task WaitListeningAsync(IHost host, int connects)
    {
        var listener = host.Services.GetServices<IHostedService>().OfType<PostgresWakeupListener>().Single();
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(listener.Connects >= connects), TimeSpan.FromSeconds(20)), $"the wake-up listener connected {listener.Connects} times, not {connects}");
        // Let the listener's first receive (on connecting it wakes everything) finish and go back to waiting.
        await Task.Delay(500);
    }

    private async Task<IHost> StartHostAsync(Script script, string database, TimeSpan? poll = null)
    {
        var config = _queues.Settings();
        var interval = (poll ?? TimeSpan.FromSeconds(30)).ToString();
        config["Stages:test:MinPollingInterval"] = interval;
        config["Stages:test:MaxPollingInterval"] = interval;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddSingleton(NpgsqlDataSource.Create(database));
        builder.Services.AddSingleton(script);
        builder.Services.AddQueueFunction<ScriptedFunction>("test", q => q.InboundQueue);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
