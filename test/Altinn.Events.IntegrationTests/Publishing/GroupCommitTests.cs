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
        await Task.Delay(300);

        var good = Enumerable.Range(0, 63).Select(i => Event($"good-{i}")).ToList();
        var bad = Event("bad") with { Id = "bad\0id" }; // bypasses the edge: PostgreSQL refuses NUL in text
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

        // One commit of 64 that fails, then halves: about 2 log2(64) = 12 more, far fewer than one per request (64).
        var inserts = commands.Commands.Count(c => c.Contains("pg_advisory_xact_lock", StringComparison.Ordinal));
        Assert.InRange(inserts, 2, 16);
    }

    private static NewEvent Event(string name)
    {
        var id = $"{name}-{Guid.NewGuid():N}";
        return new NewEvent(id, "https://tests.example/group", EventBuilder.TestResource, "test.group", "/party/50001", null, 50001, null,
            $$"""{"specversion":"1.0","id":"{{id}}","source":"https://tests.example/group","type":"test.group","resource":"{{EventBuilder.TestResource}}"}""");
    }
}
