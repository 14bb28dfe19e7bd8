using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Identity;
using Altinn.Events.Persistence.Events;

namespace Altinn.Events.Api.Queries;

/// <summary>One page of events the caller may see.</summary>
/// <param name="Events">The permitted events, ascending by sequence.</param>
/// <param name="LastExamined">The id of the last event looked at (permitted or not), the cursor for the next page; null when nothing was.</param>
internal sealed record QueryPage(IReadOnlyList<StoredEvent> Events, string? LastExamined);

/// <summary>
/// Reads pages and keeps only what the caller is permitted to see, deciding each page in one batch. Events the caller
/// may not see are left out silently; the cursor still moves past them, and a page that found none permitted keeps
/// reading (up to <see cref="MaxRounds"/> pages) so a consumer is not handed an empty page while permitted events follow.
/// </summary>
internal sealed class EventQueryService(EventReader reader, IAuthorizationDecider decider)
{
    private const int MaxRounds = 10;

    public async Task<QueryPage> QueryAsync(Caller caller, string action, EventFilter filter, EventFilter cursorScope, QueryRequest request, CancellationToken cancellationToken)
    {
        // An 'after' that is not (or no longer) stored means: from the oldest retained event.
        var cursor = request.After is { } after ? await reader.FindCursorAsync(after, cursorScope, cancellationToken) : null;
        var permitted = new List<StoredEvent>(request.Size);
        string? lastExamined = null;

        for (var round = 0; round < MaxRounds && permitted.Count < request.Size; round++)
        {
            var page = await reader.ReadPageAsync(filter, cursor, request.Size, cancellationToken);
            if (page.Count == 0)
            {
                break;
            }

            var keys = page.Select(e => (e.Resource, e.PartyId)).Distinct().ToArray();
            var decisions = await decider.DecideAsync(
                [.. keys.Select(k => new DecisionRequest(caller.Consumer, action, new DecisionResource(k.Resource, k.PartyId), caller.AuthenticationLevel))],
                cancellationToken);
            var allowed = keys.Where((_, i) => decisions[i]).ToHashSet();

            foreach (var e in page)
            {
                if (allowed.Contains((e.Resource, e.PartyId)))
                {
                    permitted.Add(e);
                }

                lastExamined = e.Id;
                cursor = e.Cursor;
                if (permitted.Count == request.Size)
                {
                    break;
                }
            }

            if (page.Count < request.Size)
            {
                break;
            }
        }

        return new QueryPage(permitted, lastExamined);
    }
}
