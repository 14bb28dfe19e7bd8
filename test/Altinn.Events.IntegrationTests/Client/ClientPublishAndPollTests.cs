using System.Net;
using System.Text.Json;
using Altinn.Events.Client;
using Altinn.Events.IntegrationTests.Infrastructure;
using CloudNative.CloudEvents;

namespace Altinn.Events.IntegrationTests.Client;

/// <summary>The client library's publishing and polling against the real API on PostgreSQL.</summary>
public sealed class ClientPublishAndPollTests(ClientFixture fixture) : IClassFixture<ClientFixture>, IDisposable
{
    private readonly string _cursorFolder = Path.Combine(Path.GetTempPath(), "altinn-events-client-it", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_cursorFolder))
        {
            Directory.Delete(_cursorFolder, recursive: true);
        }
    }

    private static CloudEvent Generic(string type, int n = 0) => ClientEvents.Generic(type, "https://tests.example/client/" + n, new { n });

    private static string UniqueType() => ClientEvents.UniqueType("client.test.");

    private async Task<List<CloudEvent>> AllAsync(AltinnEventsClient client, EventQuery query, PollOptions? options = null)
    {
        var events = new List<CloudEvent>();
        await foreach (var e in client.PollAsync(query, (options ?? new PollOptions()) with { StopWhenCaughtUp = true }))
        {
            events.Add(e);
        }

        return events;
    }

    [Fact]
    public async Task PublishStructuredAndBatch_ArePolledBack_WithTheirAttributesAndData()
    {
        var client = fixture.Client(ClientFixture.Org());
        var type = UniqueType();
        var one = Generic(type, 1);
        var batch = new[] { Generic(type, 2), Generic(type, 3), Generic(type, 4) };

        await client.PublishAsync(one);
        await client.PublishBatchAsync(batch);

        var polled = await AllAsync(client, EventQuery.Events(EventBuilder.TestResource) with { Types = [type] });
        Assert.Equal(new[] { one }.Concat(batch).Select(e => e.Id), polled.Select(e => e.Id));
        Assert.All(polled, e => Assert.Equal(EventBuilder.TestResource, e.GetResource()));
        Assert.Equal([1, 2, 3, 4], polled.Select(e => ((JsonElement)e.Data!).GetProperty("n").GetInt32()));
        Assert.Equal("/party/50001", polled[0].Subject);
    }

    [Fact]
    public async Task Republish_SameContent_Succeeds_AndStoresNothingNew_OtherContentIs409()
    {
        var client = fixture.Client(ClientFixture.Org());
        var type = UniqueType();
        var e = Generic(type, 1);
        await client.PublishAsync(e);
        await client.PublishAsync(e);

        var changed = Generic(type, 2);
        changed.Id = e.Id;
        changed.Source = e.Source;
        var conflict = await Assert.ThrowsAsync<AltinnEventsException>(() => client.PublishAsync(changed));

        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Single(await AllAsync(client, EventQuery.Events(EventBuilder.TestResource) with { Types = [type] }));
    }

    [Fact]
    public async Task InvalidEvent_Is400_NamingTheAttribute()
    {
        var client = fixture.Client(ClientFixture.Org());
        var e = Generic(UniqueType());
        e[AltinnCloudEvents.Resource] = "not-a-resource";

        var error = await Assert.ThrowsAsync<AltinnEventsException>(() => client.PublishAsync(e));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains("resource", error.Errors.Keys);
    }

    [Fact]
    public async Task AppEvent_GetsTheServicesId_AndIsPolledByOwnerAndByTheParty()
    {
        var app = fixture.Client(ClientFixture.App());
        var type = UniqueType();
        var e = new CloudEvent
        {
            Type = type,
            Subject = "/party/50001",
            Source = new Uri($"https://ttd.apps.altinn.no/ttd/apps-test/instances/50001/{Guid.NewGuid()}"),
        };

        var id = await app.PublishAppEventAsync(e);

        var owner = await AllAsync(fixture.Client(ClientFixture.Org()), EventQuery.App("ttd", "apps-test") with { Types = [type] });
        var party = await AllAsync(fixture.Client(ClientFixture.User(1337, 50001)), EventQuery.Party() with { PartyId = 50001, Types = [type] });
        Assert.Equal(id, Assert.Single(owner).Id);
        Assert.Equal(id, Assert.Single(party).Id);
        Assert.Equal("urn:altinn:resource:app_ttd_apps-test", owner[0].GetResource());
    }

    [Fact]
    public async Task Poll_FollowsNextAcrossPages_AndResumesFromTheStoredCursor()
    {
        var client = fixture.Client(ClientFixture.Org());
        var type = UniqueType();
        var published = Enumerable.Range(1, 7).Select(n => Generic(type, n)).ToList();
        await client.PublishBatchAsync(published);
        var query = EventQuery.Events(EventBuilder.TestResource) with { Types = [type], Size = 3 };

        // A consumer takes four events and stops (crashes) in the middle of the second page.
        var first = new List<string>();
        await foreach (var e in client.PollAsync(query, new PollOptions { CursorStore = new FileCursorStore(_cursorFolder) }))
        {
            first.Add(e.Id!);
            if (first.Count == 4)
            {
                break;
            }
        }

        // Restarted with a new store over the same folder: it resumes at the page it had not finished (event 4 again), none skipped.
        var resumed = await AllAsync(client, query, new PollOptions { CursorStore = new FileCursorStore(_cursorFolder) });
        Assert.Equal(published.Take(4).Select(e => e.Id), first);
        Assert.Equal(published.Skip(3).Select(e => e.Id), resumed.Select(e => e.Id));

        // Caught up: a later run sees only what was published since.
        var later = new[] { Generic(type, 8), Generic(type, 9) };
        await client.PublishBatchAsync(later);
        var next = await AllAsync(client, query, new PollOptions { CursorStore = new FileCursorStore(_cursorFolder) });
        Assert.Equal(later.Select(e => e.Id), next.Select(e => e.Id));
        Assert.Empty(await AllAsync(client, query, new PollOptions { CursorStore = new FileCursorStore(_cursorFolder) }));
    }

    [Fact]
    public async Task Poll_WhenCaughtUp_WaitsAndPollsAgain_UntilNewEventsArrive()
    {
        var client = fixture.Client(ClientFixture.Org());
        var type = UniqueType();
        var query = EventQuery.Events(EventBuilder.TestResource) with { Types = [type] };
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var e = Generic(type, 1);

        var consumer = Task.Run(async () =>
        {
            await foreach (var polled in client.PollAsync(query, new PollOptions { CaughtUpDelay = TimeSpan.FromMilliseconds(100) }, cancel.Token))
            {
                return polled.Id;
            }

            return null;
        });
        await Task.Delay(500);
        Assert.False(consumer.IsCompleted);
        await client.PublishAsync(e);

        Assert.Equal(e.Id, await consumer);
    }

    [Fact]
    public async Task WhoAmI_WithTheDevIssuerAdapter_IsTheOrg()
    {
        var me = await fixture.Client(ClientFixture.Org()).WhoAmIAsync();

        Assert.Equal("ttd", me.Org);
        Assert.Contains("altinn:events.publish", me.Scopes!);
    }
}
