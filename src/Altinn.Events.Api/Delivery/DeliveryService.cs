using System.Globalization;
using System.Text.Json;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Input;
using Altinn.Events.Core.Matching;
using Altinn.Events.Core.Register;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging.Messages;
using Altinn.Events.Persistence.Delivery;
using Altinn.Events.Persistence.Events;
using Altinn.Events.Persistence.Subscriptions;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Delivery;

/// <summary>What a redelivery request came to; the endpoint turns it into a status code.</summary>
internal abstract record RedeliveryResult
{
    public sealed record Invalid(string Field, string Message) : RedeliveryResult;

    public sealed record NotValidated(string Status) : RedeliveryResult;

    public sealed record Queued(RedeliveryResponse Response) : RedeliveryResult;
}

/// <summary>
/// The delivery log of a subscription, and redelivery: finds the subscription's retained events from a point (an index
/// range scan on the resource, or on the subject when the subscription has a subject filter), keeps those its filters
/// match and its consumer may still see (one batch of decisions per page), and queues them as fresh deliveries.
/// </summary>
internal sealed class DeliveryService(
    DeliveryStore store,
    EventReader reader,
    IAuthorizationDecider decider,
    IPartyRegister register,
    IEventQueues queues,
    IOptions<RedeliveryOptions> options,
    TimeProvider time,
    ILogger<DeliveryService> logger)
{

    /// <summary>Parses a cursor of <see cref="EncodeCursor"/>; null when it is not one.</summary>
    public static (DateTimeOffset At, long Id)? DecodeCursor(string text)
    {
        var parts = text.Split('_');
        return parts.Length == 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && ticks <= DateTimeOffset.MaxValue.UtcTicks
                ? (new DateTimeOffset(ticks, TimeSpan.Zero), id)
                : null;
    }

    /// <summary>An opaque position in the delivery log: the attempt's time and id.</summary>
    public static string EncodeCursor(LoggedAttempt attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"{attempt.AttemptedAt.UtcTicks}_{attempt.Id}");

    public Task<IReadOnlyList<LoggedAttempt>> PageAsync(Guid subscriptionId, (DateTimeOffset At, long Id)? before, int size, CancellationToken cancellationToken) =>
        store.PageAsync(subscriptionId, before, size, cancellationToken);

    public async Task<RedeliveryResult> RedeliverAsync(Subscription subscription, RedeliveryRequest request, CancellationToken cancellationToken)
    {
        if (new[] { request.After, request.From, request.Cursor }.Count(v => v is not null) != 1)
        {
            return new RedeliveryResult.Invalid("after", "Give exactly one of 'after' (an event id), 'from' (a time with a time zone) and 'cursor' (from an earlier answer).");
        }

        var filter = new EventFilter { Resource = subscription.ResourceFilter };
        StorePosition position;
        if (request.Cursor is { } cursorText)
        {
            if (QueryCursor.TryDecode(cursorText) is not { } cursor)
            {
                return new RedeliveryResult.Invalid("cursor", "'cursor' must be the value from an earlier redelivery's answer.");
            }

            position = cursor;
        }
        else if (request.After is { } after)
        {
            if (string.IsNullOrWhiteSpace(after))
            {
                return new RedeliveryResult.Invalid("after", "'after' must be an event id.");
            }

            if (TextRules.Problem(after, "after") is { } problem)
            {
                return new RedeliveryResult.Invalid("after", problem);
            }

            // Only an event the consumer may see counts: one it may not is answered exactly as one that is not stored.
            var candidates = await reader.FindByIdAsync(after, filter, EventReader.MaxAfterCandidates, cancellationToken);
            var visible = await PermittedAsync(subscription, candidates, cancellationToken);
            if (visible.Count == 0)
            {
                return new RedeliveryResult.Invalid("after", $"No retained event of {subscription.ResourceFilter} that the subscription's consumer may see has the id '{after}'.");
            }

            position = visible[0].Position;
        }
        else if (!CloudEventValidator.IsRfc3339(request.From!))
        {
            return new RedeliveryResult.Invalid("from", "'from' must be a time with a time zone (RFC 3339), e.g. 2024-05-12T08:00:00Z.");
        }
        else
        {
            var from = DateTimeOffset.Parse(request.From!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).ToUniversalTime();
            filter = filter with { From = from };
            position = await reader.PositionFromAsync(from, cancellationToken);
        }

        if (subscription.ValidationStatus != ValidationStatus.Validated)
        {
            return new RedeliveryResult.NotValidated(subscription.ValidationStatus);
        }

        var settings = options.Value;
        var subjects = await SubjectsAsync(subscription, cancellationToken);
        var matching = new SubscriptionFilter(
            subscription.ResourceFilter, subscription.SourceFilter, subscription.SubjectFilter, subscription.TypeFilter, subscription.IncludeSubunits, CloudEventFilters.FromStored(subscription.Filters));
        var page = await reader.ScanAsync(
            subjects is [var only] ? filter with { Subject = only } : filter with { SubjectIn = subjects },
            position,
            long.MaxValue,
            settings.MaxScanned,
            settings.MaxEvents,
            (chunk, ct) => VisibleAsync(subscription, matching, chunk, ct),
            withPayloads: false,
            cancellationToken);
        var selected = page.Kept;
        var (next, _) = PageCursor.Next(page.Scan, settings.MaxScanned);
        if (selected.Count > 0)
        {
            await store.QueueAgainAsync(subscription.Id, [.. selected.Select(s => (s.Seq, s.Registered))], time.GetUtcNow(), cancellationToken);
            foreach (var chunk in selected.Chunk(settings.DeliveriesPerMessage))
            {
                var message = new OutboundMessage([.. chunk.Select(c => new DeliveryReference(subscription.Id, c.Seq, c.Registered))]);
                await queues.SendOutboundAsync(message, cancellationToken);
            }
        }

        var complete = page.Scan.Exhausted;
        DeliveryLog.Redelivered(logger, subscription.Id, selected.Count, page.Scan.Examined, complete);
        return new RedeliveryResult.Queued(new RedeliveryResponse(
            selected.Count, complete, complete ? null : QueryCursor.Encode(next), selected.Count > 0 ? selected[^1].Id : null));
    }

    // The subject values to read by: the subject filter, plus its subunits when the subscription includes them.
    private async Task<IReadOnlyList<string>?> SubjectsAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        if (subscription.SubjectFilter is not { } subject)
        {
            return null;
        }

        if (!subscription.IncludeSubunits || Subjects.PartyId(subject) is not { } party)
        {
            return [subject];
        }

        var subunits = await register.GetSubunitsAsync([party], cancellationToken);
        return [subject, .. (subunits.TryGetValue(party, out var ids) ? ids : []).Select(Subjects.ForParty)];
    }

    // The events of a chunk that the filters match and the consumer may see, in their order.
    private async Task<IReadOnlyList<ScannedEvent>> VisibleAsync(Subscription subscription, SubscriptionFilter filter, IReadOnlyList<ScannedEvent> chunk, CancellationToken cancellationToken)
    {
        // Filters over every attribute need the stored events (one query per chunk, only for such subscriptions).
        var payloads = filter.Filters is null ? null : await reader.LoadPayloadsAsync(chunk, cancellationToken);
        var matching = chunk.Where(e => SubscriptionMatcher.Matches(filter, new EventMatchKeys(
            e.Resource,
            SubscriptionMatcher.SourcePrefixes(e.Source),
            e.Subject,
            AlternativeSubjectParty: null,
            // The scan already kept only the filter's subject and its subunits.
            MainUnitSubject: subscription.IncludeSubunits ? subscription.SubjectFilter : null,
            e.Type,
            payloads is null ? null : AttributesOf(payloads, e.Seq)))).ToList();
        return await PermittedAsync(subscription, matching, cancellationToken);
    }

    private static Dictionary<string, string> AttributesOf(IReadOnlyDictionary<long, string> payloads, long seq)
    {
        using var document = JsonDocument.Parse(payloads.TryGetValue(seq, out var json) ? json : "{}");
        return CloudEventFilters.AttributesOf(document.RootElement);
    }

    // The events the subscription's consumer may still receive (read on apps, subscribe otherwise), in their order.
    private async Task<IReadOnlyList<ScannedEvent>> PermittedAsync(Subscription subscription, IReadOnlyList<ScannedEvent> events, CancellationToken cancellationToken)
    {
        var keys = events.Select(e => (e.Resource, e.PartyId)).Distinct().ToList();
        if (keys.Count == 0)
        {
            return [];
        }

        var decisions = await decider.DecideAsync(
            [.. keys.Select(k => new DecisionRequest(subscription.Consumer, Actions.For(k.Resource), new DecisionResource(k.Resource, k.PartyId)))],
            cancellationToken);
        var permitted = keys.Where((_, i) => decisions[i]).ToHashSet();
        return [.. events.Where(e => permitted.Contains((e.Resource, e.PartyId)))];
    }
}

internal static partial class DeliveryLog
{
    [LoggerMessage(LogEventIds.Redelivered, LogLevel.Information, "Redelivery for subscription {SubscriptionId} queued {Queued} events ({Scanned} examined, complete: {Complete})")]
    public static partial void Redelivered(ILogger logger, Guid subscriptionId, int queued, int scanned, bool complete);
}
