using System.ComponentModel.DataAnnotations;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Identity;
using Altinn.Events.Persistence.Events;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Queries;

/// <summary>Query settings, bound from <c>Queries</c>.</summary>
public sealed class QueryOptions
{
    public const string SectionName = "Queries";

    /// <summary>
    /// Most store rows one page examines (only small columns: payloads are read for the events returned). A page that
    /// reaches it before it is full ends early, with a <c>next</c> link that continues from a position the budget fixes.
    /// </summary>
    [Range(100, 1_000_000, ErrorMessage = "Queries:MaxExamined must be between {1} and {2}.")]
    public int MaxExamined { get; set; } = 10_000;
}

/// <summary>One page of events the caller may see.</summary>
/// <param name="Events">The permitted events with their stored CloudEvents, ascending by sequence.</param>
/// <param name="Next">Where the next page starts; null when the page is empty and nothing more is stored (caught up).</param>
internal sealed record QueryPage(IReadOnlyList<(ScannedEvent Event, string CloudEvent)> Events, StorePosition? Next);


/// <summary>
/// Reads pages and keeps only what the caller is permitted to see, deciding each chunk of the scan in one batch. Events
/// the caller may not see are left out silently, and nothing in the answer depends on them: the page's <c>next</c>
/// position is its last returned event, the end of the store (the same for every caller) or a fixed budget past its start
/// (<see cref="PageCursor"/>), and an <c>after</c> id names only an event the caller may see.
/// </summary>
internal sealed class EventQueryService(EventReader reader, IAuthorizationDecider decider, IOptions<QueryOptions> options)
{
    public async Task<QueryPage> QueryAsync(Caller caller, string action, EventFilter filter, EventFilter cursorScope, QueryRequest request, CancellationToken cancellationToken)
    {
        var start = await StartAsync(caller, action, cursorScope, request, cancellationToken);
        var upper = request.To is { } to ? await reader.SeqThroughAsync(to, cancellationToken) : long.MaxValue;
        var budget = options.Value.MaxExamined;
        var page = await reader.ScanAsync(
            filter, start, upper, budget, request.Size, (chunk, ct) => PermittedAsync(caller, action, chunk, ct), cancellationToken);
        var (next, hasNext) = PageCursor.Next(page.Scan, budget);
        var payloads = await reader.LoadPayloadsAsync(page.Kept, cancellationToken);

        // An event that expired between the scan and the read is left out; the cursor is the same either way.
        return new QueryPage([.. page.Kept.Where(e => payloads.ContainsKey(e.Seq)).Select(e => (e, payloads[e.Seq]))], hasNext ? next : null);
    }

    /// <summary>
    /// The page's start: a cursor from a <c>next</c> link as it is; an <c>after</c> event id as the earliest event with that
    /// id in the scope that the caller may see (ids are not unique, and one the caller may not see must answer exactly as
    /// one that is not stored: from the oldest retained event); a <c>from</c> time by where that time lies in the store.
    /// </summary>
    private async Task<StorePosition> StartAsync(Caller caller, string action, EventFilter cursorScope, QueryRequest request, CancellationToken cancellationToken)
    {
        if (request.Cursor is { } cursor)
        {
            return cursor;
        }

        if (request.After is { } after)
        {
            var candidates = await reader.FindByIdAsync(after, cursorScope, EventReader.MaxAfterCandidates, cancellationToken);
            var visible = candidates.Count == 0 ? [] : await PermittedAsync(caller, action, candidates, cancellationToken);
            return visible.Count > 0 ? visible[0].Position : await reader.OldestAsync(cancellationToken);
        }

        return await reader.PositionFromAsync(request.From!.Value, cancellationToken);
    }

    private async Task<IReadOnlyList<ScannedEvent>> PermittedAsync(Caller caller, string action, IReadOnlyList<ScannedEvent> events, CancellationToken cancellationToken)
    {
        var keys = events.Select(e => (e.Resource, e.PartyId)).Distinct().ToArray();
        var decisions = await decider.DecideAsync(
            [.. keys.Select(k => new DecisionRequest(caller.Consumer, action, new DecisionResource(k.Resource, k.PartyId), caller.AuthenticationLevel))],
            cancellationToken);
        var allowed = keys.Where((_, i) => decisions[i]).ToHashSet();
        return [.. events.Where(e => allowed.Contains((e.Resource, e.PartyId)))];
    }
}
