using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.Core.Events;
using Altinn.Events.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Altinn.Events.IntegrationTests.EndToEnd;

/// <summary>
/// Nothing acknowledged is lost, whatever happens to queue messages or dependencies: a message deleted by hand, and
/// PostgreSQL, the queues and the decision point each down for a while during a steady stream of publishing. Each test
/// runs the whole service (<see cref="Pipeline"/>) and checks every acknowledged event at the webhook.
/// </summary>
public sealed class RecoveryTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(15);

    // How long publishing may take to answer 201 again after an outage ends.
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);
    // The longest designed wait before PostgreSQL takes over work whose fate an outage left unknown: a claim whose commit
    // the stage never saw lapses after 110 s, a queued delivery whose message was handled during the outage is taken after
    // the 2 min queued grace. Nothing may be lost; it may take that long.
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task InboundMessageDeletedByHand_IsFoundAgainFromTheOutbox_AndTheEventReachesTheWebhook()
    {
        await using var pipeline = await Pipeline.StartAsync();
        var endpoint = await pipeline.SubscribeAsync();
        await pipeline.StopStagesAsync();

        using var app = pipeline.Client(TestTokens.ForApp("ttd", "apps-test"));
        var (status, id, _) = await pipeline.PublishAsync(app);
        Assert.Equal(HttpStatusCode.Created, status);
        var seq = await pipeline.SeqOfAsync(id!);

        // An operator deletes the relayed message (or the queue lost it): take every copy off the queue before any stage
        // could see one.
        var queue = pipeline.Queues.Queue(pipeline.Queues.Inbound);
        var deleted = 0;
        Assert.True(await TestQueues.EventuallyAsync(async () =>
        {
            foreach (var message in (await queue.ReceiveMessagesAsync(32)).Value)
            {
                if (JsonSerializer.Deserialize<InboundMessage>(message.Body.ToString(), new JsonSerializerOptions(JsonSerializerDefaults.Web))!.Events.Any(e => e.Seq == seq))
                {
                    deleted++;
                }

                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }

            return deleted > 0 && (await pipeline.Queues.PeekAsync(pipeline.Queues.Inbound)).Length == 0;
        }, TimeSpan.FromSeconds(10)), "the relay never sent the event");

        pipeline.StartStages();

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(pipeline.PushedIds(endpoint).ContainsKey(id!)), TimeSpan.FromSeconds(30)), "the event was lost with its queue message");
        Assert.Equal(1, pipeline.PushedIds(endpoint)[id!]);
        Assert.True(await TestQueues.EventuallyAsync(async () => await pipeline.OutboxRowsAsync() == 0, TimeSpan.FromSeconds(10)), "the outbox row outlived the matching");
    }

    [Fact]
    public async Task ValidationMessageDeletedByHand_IsSentAgainFromTheDatabase_AndTheSubscriptionIsValidated()
    {
        await using var pipeline = await Pipeline.StartAsync(new()
        {
            ["Validation:MessageGrace"] = "00:00:02",
            ["Validation:SweepInterval"] = "00:00:01",
        });
        await pipeline.StopStagesAsync();

        var endpoint = pipeline.Receiver.Endpoint();
        using var user = pipeline.Client(TestTokens.ForUser(1337, 50001));
        var created = await user.PostAsJsonAsync("/events/api/v1/subscriptions", new { endPoint = endpoint, resourceFilter = "urn:altinn:resource:app_ttd_apps-test", subjectFilter = "/party/50001" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        // The validation message is lost before the validation stage sees it.
        var queue = pipeline.Queues.Queue(pipeline.Queues.Validation);
        var lost = (await queue.ReceiveMessagesAsync(32)).Value;
        Assert.Single(lost);
        await queue.DeleteMessageAsync(lost[0].MessageId, lost[0].PopReceipt);

        pipeline.StartStages();

        Assert.True(await TestQueues.EventuallyAsync(async () => (await user.GetFromJsonAsync<JsonElement>(created.Headers.Location!)).GetProperty("validated").GetBoolean(), TimeSpan.FromSeconds(30)), "the subscription stayed pending for ever");
        Assert.Single(pipeline.Receiver.RequestsTo(endpoint));
    }

    [Fact]
    public async Task DatabaseDown_WhilePublishing_Answers503WithRetryAfter_NeverA500_AndEveryAcknowledgedEventIsPushed()
    {
        await using var pipeline = await Pipeline.StartAsync();
        var run = await RunWithOutageAsync(pipeline, pipeline.DatabaseProxy.Down, pipeline.DatabaseProxy.Up);

        Assert.True(run.Statuses.GetValueOrDefault(HttpStatusCode.ServiceUnavailable) > 0, $"no 503 while the database was down: {run}");
        Assert.True(run.RetryAfterOnEvery503, "a 503 without Retry-After");
        await run.AssertNothingLostAsync(pipeline);
    }

    [Fact]
    public async Task QueuesDown_WhilePublishing_PublishingGoesOn_AndEveryAcknowledgedEventIsPushed()
    {
        await using var pipeline = await Pipeline.StartAsync();
        var run = await RunWithOutageAsync(pipeline, pipeline.QueueProxy.Down, pipeline.QueueProxy.Up);

        // Publishing needs only the database: the relay keeps the rows and sends them when the queues are back.
        Assert.Equal(run.Acknowledged.Count, run.Statuses.Values.Sum());
        await run.AssertNothingLostAsync(pipeline);
    }

    [Fact]
    public async Task DecisionPointDown_WhilePublishing_MatchingWaits_AndEveryAcknowledgedEventIsPushed()
    {
        await using var pipeline = await Pipeline.StartAsync();
        var run = await RunWithOutageAsync(pipeline, () => pipeline.Pdp.Down = true, () => pipeline.Pdp.Down = false);

        Assert.False(pipeline.Pdp.Refused.IsEmpty, "no decision was asked during the outage");
        await run.AssertNothingLostAsync(pipeline);
    }

    /// <summary>
    /// Publishes one event every 50 ms for 5 s, through <see cref="Outage"/> of a dependency, and after it for at least 5 s
    /// and until 50 more were acknowledged (at most <see cref="Recovery"/>: a slow machine acknowledges fewer per second,
    /// and a fixed 5 s once left too few to prove anything).
    /// </summary>
    private async Task<Run> RunWithOutageAsync(Pipeline pipeline, Action down, Action up)
    {
        var endpoint = await pipeline.SubscribeAsync();
        var run = new Run(endpoint);
        using var app = pipeline.Client(TestTokens.ForApp("ttd", "apps-test"));
        var clock = Stopwatch.StartNew();
        var outageStarted = false;
        var outageEnded = false;
        while (clock.Elapsed < TimeSpan.FromSeconds(10) + Outage
            || (run.AcknowledgedAfterOutage < 50 && clock.Elapsed < TimeSpan.FromSeconds(5) + Outage + Recovery))
        {
            if (!outageStarted && clock.Elapsed > TimeSpan.FromSeconds(5))
            {
                down();
                outageStarted = true;
            }

            if (!outageEnded && clock.Elapsed > TimeSpan.FromSeconds(5) + Outage)
            {
                up();
                outageEnded = true;
                run.UpAt = clock.Elapsed;
            }

            var (status, id, response) = await pipeline.PublishAsync(app);
            run.Statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            if (id is not null)
            {
                run.Acknowledged.Add(id);
                run.AcknowledgedBeforeOutage += outageStarted ? 0 : 1;
                run.AcknowledgedAfterOutage += outageEnded ? 1 : 0;
                run.FirstAcknowledgedAfterUp ??= outageEnded ? clock.Elapsed - run.UpAt : null;
            }
            else if (status == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is null)
            {
                run.RetryAfterOnEvery503 = false;
            }

            await Task.Delay(50);
        }

        output.WriteLine(run.ToString());
        return run;
    }

    private sealed class Run(string endpoint)
    {
        public ConcurrentBag<string> Acknowledged { get; } = [];

        public ConcurrentDictionary<HttpStatusCode, int> Statuses { get; } = new();

        public bool RetryAfterOnEvery503 { get; set; } = true;

        public int AcknowledgedBeforeOutage { get; set; }

        public int AcknowledgedAfterOutage { get; set; }

        public TimeSpan UpAt { get; set; }

        public TimeSpan? FirstAcknowledgedAfterUp { get; set; }

        public async Task AssertNothingLostAsync(Pipeline pipeline)
        {
            Assert.False(Statuses.ContainsKey(HttpStatusCode.InternalServerError), $"500 answered: {this}");
            Assert.True(AcknowledgedBeforeOutage >= 20, $"too little was acknowledged before the outage to prove anything: {this}");
            Assert.True(AcknowledgedAfterOutage >= 50, $"publishing did not recover within {Recovery} after the outage: {this}");
            var drained = await TestQueues.EventuallyAsync(() => Task.FromResult(Acknowledged.All(pipeline.PushedIds(endpoint).ContainsKey)), Drain);
            var pushed = pipeline.PushedIds(endpoint);
            var missing = Acknowledged.Where(id => !pushed.ContainsKey(id)).ToList();
            Assert.True(drained, $"{missing.Count} of {Acknowledged.Count} acknowledged events never reached the webhook: {this}");
            Assert.Empty(await pipeline.Queues.PoisonedAsync(pipeline.Queues.Inbound));
            Assert.Empty(await pipeline.Queues.PoisonedAsync(pipeline.Queues.Outbound));
        }

        public override string ToString() => $"{Acknowledged.Count} acknowledged ({AcknowledgedBeforeOutage} before the outage, {AcknowledgedAfterOutage} after, the first {FirstAcknowledgedAfterUp?.TotalSeconds:0.0} s after it ended); " + string.Join(", ", Statuses.OrderBy(s => s.Key).Select(s => $"{(int)s.Key}: {s.Value}"));
    }
}
