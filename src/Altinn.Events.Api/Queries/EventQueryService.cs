using System.ComponentModel.DataAnnotations;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Identity;
using Altinn.Events.Core.Subscriptions;
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

/// <summary>The parties a query without a party covers: <see cref="EventFilter.PartyIn"/> or <see cref="EventFilter.Holder"/>.</summary>
internal sealed record PartyScope(IReadOnlyList<int>? PartyIn, string? Holder)
{
    /// <summary>No party at all: the answer is empty.</summary>
    public bool IsEmpty => Holder is null && PartyIn is not { Count: > 0 };

    /// <summary><paramref name="filter"/> restricted to these parties.</summary>
    public EventFilter Narrow(EventFilter filter) => filter with { PartyIn = PartyIn, Holder = Holder };
}

/// <summary>One page of events the caller may see.</summary>
/// <param name="Events">The permitted events with their stored CloudEvents, ascending by sequence.</param>
/// <param name="Next">Where the next page starts; null when the page is empty and nothing more is stored (caught up).</param>
internal sealed record QueryPage(IReadOnlyList<(ScannedEvent Event, string CloudEvent)> Events, StorePosition? Next);


/// <summary>
/// Reads pages and keeps only what the caller is permitted to see, deciding each chunk of the scan in one batch. Events
/// the caller may not see are left out silently, and nothing in the answer depends on them: the page's <c>next</c>
/// position is its last returned event, the end of the store (the same for every caller) or a fixed budget past its start
/// (<see cref="PageCursor"/>), and an <c>after</c> id counts only as the earliest event with that id the caller may see
/// (ids are not unique; one the caller may not see answers exactly as one that is not stored: from the oldest retained
/// event, or from <c>from</c> when given). A <c>from</c> time starts where that time lies in the store.
/// </summary>
internal sealed class EventQueryService(EventReader reader, IAuthorizationDecider decider, IAuthorizedParties authorizedParties, IOptions<QueryOptions> options)
{
    /// <summary>
    /// The parties a query of <paramref name="resource"/> without a subject is about for <paramref name="caller"/>: null
    /// when the caller may <paramref name="action"/> the resource as a whole (or is not a kind that acts for parties: a
    /// service owner), so every event of the resource is scanned and decided; otherwise those it holds rights for
    /// (<see cref="PartiesOfAsync(string, CancellationToken)"/>), as a subscription without a subject filter covers them
    /// (<see cref="SubscriptionRules.MayCoverParties"/>). Only the caller's own rights go into this, so the choice tells
    /// nothing about anyone else's events; every event returned is still decided.
    /// </summary>
    public async Task<PartyScope?> PartiesOfAsync(Caller caller, string action, string resource, CancellationToken cancellationToken)
    {
        if (!SubscriptionRules.MayCoverParties(caller.Kind))
        {
            return null;
        }

        var whole = await decider.DecideAsync([new DecisionRequest(caller.Consumer, action, new DecisionResource(resource, null), caller.AuthenticationLevel)], cancellationToken);
        return whole[0] ? null : await PartiesOfAsync(caller.Consumer, cancellationToken);
    }

    /// <summary>
    /// Every party <paramref name="consumer"/> holds rights for (the reverse index): named, when they are few or the
    /// rights are the platform's; or, for a consumer with more than <see cref="EventReader.MaxPartyProbes"/> parties in
    /// the local register, the consumer itself, whose events the holder index lists (<see cref="EventFilter.Holder"/>),
    /// so its thousands of parties are neither read nor sent with each query.
    /// </summary>
    public async Task<PartyScope> PartiesOfAsync(string consumer, CancellationToken cancellationToken)
    {
        if (authorizedParties.IndexedByHolder)
        {
            var some = await authorizedParties.GetPartiesAsync(consumer, EventReader.MaxPartyProbes + 1, cancellationToken);
            return some.Count > EventReader.MaxPartyProbes ? new PartyScope(null, consumer) : new PartyScope(some, null);
        }

        return new PartyScope(await authorizedParties.GetPartiesAsync(consumer, cancellationToken), null);
    }

    public async Task<QueryPage> QueryAsync(Caller caller, string action, EventFilter filter, EventFilter cursorScope, QueryRequest request, CancellationToken cancellationToken)
    {
        var upper = request.To is { } to ? await reader.SeqThroughAsync(to, cancellationToken) : long.MaxValue;
        var budget = options.Value.MaxExamined;
        ScannedPage? page = null;
        StorePosition start;
        if (request.Cursor is { } cursor)
        {
            start = cursor;
        }
        else if (request.After is { } after)
        {
            // The earliest event with that id the caller may see. Most often that is the earliest with the id: the scan
            // starts there at once, and the candidates are decided with its first chunk (one batch). Otherwise the
            // speculative page is dropped and the scan runs again from the right start.
            IReadOnlyList<ScannedEvent>? visible = null;
            (var candidates, page) = await reader.ScanAfterIdAsync(
                after,
                cursorScope,
                filter,
                upper,
                budget,
                request.Size,
                candidates => async (chunk, ct) =>
                {
                    if (visible is not null)
                    {
                        return await PermittedAsync(caller, action, chunk, ct);
                    }

                    var allowed = await AllowedAsync(caller, action, [.. candidates, .. chunk], ct);
                    visible = Kept(candidates, allowed);
                    return Kept(chunk, allowed);
                },
                withPayloads: true,
                cancellationToken);
            if (candidates.Count == 0)
            {
                // Events stored before migration 0007 have no id in event_keys: found the slow way, if at all.
                candidates = await reader.FindByIdAsync(after, cursorScope, EventReader.MaxAfterCandidates, cancellationToken);
            }

            if (candidates.Count > 0)
            {
                visible ??= await PermittedAsync(caller, action, candidates, cancellationToken);
            }

            if (page is not null && visible is { Count: > 0 } && visible[0].Seq == candidates[0].Seq)
            {
                start = candidates[0].Position;
            }
            else
            {
                page = null;
                start = visible is { Count: > 0 } ? visible[0].Position : await FromOrOldestAsync(request, cancellationToken);
            }
        }
        else
        {
            start = await reader.PositionFromAsync(request.From!.Value, cancellationToken);
        }

        page ??= await reader.ScanAsync(
            filter, start, upper, budget, request.Size, (chunk, ct) => PermittedAsync(caller, action, chunk, ct), withPayloads: true, cancellationToken);
        var (next, hasNext) = PageCursor.Next(page.Scan, budget);

        // Most pages fill from the scan's first chunk, which brought its payloads; the rest are read in one query. An
        // event that expired between the scan and that read is left out; the cursor is the same either way.
        var missing = page.Kept.Where(e => !page.Payloads.ContainsKey(e.Seq)).ToList();
        var payloads = missing.Count == 0 ? page.Payloads : await WithRestAsync(page.Payloads, missing, cancellationToken);
        return new QueryPage([.. page.Kept.Where(e => payloads.ContainsKey(e.Seq)).Select(e => (e, payloads[e.Seq]))], hasNext ? next : null);
    }

    private async Task<IReadOnlyDictionary<long, string>> WithRestAsync(IReadOnlyDictionary<long, string> read, IReadOnlyList<ScannedEvent> missing, CancellationToken cancellationToken)
    {
        var all = new Dictionary<long, string>(read);
        foreach (var (seq, cloudEvent) in await reader.LoadPayloadsAsync(missing, cancellationToken))
        {
            all[seq] = cloudEvent;
        }

        return all;
    }

    // Where an after id that names no event the caller may see starts: as one that is not stored.
    private async Task<StorePosition> FromOrOldestAsync(QueryRequest request, CancellationToken cancellationToken) =>
        request.From is { } since ? await reader.PositionFromAsync(since, cancellationToken) : await reader.OldestAsync(cancellationToken);

    private async Task<IReadOnlyList<ScannedEvent>> PermittedAsync(Caller caller, string action, IReadOnlyList<ScannedEvent> events, CancellationToken cancellationToken) =>
        Kept(events, await AllowedAsync(caller, action, events, cancellationToken));

    // The (resource, party) pairs of the events the caller may act on, decided in one batch.
    private async Task<HashSet<(string Resource, int? PartyId)>> AllowedAsync(Caller caller, string action, IReadOnlyList<ScannedEvent> events, CancellationToken cancellationToken)
    {
        var keys = events.Select(e => (e.Resource, e.PartyId)).Distinct().ToArray();
        var decisions = await decider.DecideAsync(
            [.. keys.Select(k => new DecisionRequest(caller.Consumer, action, new DecisionResource(k.Resource, k.PartyId), caller.AuthenticationLevel))],
            cancellationToken);
        return keys.Where((_, i) => decisions[i]).ToHashSet();
    }

    private static List<ScannedEvent> Kept(IEnumerable<ScannedEvent> events, HashSet<(string Resource, int? PartyId)> allowed) =>
        [.. events.Where(e => allowed.Contains((e.Resource, e.PartyId)))];
}
