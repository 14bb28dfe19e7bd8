using Altinn.Events.IntegrationTests.Authorization;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Events;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Altinn.Events.IntegrationTests.Publishing;

/// <summary>The group-commit writer when one request in a shared commit cannot be stored.</summary>
public sealed class GroupCommitTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task OneBadRequestInASharedCommit_FailsAlone_InAFewCommits_NotOnePerRequest()
    {
        var writer = api.Factory.Services.GetRequiredService<GroupCommitEventWriter>();
        using var commands = new CommandCounter(api.Database.DatabaseName);

        // Hold the write lock so the writer's first commit waits: every request sent meanwhile joins the next group.
        await using var holder = await api.Database.DataSource.OpenConnectionAsync();
        await holder.ExecuteScalarAsync<object>("SELECT pg_advisory_lock(@key)::text", new { key = EventStore.WriteLockKey });
        var blocked = writer.WriteAsync([Event("first")], CancellationToken.None);

        // Wait until the writer's commit of it waits for the lock: the writer loop is busy, so what follows queues up.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await holder.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the writer's commit never waited for the write lock");
            await Task.Delay(20);
        }

        var good = Enumerable.Range(0, 63).Select(i => Event($"good-{i}")).ToList();
        // Bypasses the edge: an id no b-tree entry holds (random, so compression cannot shrink it), as the sweep sent.
        var bad = Event("bad") with { Id = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6000)) };
        var writes = good.Select(e => writer.WriteAsync([e], CancellationToken.None)).ToList();
        writes.Insert(40, writer.WriteAsync([bad], CancellationToken.None));
        commands.Reset();
        await holder.ExecuteScalarAsync<bool>("SELECT pg_advisory_unlock(@key)", new { key = EventStore.WriteLockKey });

        await blocked;
        var outcome = await Task.WhenAll(writes.Select(async w =>
        {
            try
            {
                await w;
                return true;
            }
            catch (PostgresException)
            {
                return false;
            }
        }));

        Assert.Equal(63, outcome.Count(ok => ok));
        Assert.False(outcome[40]);
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(63, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM events WHERE id = ANY(@ids)", new { ids = good.Select(e => e.Id).ToArray() }));

        // The blocked commit, then one of 64 that fails, then halves: 2 log2(64) = 12 more; one per request would be 65.
        var inserts = commands.Commands.Count(c => c.Contains("pg_advisory_xact_lock", StringComparison.Ordinal));
        Assert.True(inserts is >= 2 and <= 16, $"{inserts} commits: {string.Join(" | ", commands.Commands.Select(c => c[..Math.Min(c.Length, 60)].ReplaceLineEndings(" ")))}");
    }

    [Fact]
    public async Task TheWritersConnectionKilledWhileIdle_TheNextWriteIsStoredOnANewOne()
    {
        var writer = api.Factory.Services.GetRequiredService<GroupCommitEventWriter>();
        Assert.True((await writer.WriteAsync([Event("before")], CancellationToken.None)).Succeeded);

        // The writer keeps its connection between groups; end it on the server as a restart of PostgreSQL would.
        await using var admin = await api.Database.DataSource.OpenConnectionAsync();
        var killed = await admin.ExecuteScalarAsync<int>(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%WITH input AS%'");
        Assert.True(killed >= 1, "found no connection of the writer to end");

        var after = Event("after");
        Assert.True((await writer.WriteAsync([after], CancellationToken.None)).Succeeded);
        Assert.Equal(1, await admin.ExecuteScalarAsync<long>("SELECT count(*) FROM events WHERE id = @id", new { id = after.Id }));
    }

    private static NewEvent Event(string name)
    {
        var id = $"{name}-{Guid.NewGuid():N}";
        return new NewEvent(id, "https://tests.example/group", EventBuilder.TestResource, "test.group", "/party/50001", null, 50001, null,
            $$"""{"specversion":"1.0","id":"{{id}}","source":"https://tests.example/group","type":"test.group","resource":"{{EventBuilder.TestResource}}"}""");
    }
}
