using System.Globalization;
using System.Text.Json;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Input;
using Altinn.Events.Core.Matching;
using Altinn.Events.Core.Register;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging;
using Altinn.Events.Persistence.Delivery;
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
    IAuthorizationDecider decider,
    IPartyRegister register,
    IQueueSender queues,
    IOptions<QueueOptions> queueOptions,
    IOptions<RedeliveryOptions> options,
    TimeProvider time,
    ILogger<DeliveryService> logger)
{
    private const int PageSize = 500;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

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
        if ((request.After is null) == (request.From is null))
        {
            return new RedeliveryResult.Invalid("after", "Give exactly one of 'after' (an event id) and 'from' (a time with a time zone).");
        }

        (long Seq, DateTimeOffset Registered)? position = null;
        DateTimeOffset? from = null;
        if (request.After is { } after)
        {
            if (string.IsNullOrWhiteSpace(after))
            {
                return new RedeliveryResult.Invalid("after", "'after' must be an event id.");
            }

            if (TextRules.Problem(after, "after") is { } problem)
            {
                return new RedeliveryResult.Invalid("after", problem);
            }

            position = await store.FindEventAsync(after, subscription.ResourceFilter, cancellationToken);
            if (position is null)
            {
                return new RedeliveryResult.Invalid("after", $"No retained event of {subscription.ResourceFilter} has the id '{after}'.");
            }
        }
        else if (!CloudEventValidator.IsRfc3339(request.From!))
        {
            return new RedeliveryResult.Invalid("from", "'from' must be a time with a time zone (RFC 3339), e.g. 2024-05-12T08:00:00Z.");
        }
        else
        {
            from = DateTimeOffset.Parse(request.From!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).ToUniversalTime();
        }

        if (subscription.ValidationStatus != ValidationStatus.Validated)
        {
            return new RedeliveryResult.NotValidated(subscription.ValidationStatus);
        }

        var settings = options.Value;
        var subjects = await SubjectsAsync(subscription, cancellationToken);
        var filter = new SubscriptionFilter(subscription.ResourceFilter, subscription.SourceFilter, subscription.SubjectFilter, subscription.TypeFilter, subscription.IncludeSubunits);
        var selected = new List<RedeliveryCandidate>();
        string? lastExamined = null;
        var scanned = 0;
        var complete = false;
        while (true)
        {
            var wanted = Math.Min(PageSize, settings.MaxScanned - scanned);
            var page = await store.ReadCandidatesAsync(subscription.ResourceFilter, subjects, position, from, wanted, cancellationToken);
            var visible = await VisibleAsync(subscription, filter, page, cancellationToken);
            foreach (var candidate in page)
            {
                scanned++;
                position = (candidate.Seq, candidate.Registered);
                lastExamined = candidate.Id;
                if (visible.Contains(candidate.Seq))
                {
                    selected.Add(candidate);
                    if (selected.Count == settings.MaxEvents)
                    {
                        break;
                    }
                }
            }

            if (selected.Count >= settings.MaxEvents)
            {
                break;
            }

            if (page.Count < wanted)
            {
                complete = true;
                break;
            }

            if (scanned >= settings.MaxScanned)
            {
                break;
            }
        }

        if (selected.Count > 0)
        {
            await store.QueueAgainAsync(subscription.Id, [.. selected.Select(s => (s.Seq, s.Registered))], time.GetUtcNow(), cancellationToken);
            foreach (var chunk in selected.Chunk(settings.DeliveriesPerMessage))
            {
                var message = new OutboundMessage([.. chunk.Select(c => new DeliveryReference(subscription.Id, c.Seq, c.Registered))]);
                await queues.SendAsync(queueOptions.Value.OutboundQueue, JsonSerializer.Serialize(message, Json), null, cancellationToken);
            }
        }

        DeliveryLog.Redelivered(logger, subscription.Id, selected.Count, scanned, complete);
        return new RedeliveryResult.Queued(new RedeliveryResponse(selected.Count, complete, lastExamined));
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

    // The sequence numbers of the page's events that the filters match and the consumer may see.
    private async Task<HashSet<long>> VisibleAsync(Subscription subscription, SubscriptionFilter filter, IReadOnlyList<RedeliveryCandidate> page, CancellationToken cancellationToken)
    {
        var matching = page.Where(e => SubscriptionMatcher.Matches(filter, new EventMatchKeys(
            e.Resource,
            SubscriptionMatcher.SourcePrefixes(e.Source),
            e.Subject,
            AlternativeSubjectParty: null,
            // The query already kept only the filter's subject and its subunits.
            MainUnitSubject: subscription.IncludeSubunits ? subscription.SubjectFilter : null,
            e.Type))).ToList();
        var keys = matching.Select(e => (e.Resource, e.PartyId)).Distinct().ToList();
        if (keys.Count == 0)
        {
            return [];
        }

        var decisions = await decider.DecideAsync(
            [.. keys.Select(k => new DecisionRequest(subscription.Consumer, Actions.ToReceive(k.Resource), new DecisionResource(k.Resource, k.PartyId)))],
            cancellationToken);
        var permitted = keys.Where((_, i) => decisions[i]).ToHashSet();
        return [.. matching.Where(e => permitted.Contains((e.Resource, e.PartyId))).Select(e => e.Seq)];
    }
}

internal static partial class DeliveryLog
{
    [LoggerMessage(5050, LogLevel.Information, "Redelivery for subscription {SubscriptionId} queued {Queued} events ({Scanned} examined, complete: {Complete})")]
    public static partial void Redelivered(ILogger logger, Guid subscriptionId, int queued, int scanned, bool complete);
}
