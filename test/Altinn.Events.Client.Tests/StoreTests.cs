using Altinn.Events.Client.Webhooks;
using Microsoft.Extensions.Time.Testing;

namespace Altinn.Events.Client.Tests;

public sealed class StoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "altinn-events-client-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task FileCursorStore_KeepsEachKeysCursor_AcrossInstances()
    {
        var store = new FileCursorStore(_directory);
        Assert.Null(await store.GetAsync("events?resource=a", default));

        await store.SetAsync("events?resource=a", "c1", default);
        await store.SetAsync("events?resource=b", "c2", default);
        await store.SetAsync("events?resource=a", "c3", default);

        var reopened = new FileCursorStore(_directory);
        Assert.Equal("c3", await reopened.GetAsync("events?resource=a", default));
        Assert.Equal("c2", await reopened.GetAsync("events?resource=b", default));
        Assert.Equal(2, Directory.GetFiles(_directory).Length); // no temporary files left behind
    }

    [Fact]
    public async Task InMemoryDuplicateStore_NewThenInProgressThenDone_UntilRetentionEnds()
    {
        var time = new FakeTimeProvider();
        var store = new InMemoryWebhookDuplicateStore(time, retention: TimeSpan.FromHours(1));

        Assert.Equal(DeliveryState.New, await store.TryReserveAsync("a", default));
        Assert.Equal(DeliveryState.InProgress, await store.TryReserveAsync("a", default));
        await store.CompleteAsync("a", default);
        Assert.Equal(DeliveryState.Done, await store.TryReserveAsync("a", default));

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(DeliveryState.Done, await store.TryReserveAsync("a", default));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(DeliveryState.New, await store.TryReserveAsync("a", default));
    }

    [Fact]
    public async Task InMemoryDuplicateStore_ReleasedOrAbandonedReservations_AreNewAgain()
    {
        var time = new FakeTimeProvider();
        var store = new InMemoryWebhookDuplicateStore(time, reservationTimeout: TimeSpan.FromMinutes(1));

        Assert.Equal(DeliveryState.New, await store.TryReserveAsync("a", default));
        await store.ReleaseAsync("a", default);
        Assert.Equal(DeliveryState.New, await store.TryReserveAsync("a", default));

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(DeliveryState.New, await store.TryReserveAsync("a", default));
    }

    [Fact]
    public async Task InMemoryDuplicateStore_IsBounded_OldestGoFirst()
    {
        var store = new InMemoryWebhookDuplicateStore(new FakeTimeProvider(), capacity: 3);
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            await store.TryReserveAsync(id, default);
            await store.CompleteAsync(id, default);
        }

        Assert.Equal(3, store.Count);
        Assert.Equal(DeliveryState.Done, await store.TryReserveAsync("d", default));
        Assert.Equal(DeliveryState.Done, await store.TryReserveAsync("b", default));
        Assert.Equal(DeliveryState.New, await store.TryReserveAsync("a", default));
    }
}

public sealed class EventQueryTests
{
    [Fact]
    public void RequestUri_UsesAfterZeroByDefault_CursorWhenGiven_AndKeepsPersonNumbersOutOfTheUrl()
    {
        var query = EventQuery.Party() with { Person = "01017012345", Types = ["a.b", "c d"], Size = 10 };

        Assert.Equal("app/party?after=0&type=a.b&type=c%20d&size=10", query.RequestUri(null));
        Assert.Equal("app/party?cursor=x%2By&type=a.b&type=c%20d&size=10", query.RequestUri("x+y"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://x/");
        query.AddHeaders(request);
        Assert.Equal("01017012345", Assert.Single(request.Headers.GetValues("person")));
    }

    [Fact]
    public void CursorKey_DiffersByFiltersAndPerson_ButNotByStart_AndHoldsNoPersonNumber()
    {
        var a = EventQuery.Party() with { Person = "01017012345" };

        Assert.Equal(a.CursorKey, (a with { After = "42" }).CursorKey);
        Assert.NotEqual(a.CursorKey, (a with { Person = "02027012345" }).CursorKey);
        Assert.NotEqual(a.CursorKey, (a with { Types = ["t"] }).CursorKey);
        Assert.DoesNotContain("01017012345", a.CursorKey, StringComparison.Ordinal);
        Assert.NotEqual(EventQuery.Events("urn:altinn:resource:a").CursorKey, EventQuery.Events("urn:altinn:resource:b").CursorKey);
    }
}
