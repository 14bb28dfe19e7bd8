using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Altinn.Events.Core.Events;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Events;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Altinn.Events.IntegrationTests.Publishing;

/// <summary>From commit to the inbound queue: nothing lost, nothing skipped, at least once; and retention.</summary>
public sealed class OutboxPipelineTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task ConcurrentPublishers_EveryEventReachesTheInboundQueue_NoneMissing()
    {
        const int Publishers = 20;
        const int EventsEach = 500;
        var published = new ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, Publishers).Select(async _ =>
        {
            using var client = api.Client(TestTokens.ForOrg("ttd"));
            for (var i = 0; i < EventsEach; i++)
            {
                var e = EventBuilder.Generic();
                var response = await client.PostAsync("/events/api/v1/events", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json"));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                published.Add(e.Id);
            }
        }));

        var queued = new HashSet<long>();
        var messages = 0;
        var queue = api.Queues.Queue(api.Queues.Inbound);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var expected = await SeqsOfAsync(published);
        while (!expected.IsSubsetOf(queued) && DateTime.UtcNow < deadline)
        {
            var received = (await queue.ReceiveMessagesAsync(32)).Value;
            foreach (var message in received)
            {
                messages++;
                queued.UnionWith(JsonSerializer.Deserialize<InboundMessage>(message.Body.ToString(), Json)!.Events.Select(r => r.Seq));
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }

            if (received.Length == 0)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(Publishers * EventsEach, expected.Count);
        Assert.Empty(expected.Except(queued));
        // Batched: far fewer queue messages than events.
        Assert.True(messages < expected.Count / 10, $"{messages} messages for {expected.Count} events");
        // Every row is leased, none due: they stay until the inbound stage (not running here) has matched their events.
        Assert.True(await TestQueues.EventuallyAsync(async () => await DueRowsAsync(api.Database, expected) == 0, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task RelayThatDiesAfterSendingBeforeLeasing_LeavesTheRowsDue_AndTheNextRelaySendsThemAgain()
    {
        await using var db = new DatabaseFixture();
        await db.InitializeAsync();
        var seqs = await InsertEventsAsync(db, 5);
        var outbox = new Outbox(db.DataSource);
        var sentFirst = new List<long>();

        await Assert.ThrowsAsync<InvalidOperationException>(() => RelayAsync(outbox, 100, DateTimeOffset.UtcNow, (refs, _) =>
        {
            sentFirst.AddRange(refs.Select(r => r.Seq));
            throw new InvalidOperationException("process killed");
        }));

        var sentSecond = new List<long>();
        var (relayed, resent) = await RelayAsync(outbox, 100, DateTimeOffset.UtcNow, (refs, _) =>
        {
            sentSecond.AddRange(refs.Select(r => r.Seq));
            return Task.CompletedTask;
        });

        Assert.Equal(seqs, sentFirst.Order());
        Assert.Equal(seqs, sentSecond.Order());
        Assert.Equal((5, 0), (relayed, resent));
        Assert.Equal(5, await outbox.CountAsync(CancellationToken.None));
        Assert.Equal(0, await DueRowsAsync(db, seqs));
    }

    [Fact]
    public async Task UnderLoad_RelayRoundsGatherManyCommitsPerMessage_AnIdleEventGoesAtOnce_NoneLostOrSentTwice()
    {
        await using var db = new DatabaseFixture();
        await db.InitializeAsync();
        using var signal = new OutboxSignal();
        var sender = new RecordingSender();
        var relay = new Altinn.Events.Api.Publishing.OutboxRelayService(
            new Outbox(db.DataSource), signal, new Altinn.Events.Messaging.Messages.EventQueues(sender, Options.Create(new Altinn.Events.Messaging.QueueOptions())),
            Options.Create(new Altinn.Events.Api.Publishing.RelayOptions { Gather = TimeSpan.FromSeconds(1), PollInterval = TimeSpan.FromMinutes(1) }),
            TimeProvider.System, NullLogger<Altinn.Events.Api.Publishing.OutboxRelayService>.Instance);
        await relay.StartAsync(CancellationToken.None);
        try
        {
            // Idle: one commit is relayed at once, not after the gather time.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await InsertEventsAsync(db, 1);
            signal.Notify();
            Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(sender.Messages.Count == 1), TimeSpan.FromSeconds(5)));
            Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(700), $"an idle event waited {clock.Elapsed.TotalMilliseconds} ms");
            await Task.Delay(1200);

            // Load: ten commits 50 ms apart. The first is relayed at once; the round after it waits out the gather time
            // and takes the other nine together.
            for (var i = 0; i < 10; i++)
            {
                await InsertEventsAsync(db, 3);
                signal.Notify();
                await Task.Delay(50);
            }

            await using var connection = await db.DataSource.OpenConnectionAsync();
            var all = (await connection.QueryAsync<long>("SELECT seq FROM outbox")).ToHashSet();
            Assert.Equal(31, all.Count);
            Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(sender.Messages.Sum(m => m.Count) >= all.Count), TimeSpan.FromSeconds(10)));
            await Task.Delay(300);

            var sent = sender.Messages.SelectMany(m => m).ToList();
            Assert.Equal(all.Order(), sent.Order());
            Assert.Equal(sent.Count, sent.Distinct().Count());
            Assert.True(sender.Messages.Count <= 4, $"{sender.Messages.Count} messages for 11 commits: {string.Join(", ", sender.Messages.Select(m => m.Count))}");
        }
        finally
        {
            await relay.StopAsync(CancellationToken.None);
        }
    }

    private sealed class RecordingSender : Altinn.Events.Messaging.IQueueSender
    {
        public ConcurrentQueue<List<long>> Messages { get; } = new();

        public Task SendAsync(string queueName, string body, TimeSpan? visibilityDelay, CancellationToken cancellationToken)
        {
            Messages.Enqueue([.. JsonSerializer.Deserialize<InboundMessage>(body, Json)!.Events.Select(e => e.Seq)]);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task RowsNotMatchedWithinTheirLease_AreSentAgain_WithTheLeaseDoublingUpToTheLongest()
    {
        await using var db = new DatabaseFixture();
        await db.InitializeAsync();
        var seqs = await InsertEventsAsync(db, 3);
        var outbox = new Outbox(db.DataSource);
        var start = DateTimeOffset.UtcNow;
        var lease = TimeSpan.FromMinutes(1);
        var longest = TimeSpan.FromMinutes(3);
        var sends = new List<(TimeSpan At, int Count)>();
        async Task RelayAt(TimeSpan at) => await outbox.RelayAsync(100, start + at, lease, longest, (refs, _) =>
        {
            sends.Add((at, refs.Count));
            return Task.CompletedTask;
        }, CancellationToken.None);

        // First send at 0: leased 1 min. Second at 1 min: leased 2 min (until 3). Third at 3: 4 min capped at 3 (until 6).
        foreach (var minute in new[] { 0, 0.5, 1, 2.5, 3, 5.5, 6 })
        {
            await RelayAt(TimeSpan.FromMinutes(minute));
        }

        Assert.Equal([(TimeSpan.Zero, 3), (TimeSpan.FromMinutes(1), 3), (TimeSpan.FromMinutes(3), 3), (TimeSpan.FromMinutes(6), 3)], sends);

        // Once the inbound stage has matched an event (deleting its row with the deliveries), it is never sent again.
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await Outbox.SettleAsync(connection, tx, [seqs[0], seqs[1]], CancellationToken.None);
            await tx.CommitAsync();
        }

        await RelayAt(TimeSpan.FromMinutes(60));
        Assert.Equal((TimeSpan.FromMinutes(60), 1), sends[^1]);
        Assert.Equal(1, await outbox.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AnInboundAttemptThatCommittedButNeverHandedOn_IsHandedOnByTheRetry_NotAfterTheGrace()
    {
        await using var db = new DatabaseFixture();
        await db.InitializeAsync();
        var seqs = await InsertEventsAsync(db, 2);
        var registered = await RegisteredAsync(db, seqs);
        var recorder = new Altinn.Events.Persistence.Delivery.DeliveryRecorder(db.DataSource);
        var subscription = Guid.NewGuid();
        var pairs = seqs.Select(seq => new Altinn.Events.Persistence.Delivery.NewDelivery(subscription, seq, registered[seq], "queued", null)).ToList();

        // The first attempt commits, then its hand-on fails (the process died, the queue did not answer).
        await Assert.ThrowsAsync<InvalidOperationException>(() => recorder.RecordAsync(seqs, pairs, DateTimeOffset.UtcNow, (_, _) => throw new InvalidOperationException("died after the commit"), retry: false, CancellationToken.None));

        // A copy of the message on its first dequeue hands nothing on (the pairs are recorded) ...
        var handedOn = new List<long>();
        await recorder.RecordAsync(seqs, pairs, DateTimeOffset.UtcNow, (fresh, _) => { handedOn.AddRange(fresh.Select(f => f.Seq)); return Task.CompletedTask; }, retry: false, CancellationToken.None);
        Assert.Empty(handedOn);

        // ... the retry of the message hands on what is still queued, and nothing that was settled meanwhile.
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE deliveries SET status = 'delivered', due = NULL WHERE event_seq = @seq", new { seq = seqs[1] });
        }

        await recorder.RecordAsync(seqs, pairs, DateTimeOffset.UtcNow, (fresh, _) => { handedOn.AddRange(fresh.Select(f => f.Seq)); return Task.CompletedTask; }, retry: true, CancellationToken.None);
        Assert.Equal([seqs[0]], handedOn);
        Assert.Equal(0, await new Outbox(db.DataSource).CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task TwoRelaysAtOnce_NeverTakeTheSameRows()
    {
        await using var db = new DatabaseFixture();
        await db.InitializeAsync();
        var seqs = await InsertEventsAsync(db, 40);
        var outbox = new Outbox(db.DataSource);
        var taken = new ConcurrentBag<long>();
        var bothInside = new Barrier(2);

        var relays = Enumerable.Range(0, 2).Select(_ => Task.Run(() => RelayAsync(outbox, 20, DateTimeOffset.UtcNow, async (refs, _) =>
        {
            foreach (var r in refs)
            {
                taken.Add(r.Seq);
            }

            bothInside.SignalAndWait(TimeSpan.FromSeconds(10), CancellationToken.None);
            await Task.Yield();
        })));
        var counts = await Task.WhenAll(relays);

        Assert.Equal([20, 20], counts.Select(c => c.Relayed));
        Assert.Equal(seqs, taken.Order());
    }

    [Fact]
    public async Task OutboxRowsCommittedOutOfSequenceOrder_AreAllRelayed()
    {
        await using var db = new DatabaseFixture();
        await db.InitializeAsync();
        // Transaction A writes the lower sequence number but commits after B: the relay must still send it.
        await using var a = await db.DataSource.OpenConnectionAsync();
        await using var txA = await a.BeginTransactionAsync();
        await a.ExecuteAsync("INSERT INTO outbox (seq, registered, due) VALUES (1, now(), now())", transaction: txA);
        await using (var b = await db.DataSource.OpenConnectionAsync())
        {
            await b.ExecuteAsync("INSERT INTO outbox (seq, registered, due) VALUES (2, now(), now())");
        }

        var outbox = new Outbox(db.DataSource);
        var sent = new List<long>();
        Task Send(IReadOnlyList<EventReference> refs, CancellationToken _)
        {
            sent.AddRange(refs.Select(r => r.Seq));
            return Task.CompletedTask;
        }

        await RelayAsync(outbox, 100, DateTimeOffset.UtcNow, Send);
        await txA.CommitAsync();
        await RelayAsync(outbox, 100, DateTimeOffset.UtcNow, Send);

        Assert.Equal([2L, 1L], sent);
        Assert.Equal(0, await DueRowsAsync(db, [1, 2]));
    }

    [Fact]
    public async Task ConcurrentWriters_CommitInSequenceOrder()
    {
        await using var db = new DatabaseFixture();
        await db.InitializeAsync();
        // Writer A holds the write lock (as if mid-commit); B must wait for it rather than commit a higher number first.
        await using var a = await db.DataSource.OpenConnectionAsync();
        await using var txA = await a.BeginTransactionAsync();
        await EventStore.InsertAsync(a, txA, [NewEvent("a")], TimeProvider.System, CancellationToken.None);

        var b = InsertEventsAsync(db, 1);
        await Task.Delay(300);
        Assert.False(b.IsCompleted, "B committed while A held the lower sequence number uncommitted");
        await txA.CommitAsync();
        await b;

        await using var check = await db.DataSource.OpenConnectionAsync();
        var ordered = (await check.QueryAsync<string>("SELECT id FROM events ORDER BY seq")).ToList();
        Assert.Equal("a", ordered[0]);
    }

    [Fact]
    public async Task Retention_DropsExpiredPartitions_KeepsCurrentOnes_AndCreatesDaysAhead()
    {
        await using var db = new DatabaseFixture();
        await db.InitializeAsync();
        var now = new DateTimeOffset(DateTime.UtcNow.Date.AddHours(12), TimeSpan.Zero);
        var old = now.AddDays(-100);
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("SELECT ensure_daily_partitions('events', @day::date, 1)", new { day = old.UtcDateTime.Date });
            await using var tx = await connection.BeginTransactionAsync();
            await EventStore.InsertAsync(connection, tx, [NewEvent("old")], new FakeTimeProvider(old), CancellationToken.None);
            await EventStore.InsertAsync(connection, tx, [NewEvent("current")], new FakeTimeProvider(now), CancellationToken.None);
            await tx.CommitAsync();
        }

        var maintenance = new PartitionMaintenance(db.DataSource, new FakeTimeProvider(now), Options.Create(new RetentionOptions { Days = 90, DaysAhead = 3 }), NullLogger<PartitionMaintenance>.Instance);
        var dropped = await maintenance.RunOnceAsync(CancellationToken.None);

        Assert.Equal([$"events_p{old:yyyyMMdd}"], dropped);
        await using var check = await db.DataSource.OpenConnectionAsync();
        Assert.Equal(["current"], await check.QueryAsync<string>("SELECT id FROM events"));
        Assert.Equal(1, await check.ExecuteScalarAsync<int>("SELECT count(*) FROM event_keys"));
        var partitions = (await check.QueryAsync<string>("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass")).ToHashSet();
        Assert.Contains($"events_p{now.AddDays(3):yyyyMMdd}", partitions);
        Assert.Contains($"events_p{now:yyyyMMdd}", partitions);
    }

    private static NewEvent NewEvent(string id) =>
        new(id, "https://tests.example/events", "urn:altinn:resource:ttd-events-test", "test.created", "/party/50001", null, 50001, DateTimeOffset.UtcNow, $"{{\"id\":\"{id}\"}}");

    private static async Task<List<long>> InsertEventsAsync(DatabaseFixture db, int count)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await EventStore.InsertAsync(connection, tx, [.. Enumerable.Range(0, count).Select(_ => NewEvent(Guid.NewGuid().ToString()))], TimeProvider.System, CancellationToken.None);
        await tx.CommitAsync();
        return [.. await connection.QueryAsync<long>("SELECT seq FROM outbox ORDER BY seq")];
    }

    private static Task<(int Relayed, int Resent)> RelayAsync(Outbox outbox, int max, DateTimeOffset now, Func<IReadOnlyList<EventReference>, CancellationToken, Task> send) =>
        outbox.RelayAsync(max, now, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30), send, CancellationToken.None);

    private static async Task<Dictionary<long, DateTimeOffset>> RegisteredAsync(DatabaseFixture db, IEnumerable<long> seqs)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<(long Seq, DateTime Registered)>("SELECT seq, registered FROM events WHERE seq = ANY(@seqs)", new { seqs = seqs.ToArray() }))
            .ToDictionary(r => r.Seq, r => new DateTimeOffset(DateTime.SpecifyKind(r.Registered, DateTimeKind.Utc)));
    }

    /// <summary>How many of the rows are due now (not leased).</summary>
    private static async Task<int> DueRowsAsync(DatabaseFixture db, IEnumerable<long> seqs)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM outbox WHERE seq = ANY(@seqs) AND due <= now()", new { seqs = seqs.ToArray() });
    }

    private async Task<HashSet<long>> SeqsOfAsync(IEnumerable<string> ids)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        return [.. await connection.QueryAsync<long>("SELECT seq FROM events WHERE id = ANY(@ids)", new { ids = ids.ToArray() })];
    }
}
