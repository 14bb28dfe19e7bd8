using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Events;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Altinn.Events.IntegrationTests.Queries;

/// <summary>The API with its holder indexer stopped, so a test decides when the index catches up.</summary>
public sealed class HolderIndexApiFixture : ApiFixture
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["HolderIndex:Run"] = "false";
}

/// <summary>
/// The holder index (migration 0016, issue 19): a query without a party from a caller with more parties than
/// <see cref="EventReader.MaxPartyProbes"/> reads the caller's index rows up to the indexer's cursor and the store past
/// it. Whatever the index holds, the answer is that of asking party by party: grants back-fill, withdrawals hide at once,
/// and an indexer racing grants leaves no event out.
/// </summary>
public sealed class HolderIndexTests(HolderIndexApiFixture api) : IClassFixture<HolderIndexApiFixture>
{
    // Every event these tests store is later than this.
    private static readonly string Since = "from=" + Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O"));

    private HolderIndexStore Indexer => api.Factory.Services.GetRequiredService<HolderIndexStore>();

    [Fact]
    public async Task ManyParties_TheIndexBelowItsCursorAndTheStorePastIt_GiveEveryEventOnce_AndTheIndexIsWhatIsRead()
    {
        var world = await WorldAsync(clients: 70);
        var type = CursorTests.UniqueType();
        var expected = new List<string>();
        var events = new List<NewEvent>();
        for (var i = 0; i < 300; i++)
        {
            var party = i % 3 == 0 ? world.Stranger : i % 7 == 0 ? world.Refused : world.Clients[i % world.Clients.Count];
            events.Add(AppEvent(type, party));
            if (party != world.Stranger && party != world.Refused)
            {
                expected.Add(events[^1].Id);
            }
        }

        // The first half indexed, the rest stored after the cursor: both halves come back, in store order.
        await StoreAsync(events[..150]);
        await CatchUpAsync();
        await StoreAsync(events[150..]);
        var query = $"/app/party?{Since}&type={type}";
        using var user = api.Client(TestTokens.ForUser(world.UserId, world.Own));
        foreach (var size in new[] { 1, 7, 50, 1000 })
        {
            Assert.Equal(expected, await CursorTests.WalkAsync(user, query + $"&size={size}", maxPages: 400));
        }

        // The index rows: one per event of a party the caller holds a role for (the refused role too: the decision point
        // refuses it), none of the stranger's.
        var cursor = await CountAsync("SELECT seq FROM holder_index_cursor WHERE name = 'holders'", new { });
        var rows = await CountAsync("SELECT count(*) FROM holder_events WHERE holder = @holder", new { holder = world.Consumer });
        Assert.Equal(events[..150].Count(e => e.PartyId != world.Stranger), rows);
        Assert.True(cursor > 0);

        // Below the cursor the index is what is read: without a client's rows, that client's indexed events are gone
        // from the answer, and its events past the cursor are still found.
        var dropped = world.Clients[1];
        await ExecuteAsync("DELETE FROM holder_events WHERE holder = @holder AND party_id = @dropped", new { holder = world.Consumer, dropped });
        var droppedIndexed = events[..150].Where(e => e.PartyId == dropped).Select(e => e.Id).ToHashSet();
        Assert.NotEmpty(droppedIndexed);
        Assert.Equal(expected.Where(id => !droppedIndexed.Contains(id)), await CursorTests.WalkAsync(user, query + "&size=50", maxPages: 400));
    }

    [Fact]
    public async Task AGrant_BackFillsTheIndexedEventsOfTheParty_AndAWithdrawalHidesThemAtOnce()
    {
        var world = await WorldAsync(clients: 70);
        var type = CursorTests.UniqueType();
        var newClient = await new TestParties(api.Database.DataSource).OrganisationAsync();
        var before = Enumerable.Range(0, 5).Select(_ => AppEvent(type, newClient)).ToList();
        await StoreAsync(before);
        await CatchUpAsync();
        using var user = api.Client(TestTokens.ForUser(world.UserId, world.Own));
        var query = $"/app/party?{Since}&type={type}&size=100";
        Assert.Empty(await CursorTests.WalkAsync(user, query));

        // Granted after its events were indexed (with no holder): the grant writes their rows.
        await new TestParties(api.Database.DataSource).GrantAsync(world.Consumer, newClient, "REGNA");
        Assert.Equal(5, await CountAsync("SELECT count(*) FROM holder_events WHERE holder = @holder AND party_id = @newClient", new { holder = world.Consumer, newClient }));
        Assert.Equal(before.Select(e => e.Id), await CursorTests.WalkAsync(user, query));

        // Withdrawn: the rows stay, the answer drops them.
        await new TestParties(api.Database.DataSource).WithdrawAsync(world.Consumer, newClient);
        Assert.Equal(5, await CountAsync("SELECT count(*) FROM holder_events WHERE holder = @holder AND party_id = @newClient", new { holder = world.Consumer, newClient }));
        Assert.Empty(await CursorTests.WalkAsync(user, query));

        // An id cursor of an event of the withdrawn party names nothing the caller may see: from the oldest retained
        // event, as an id that is not stored (so nothing tells that the event exists).
        await new TestParties(api.Database.DataSource).GrantAsync(world.Consumer, world.Clients[0], "REGNA");
        var visible = AppEvent(type, world.Clients[0]);
        await StoreAsync([visible]);
        Assert.Equal(
            await CursorTests.WalkAsync(user, $"/app/party?after=no-such-id&type={type}&size=100"),
            await CursorTests.WalkAsync(user, $"/app/party?after={before[2].Id}&type={type}&size=100"));
    }

    [Fact]
    public async Task GrantsRacingTheIndexer_LeaveNoIndexedEventOfAGrantedPartyOut()
    {
        var world = await WorldAsync(clients: 65);
        var parties = new TestParties(api.Database.DataSource);
        var type = CursorTests.UniqueType();
        var newcomers = new List<int>();
        for (var i = 0; i < 60; i++)
        {
            newcomers.Add(await parties.OrganisationAsync());
        }

        using var stop = new CancellationTokenSource();
        var storing = Task.Run(async () =>
        {
            var round = 0;
            while (!stop.IsCancellationRequested)
            {
                await StoreAsync([.. newcomers.Select(p => AppEvent(type, p)).Where((_, i) => (i + round) % 3 == 0)]);
                round++;
            }
        });
        var indexing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Indexer.IndexNextAsync(7, CancellationToken.None);
            }
        });
        foreach (var party in newcomers)
        {
            await parties.GrantAsync(world.Consumer, party, "REGNA");
            await Task.Delay(Random.Shared.Next(0, 8));
        }

        await stop.CancelAsync();
        await Task.WhenAll(storing, indexing);
        await CatchUpAsync();

        // Every event of a party the consumer holds a role for has its row: the indexer's or the grant's back-fill.
        var missing = await CountAsync(
            """
            SELECT count(*) FROM party_roles r JOIN events e ON e.party_id = r.party_id
            WHERE r.subject = @holder AND NOT EXISTS (SELECT 1 FROM holder_events h WHERE h.holder = r.subject AND h.seq = e.seq)
            """,
            new { holder = world.Consumer });
        Assert.Equal(0, missing);
        var stored = await CountAsync("SELECT count(*) FROM events WHERE type = @type", new { type });
        Assert.True(stored > 100, $"only {stored} events were stored while granting");

        using var user = api.Client(TestTokens.ForUser(world.UserId, world.Own));
        Assert.Equal(stored, (await CursorTests.WalkAsync(user, $"/app/party?{Since}&type={type}&size=1000", maxPages: 400)).Count);
    }

    [Fact]
    public async Task Retention_DeletesTheRowsOfEventsNoLongerStored_AndKeepsTheRest()
    {
        var world = await WorldAsync(clients: 1);
        var type = CursorTests.UniqueType();
        await StoreAsync([AppEvent(type, world.Clients[0])]);
        await CatchUpAsync();
        var kept = await CountAsync("SELECT count(*) FROM holder_events", new { });

        // Rows of events from before the oldest stored one (their day dropped): a hundred days old.
        await ExecuteAsync(
            "INSERT INTO holder_events (holder, seq, registered, party_id) SELECT @holder, -g, now() - interval '100 days', @party FROM generate_series(1, 25) g",
            new { holder = world.Consumer, party = world.Clients[0] });
        Assert.Equal(25, await Indexer.DeleteExpiredAsync(CancellationToken.None));
        Assert.Equal(kept, await CountAsync("SELECT count(*) FROM holder_events", new { }));
    }

    private sealed record World(int UserId, int Own, string Consumer, List<int> Clients, int Refused, int Stranger);

    // A user acting for its own party and `clients` client organisations (REGNA, which the app's policy grants), holding a
    // role the policy does not grant for one more, and a stranger someone else acts for.
    private async Task<World> WorldAsync(int clients)
    {
        var parties = new TestParties(api.Database.DataSource);
        var userId = TestParties.NextId();
        var own = await parties.PersonAsync(userId);
        var consumer = $"/user/{userId}";
        await parties.GrantAsync(consumer, own, "PRIV");
        var list = new List<int>();
        for (var i = 0; i < clients; i++)
        {
            var client = await parties.OrganisationAsync();
            await parties.GrantAsync(consumer, client, "REGNA");
            list.Add(client);
        }

        var refused = await parties.OrganisationAsync();
        await parties.GrantAsync(consumer, refused, "UTINN");
        var stranger = await parties.OrganisationAsync();
        await parties.GrantAsync($"/user/{TestParties.NextId()}", stranger, "DAGL");
        return new World(userId, own, consumer, list, refused, stranger);
    }

    private async Task CatchUpAsync()
    {
        for (var rounds = 0; rounds < 10_000; rounds++)
        {
            var result = await Indexer.IndexNextAsync(1000, CancellationToken.None);
            if (result is { Events: 0, Busy: false })
            {
                return;
            }
        }

        throw new TimeoutException("The holder index did not catch up.");
    }

    private static NewEvent AppEvent(string type, int party) => AllPartiesQueryCases.AppEvent(type, party);

    private Task StoreAsync(IReadOnlyList<NewEvent> events) =>
        events.Count == 0 ? Task.CompletedTask : AllPartiesQueryCases.StoreAsync(api.Database.DataSource, events);

    private async Task<long> CountAsync(string sql, object parameters)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    private async Task ExecuteAsync(string sql, object parameters)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, parameters);
    }
}
