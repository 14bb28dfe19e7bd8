using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;

namespace Altinn.Events.IntegrationTests.EndToEnd;

/// <summary>
/// One subscription without a subject for a professional, through the whole service (API, relay, inbound and outbound
/// stages, embedded register and PDP with their default caches, a real webhook): a role granted reaches the pushes and a
/// role withdrawn stops them within seconds, measured from the change to the webhook (issue 19).
/// </summary>
public sealed class AllPartiesPushTests
{
    /// <summary>What "within seconds" is held to here (the decision cache lives 10 s; the reverse index is read fresh).</summary>
    private static readonly TimeSpan WithinSeconds = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task GrantAndWithdraw_ReachThePushesWithinSeconds()
    {
        await using var pipeline = await Pipeline.StartAsync();
        var parties = new TestParties(pipeline.Database.DataSource);
        var userId = TestParties.NextId();
        var own = await parties.PersonAsync(userId);
        var consumer = $"/user/{userId}";
        var first = await parties.OrganisationAsync();
        var second = await parties.OrganisationAsync();
        await parties.GrantAsync(consumer, first, "REGNA");

        var endpoint = pipeline.Receiver.Endpoint();
        using var user = pipeline.Client(TestTokens.ForUser(userId, own, scopes: ""));
        var created = await user.PostAsJsonAsync("/events/api/v1/subscriptions", new { endPoint = endpoint, resourceFilter = "urn:altinn:resource:app_ttd_apps-test" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("allParties").GetBoolean());
        Assert.True(
            await TestQueues.EventuallyAsync(async () => (await user.GetFromJsonAsync<JsonElement>(created.Headers.Location)).GetProperty("validated").GetBoolean(), TimeSpan.FromSeconds(30)),
            "the subscription was not validated");

        using var app = pipeline.Client(TestTokens.ForApp("ttd", "apps-test"));
        async Task<string> PublishAsync(int party)
        {
            var response = await app.PostAsync("/events/api/v1/app", new StringContent(EventBuilder.App(partyId: party).Json(), Encoding.UTF8, "application/cloudevents+json"));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<string>())!;
        }

        async Task<TimeSpan?> PushedWithinAsync(string id, TimeSpan wait)
        {
            var clock = Stopwatch.StartNew();
            return await TestQueues.EventuallyAsync(() => Task.FromResult(pipeline.PushedIds(endpoint).ContainsKey(id)), wait) ? clock.Elapsed : null;
        }

        // The party the consumer acts for: pushed. The other: not, while it holds no role there.
        var before = await PublishAsync(first);
        var notYet = await PublishAsync(second);
        Assert.NotNull(await PushedWithinAsync(before, TimeSpan.FromSeconds(30)));

        // Nothing about the other party is pushed while the consumer holds no role there. (Once the role is granted, an
        // event stored before may be pushed: the right is decided when the event is matched and pushed, not when stored.)
        Assert.DoesNotContain(notYet, pipeline.PushedIds(endpoint).Keys);

        // Granted: from the change, events about the party reach the webhook within seconds.
        var granted = Stopwatch.StartNew();
        await parties.GrantAsync(consumer, second, "DAGL");
        var afterGrant = await PublishAsync(second);
        Assert.NotNull(await PushedWithinAsync(afterGrant, WithinSeconds));
        var grantToPush = granted.Elapsed;

        // Withdrawn: from the change, events about the party are no longer pushed; the others still are.
        var withdrawn = Stopwatch.StartNew();
        await parties.WithdrawAsync(consumer, first);
        var afterWithdraw = await PublishAsync(first);
        var stillPermitted = await PublishAsync(second);
        Assert.NotNull(await PushedWithinAsync(stillPermitted, WithinSeconds));
        var withdrawToStop = withdrawn.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(2));

        var pushed = pipeline.PushedIds(endpoint);
        Assert.DoesNotContain(afterWithdraw, pushed.Keys);
        Assert.True(grantToPush < WithinSeconds, $"grant to push took {grantToPush}");
        Assert.True(withdrawToStop < WithinSeconds, $"withdrawal took {withdrawToStop} to settle");
        Console.WriteLine($"all-parties: grant to push {grantToPush.TotalMilliseconds:F0} ms; withdrawal settled (a later event of a still-permitted party pushed, none of the withdrawn one) in {withdrawToStop.TotalMilliseconds:F0} ms");
    }
}
