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

    [Fact]
    public async Task AWithdrawalsRows_AreDeletedInSteps_TheOtherPartiesRowsStay_AndARoleStillHeldKeepsThem()
    {
        // More clients than the query probes one by one, so the answers below are read from the index.
        var world = await WorldAsync(clients: 65);
        var parties = new TestParties(api.Database.DataSource);
        var type = CursorTests.UniqueType();
        var (gone, kept, twice) = (world.Clients[0], world.Clients[1], world.Clients[2]);
        await parties.GrantAsync(world.Consumer, twice, "DAGL");
        var events = Enumerable.Range(0, 40).Select(i => AppEvent(type, world.Clients[i % 3])).ToList();
        await StoreAsync(events);
        await CatchUpAsync();
        await SweepAsync();

        // One role of two withdrawn: the holder still acts for the party, nothing is recorded. The last one withdrawn: recorded.
        await ExecuteAsync("DELETE FROM party_roles WHERE subject = @holder AND party_id = @twice AND role_code = 'DAGL'", new { holder = world.Consumer, twice });
        await parties.WithdrawAsync(world.Consumer, gone);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM holder_withdrawals WHERE holder = @holder", new { holder = world.Consumer }));

        // Steps of 4 rows walk the holder's rows (of the three clients with events); only the withdrawn pair's go.
        var steps = await SweepAsync(rows: 4);
        Assert.True(steps > 3, $"the walk took {steps} steps of 4 rows");
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM holder_events WHERE holder = @holder AND party_id = @gone", new { holder = world.Consumer, gone }));
        Assert.Equal(events.Count(e => e.PartyId == kept), await CountAsync("SELECT count(*) FROM holder_events WHERE holder = @holder AND party_id = @kept", new { holder = world.Consumer, kept }));
        Assert.Equal(events.Count(e => e.PartyId == twice), await CountAsync("SELECT count(*) FROM holder_events WHERE holder = @holder AND party_id = @twice", new { holder = world.Consumer, twice }));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM holder_withdrawals WHERE holder = @holder", new { holder = world.Consumer }));

        using var user = api.Client(TestTokens.ForUser(world.UserId, world.Own));
        Assert.Equal(events.Where(e => e.PartyId != gone).Select(e => e.Id), await CursorTests.WalkAsync(user, $"/app/party?{Since}&type={type}&size=7", maxPages: 100));
    }

    [Fact]
    public async Task ARoleGrantedAgainDuringTheWalk_EndsItForThatParty_AWithdrawalAgainStartsItOver_AndAGrantBringsEveryRowBack()
    {
        var world = await WorldAsync(clients: 65);
        var parties = new TestParties(api.Database.DataSource);
        var type = CursorTests.UniqueType();
        var back = world.Clients[0];
        var events = Enumerable.Range(0, 30).Select(i => AppEvent(type, world.Clients[i % 2])).ToList();
        await StoreAsync(events);
        await CatchUpAsync();
        await SweepAsync();

        var all = events.Count(e => e.PartyId == back);
        Task<long> RowsAsync() => CountAsync("SELECT count(*) FROM holder_events WHERE holder = @holder AND party_id = @back", new { holder = world.Consumer, back });

        // Both clients withdrawn and part of the walk done; one granted again: the grant back-fills what the walk deleted,
        // and the walk goes on for the other alone, deleting none of the first's rows.
        var other = world.Clients[1];
        await parties.WithdrawAsync(world.Consumer, back);
        await parties.WithdrawAsync(world.Consumer, other);
        Assert.True((await Indexer.DeleteWithdrawnAsync(6, CancellationToken.None)).More);
        Assert.True(await RowsAsync() < all);
        await parties.GrantAsync(world.Consumer, back, "REGNA");
        Assert.Equal(all, await RowsAsync());
        await SweepAsync(rows: 6);
        Assert.Equal(all, await RowsAsync());
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM holder_events WHERE holder = @holder AND party_id = @other", new { holder = world.Consumer, other }));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM holder_withdrawals WHERE holder = @holder", new { holder = world.Consumer }));

        // Withdrawn, walked part way, granted and withdrawn again: the walk starts over, so the rows the grant put back
        // below where it had got are deleted too.
        await parties.WithdrawAsync(world.Consumer, back);
        Assert.True((await Indexer.DeleteWithdrawnAsync(6, CancellationToken.None)).More);
        Assert.True(await CountAsync("SELECT walked FROM holder_withdrawals WHERE holder = @holder AND party_id = @back", new { holder = world.Consumer, back }) > 0);
        await parties.GrantAsync(world.Consumer, back, "REGNA");
        await parties.WithdrawAsync(world.Consumer, back);
        Assert.Equal(0, await CountAsync("SELECT walked FROM holder_withdrawals WHERE holder = @holder AND party_id = @back", new { holder = world.Consumer, back }));
        await SweepAsync(rows: 6);
        Assert.Equal(0, await RowsAsync());

        // Both granted once more: every row is back, and so is every event in the answer.
        await parties.GrantAsync(world.Consumer, back, "REGNA");
        await parties.GrantAsync(world.Consumer, other, "REGNA");
        Assert.Equal(all, await RowsAsync());
        using var user = api.Client(TestTokens.ForUser(world.UserId, world.Own));
        Assert.Equal(events.Select(e => e.Id), await CursorTests.WalkAsync(user, $"/app/party?{Since}&type={type}&size=10", maxPages: 100));
    }

    [Fact]
    public async Task EventsPastTheCursor_RegisteredUpToTheClockMarginBeforeTheCursorsEvent_AreFound()
    {
        // The walk past the cursor starts at the day partition of the cursor's registration time less the clock margin.
        // The cursor's event may come from a process whose clock runs ahead of this one's (within the margin): the events
        // this process stores after it are registered before the cursor's time, and must still be found.
        var world = await WorldAsync(clients: 65);
        var type = CursorTests.UniqueType();
        var indexed = Enumerable.Range(0, 6).Select(i => AppEvent(type, world.Clients[i])).ToList();
        await StoreAsync(indexed);
        await CatchUpAsync();
        await ExecuteAsync("UPDATE holder_index_cursor SET registered = registered + interval '4 minutes' WHERE name = 'holders'", new { });
        try
        {
            var later = Enumerable.Range(0, 6).Select(i => AppEvent(type, world.Clients[10 + i])).ToList();
            await StoreAsync(later);
            Assert.True(
                await CountAsync("SELECT count(*) FROM events WHERE type = @type AND registered < (SELECT registered FROM holder_index_cursor WHERE name = 'holders')", new { type }) == 12,
                "the events are not registered before the cursor's time");
            using var user = api.Client(TestTokens.ForUser(world.UserId, world.Own));
            Assert.Equal(indexed.Concat(later).Select(e => e.Id), await CursorTests.WalkAsync(user, $"/app/party?{Since}&type={type}&size=5", maxPages: 20));
        }
        finally
        {
            await ExecuteAsync("UPDATE holder_index_cursor SET registered = registered - interval '4 minutes' WHERE name = 'holders'", new { });
        }
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

    // Steps of deleting withdrawn rights' rows until none is waiting (other tests' withdrawals included); the steps taken.
    private async Task<int> SweepAsync(int rows = 1000)
    {
        for (var steps = 1; steps < 10_000; steps++)
        {
            var result = await Indexer.DeleteWithdrawnAsync(rows, CancellationToken.None);
            if (result is { Pairs: 0, Busy: false })
            {
                return steps - 1;
            }
        }

        throw new TimeoutException("The withdrawn rows were not deleted.");
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

/// <summary>The holder indexer as the API runs it: a withdrawn right's rows go by themselves, the others' stay.</summary>
public sealed class HolderIndexerRunningTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task TheRunningIndexer_IndexesTheEvents_AndDeletesAWithdrawnRightsRows_WithinSeconds()
    {
        var parties = new TestParties(api.Database.DataSource);
        var holder = $"/user/{TestParties.NextId()}";
        var clients = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            clients.Add(await parties.OrganisationAsync());
            await parties.GrantAsync(holder, clients[^1], "REGNA");
        }

        var type = CursorTests.UniqueType();
        await AllPartiesQueryCases.StoreAsync(api.Database.DataSource, [.. Enumerable.Range(0, 30).Select(i => AllPartiesQueryCases.AppEvent(type, clients[i % 3]))]);
        Assert.True(await TestQueues.EventuallyAsync(async () => await RowsAsync(holder, null) == 30, TimeSpan.FromSeconds(20)), "the indexer did not index the events");

        await parties.WithdrawAsync(holder, clients[0]);
        Assert.True(
            await TestQueues.EventuallyAsync(async () => await RowsAsync(holder, clients[0]) == 0, TimeSpan.FromSeconds(20)),
            $"{await RowsAsync(holder, clients[0])} rows of the withdrawn right are left");
        Assert.Equal(20, await RowsAsync(holder, null));
    }

    private async Task<long> RowsAsync(string holder, int? party)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM holder_events WHERE holder = @holder AND (@party::integer IS NULL OR party_id = @party)", new { holder, party });
    }
}
