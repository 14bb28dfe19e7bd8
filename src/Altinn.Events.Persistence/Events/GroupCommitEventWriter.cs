using System.Threading.Channels;
using Altinn.Events.Core.Resilience;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Altinn.Events.Persistence.Events;

/// <summary>Stores published events; the task completes once they are committed.</summary>
public interface IEventWriter
{
    /// <summary>
    /// Stores the events atomically (all or none) with their outbox rows; re-published ones are not stored again. When an
    /// event's key already names other content, nothing is stored and the result lists those events.
    /// </summary>
    Task<WriteResult> WriteAsync(IReadOnlyList<NewEvent> events, CancellationToken cancellationToken);
}

/// <summary>What a write came to: stored (or already stored), or refused for the events listed.</summary>
/// <param name="Conflicts">Indexes of the events whose key was stored (or given earlier) with other content; empty when the write succeeded.</param>
public sealed record WriteResult(IReadOnlyList<int> Conflicts)
{
    public static WriteResult Stored { get; } = new([]);

    public bool Succeeded => Conflicts.Count == 0;
}

/// <summary>Settings of the group-commit writer, bound from <c>Publishing:Writer</c>.</summary>
public sealed class EventWriterOptions
{
    /// <summary>
    /// Writer loops; each takes whatever requests are waiting when it starts. Event commits are serialised (the write
    /// lock keeps them in sequence order), so a second loop only waits for the lock while holding half the waiting
    /// requests; one loop lets every request that arrived during a commit join the next one.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 64)]
    public int Writers { get; set; } = 1;

    /// <summary>Most events in one transaction.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 100_000)]
    public int MaxEventsPerCommit { get; set; } = 1000;
}

/// <summary>
/// Group commit: publish requests put their events on a channel, and a few writer loops each take everything waiting,
/// store it in one transaction (one round trip) and complete every request in it. Under load many requests share a
/// commit, so throughput approaches what PostgreSQL itself inserts; a lone request pays one round trip as before.
/// A request's events are committed before its task completes. If a shared commit fails for a reason other than an
/// outage, the group is split in halves and each committed again (recursively), so one bad request fails alone without
/// turning the shared commit into one commit per request.
/// </summary>
public sealed partial class GroupCommitEventWriter(
    NpgsqlDataSource dataSource,
    IOutboxSignal outboxSignal,
    TimeProvider time,
    IOptions<EventWriterOptions> options,
    ILogger<GroupCommitEventWriter> logger) : BackgroundService, IEventWriter
{
    private readonly Channel<Pending> _channel = Channel.CreateBounded<Pending>(new BoundedChannelOptions(100_000) { SingleWriter = false });

    public async Task<WriteResult> WriteAsync(IReadOnlyList<NewEvent> events, CancellationToken cancellationToken)
    {
        var pending = new Pending(events, new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_channel.Writer.TryWrite(pending))
        {
            await _channel.Writer.WriteAsync(pending, cancellationToken);
        }

        // Once queued the events may commit even if the caller gives up; a re-publish is idempotent.
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = Enumerable.Range(0, options.Value.Writers).Select(_ => WriteLoopAsync(stoppingToken)).ToArray();
        await Task.WhenAll(loops);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Accept no more, and let the loops drain what is already queued before the host stops.
        _channel.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var reader = _channel.Reader;
        var group = new List<Pending>();
        await using var connection = new LoopConnection();
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            group.Clear();
            var count = 0;
            while (count < options.Value.MaxEventsPerCommit && reader.TryRead(out var next))
            {
                group.Add(next);
                count += next.Events.Count;
            }

            if (group.Count > 0)
            {
                await CommitGroupAsync(connection, group);
            }

            if (stoppingToken.IsCancellationRequested && reader.Count == 0)
            {
                _channel.Writer.TryComplete();
            }
        }
    }

    private async Task CommitGroupAsync(LoopConnection connection, List<Pending> group)
    {
        try
        {
            // Each request is all or none within the shared commit: one refused for a conflicting key leaves the others.
            var result = await CommitAsync(connection, [.. group.Select(p => p.Events)]);
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Completion.TrySetResult(ResultOf(result, i));
            }

            outboxSignal.Notify();
        }
        catch (Exception ex) when (group.Count > 1 && TransientFailures.Classify(ex) is null)
        {
            // Some request's events made the shared commit fail (the edge validates what it can, so this is rare): split
            // the group in halves and commit each, halving again only where it fails. One bad request among n costs
            // about 2 log2(n) commits, not n, and the others still share them. (An outage fails every request the same
            // way, below: committing them in parts would only hold them longer.)
            LogGroupFailed(logger, ex, group.Count);
            var half = group.Count / 2;
            await CommitGroupAsync(connection, group[..half]);
            await CommitGroupAsync(connection, group[half..]);
        }
        catch (Exception ex)
        {
            foreach (var pending in group)
            {
                pending.Completion.TrySetException(ex);
            }
        }
    }

    private static WriteResult ResultOf(InsertResult result, int request)
    {
        var conflicts = result.Conflicts.Where(c => c.Request == request).Select(c => c.Index).ToArray();
        return conflicts.Length == 0 ? WriteResult.Stored : new WriteResult(conflicts);
    }

    private async Task<InsertResult> CommitAsync(LoopConnection loop, IReadOnlyList<IReadOnlyList<NewEvent>> requests)
    {
        // Not cancellable: once started, a commit finishes so no request is left not knowing. Each loop keeps its
        // connection between groups (a return to the pool costs the pool's session reset statements on the next use); one
        // that failed is dropped. A kept connection can have died while idle (PostgreSQL restarted): then the group is
        // tried once more on a new one, which is safe because storing is idempotent (a group that did commit before the
        // connection broke stores nothing the second time, and its requests succeed).
        var reused = loop.Value is not null;
        try
        {
            return await InsertAsync(loop, requests);
        }
        catch (Exception ex) when (reused && TransientFailures.Classify(ex) is not null)
        {
            return await InsertAsync(loop, requests);
        }
    }

    private async Task<InsertResult> InsertAsync(LoopConnection loop, IReadOnlyList<IReadOnlyList<NewEvent>> requests)
    {
        var connection = loop.Value ??= await dataSource.OpenConnectionAsync(CancellationToken.None);
        try
        {
            // No explicit transaction: the lock and the insert are one implicit transaction, committed by the server at the
            // end of the round trip (see EventStore), so a group costs one round trip and holds the write lock for no
            // round trip of its own.
            return await EventStore.InsertRequestsAsync(connection, null, requests, time, CancellationToken.None);
        }
        catch
        {
            loop.Value = null;
            await connection.DisposeAsync();
            throw;
        }
    }

    [LoggerMessage(LogEventIds.GroupFailed, LogLevel.Warning, "A group commit of {Requests} publish requests failed; committing it again in two halves")]
    private static partial void LogGroupFailed(ILogger logger, Exception exception, int requests);

    /// <summary>The connection a write loop keeps between its groups.</summary>
    private sealed class LoopConnection : IAsyncDisposable
    {
        public NpgsqlConnection? Value { get; set; }

        public ValueTask DisposeAsync() => Value?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    private sealed record Pending(IReadOnlyList<NewEvent> Events, TaskCompletionSource<WriteResult> Completion);
}
