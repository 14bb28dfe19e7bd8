using System.Text.Json;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Matching;
using Altinn.Events.Core.Register;
using Altinn.Events.Messaging.Listener;
using Altinn.Events.Messaging.Messages;
using Altinn.Events.Persistence.Delivery;
using Altinn.Events.Persistence.Events;
using Altinn.Events.Persistence.Matching;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Stages.Inbound;

/// <summary>
/// The inbound stage, on <c>events-inbound</c>: for a batch of stored events, find the validated subscriptions that match
/// each (index lookups, never a scan), authorize every matched consumer in one batch, record each (event, subscription)
/// once, and hand the authorized ones to <c>events-outbound</c> in batched messages. Unauthorized matches are recorded with
/// the reason and never delivered. The events' outbox rows are deleted in the transaction that records their deliveries,
/// so an event whose message is lost is found again by the relay. A message that cannot be read is poison; a database,
/// register or PDP outage throws and the message is retried.
/// </summary>
internal sealed partial class InboundFunction(
    EventReader events,
    SubscriptionMatchStore subscriptions,
    DeliveryRecorder deliveries,
    IPartyRegister register,
    IAuthorizedParties authorizedParties,
    IAuthorizationDecider decider,
    IEventQueues queues,
    IOptions<InboundOptions> options,
    TimeProvider time,
    ILogger<InboundFunction> logger) : IQueueFunction
{

    public async Task RunAsync(QueueMessageContext message, CancellationToken cancellationToken)
    {
        var batch = Parse(message.Body);
        // A retry may follow an attempt that committed and died before handing on: match everything again, so deliveries
        // still queued are handed on now rather than after the scheduler's grace. First attempts skip matched events.
        var retry = message.DequeueCount > 1;
        var stored = await events.LoadForMatchingAsync(batch.Events, includeMatched: retry, cancellationToken);
        var records = stored.Count == 0 ? [] : await MatchAndAuthorizeAsync(stored, cancellationToken);

        // Every referenced event's outbox row goes with the records, also for events that matched nothing, were matched
        // already (a copy of the message) or are no longer stored, so none of them is sent again.
        await deliveries.RecordAsync([.. batch.Events.Select(e => e.Seq)], records, time.GetUtcNow(), SendAsync, retry, cancellationToken);
        Log.Matched(logger, message.MessageId, stored.Count, records.Count, records.Count(r => r.Status == DeliveryStatus.Queued));
    }

    /// <summary>The deliveries of <paramref name="stored"/>: every matching subscription, queued when permitted.</summary>
    private async Task<List<NewDelivery>> MatchAndAuthorizeAsync(IReadOnlyList<EventForMatching> stored, CancellationToken cancellationToken)
    {
        var keys = await MatchKeysAsync(stored, cancellationToken);
        var probes = keys.SelectMany(k => k.Subjects().Append(string.Empty).Select(s => (k.Resource, s))).ToHashSet();
        var found = await subscriptions.FindAsync(probes, cancellationToken);
        var candidates = found.ToLookup(c => (c.ResourceFilter, c.SubjectKey));
        var forParties = await AllPartyCandidatesAsync(stored, cancellationToken);
        var filters = found.Concat(forParties.SelectMany(g => g)).DistinctBy(c => c.Id).ToDictionary(c => c.Id, c => c.Filter);
        await AddAttributesAsync(stored, keys, candidates, forParties, filters, cancellationToken);

        var matches = new List<(EventForMatching Event, MatchCandidate Subscription)>();
        for (var i = 0; i < stored.Count; i++)
        {
            var seen = new HashSet<Guid>();
            foreach (var subject in keys[i].Subjects().Append(string.Empty))
            {
                foreach (var candidate in candidates[(keys[i].Resource, subject)])
                {
                    if (seen.Add(candidate.Id) && SubscriptionMatcher.Matches(filters[candidate.Id], keys[i]))
                    {
                        matches.Add((stored[i], candidate));
                    }
                }
            }

            if (stored[i].PartyId is { } party)
            {
                foreach (var candidate in forParties[(keys[i].Resource, party)])
                {
                    if (seen.Add(candidate.Id) && SubscriptionMatcher.Matches(candidate.Filter, keys[i]))
                    {
                        matches.Add((stored[i], candidate));
                    }
                }
            }
        }

        if (matches.Count == 0)
        {
            return [];
        }

        // One decision per distinct (consumer, action, resource, party), asked in one batch for the whole message.
        var requestOf = matches.Select(m => new DecisionRequest(m.Subscription.Consumer, Actions.For(m.Event.Resource), new DecisionResource(m.Event.Resource, m.Event.PartyId))).ToList();
        var requests = requestOf.Distinct().ToList();
        var decisions = await decider.DecideAsync(requests, cancellationToken);
        var permitted = requests.Where((_, i) => decisions[i]).ToHashSet();

        return [.. matches.Select((m, i) => permitted.Contains(requestOf[i])
            ? new NewDelivery(m.Subscription.Id, m.Event.Seq, m.Event.RegisteredUtc, DeliveryStatus.Queued, null)
            : new NewDelivery(m.Subscription.Id, m.Event.Seq, m.Event.RegisteredUtc, DeliveryStatus.Unauthorized, $"{m.Subscription.Consumer} may not {requestOf[i].Action} {m.Event.Resource}{(m.Event.PartyId is { } p ? $" for party {p}" : string.Empty)}"))];
    }

    /// <summary>
    /// The attributes of the events that a subscription with <c>filters</c> was found for, from their stored CloudEvents
    /// (one query, only when there are any): those filters hold over every attribute, extensions included.
    /// </summary>
    private async Task AddAttributesAsync(
        IReadOnlyList<EventForMatching> stored, List<EventMatchKeys> keys, ILookup<(string, string), MatchCandidate> candidates, ILookup<(string Resource, int PartyId), MatchCandidate> forParties, Dictionary<Guid, SubscriptionFilter> filters, CancellationToken cancellationToken)
    {
        var needed = Enumerable.Range(0, stored.Count)
            .Where(i => keys[i].Subjects().Append(string.Empty).Any(s => candidates[(keys[i].Resource, s)].Any(c => filters[c.Id].Filters is not null))
                || (stored[i].PartyId is { } party && forParties[(keys[i].Resource, party)].Any(c => filters[c.Id].Filters is not null)))
            .ToList();
        if (needed.Count == 0)
        {
            return;
        }

        var payloads = await events.LoadPayloadsAsync([.. needed.Select(i => stored[i])], cancellationToken);
        foreach (var i in needed)
        {
            using var document = JsonDocument.Parse(payloads.TryGetValue(stored[i].Seq, out var json) ? json : "{}");
            keys[i] = keys[i] with { Attributes = CloudEventFilters.AttributesOf(document.RootElement) };
        }
    }

    /// <summary>
    /// The subscriptions covering every party of their consumer that may match each (resource, party) of the batch: the
    /// right holders of the events' parties (one reverse-index lookup for the batch), then one probe per (resource, holder).
    /// The decision point still decides each of them.
    /// </summary>
    private async Task<ILookup<(string Resource, int PartyId), MatchCandidate>> AllPartyCandidatesAsync(IReadOnlyList<EventForMatching> stored, CancellationToken cancellationToken)
    {
        var parties = stored.Select(e => e.PartyId).OfType<int>().Distinct().ToArray();
        var holders = parties.Length > 0 ? await authorizedParties.GetRightHoldersAsync(parties, cancellationToken) : new Dictionary<int, IReadOnlyList<string>>();
        if (holders.Count == 0)
        {
            return Array.Empty<MatchCandidate>().ToLookup(_ => (string.Empty, 0));
        }

        var pairs = stored
            .Where(e => e.PartyId is { } p && holders.ContainsKey(p))
            .Select(e => (e.Resource, PartyId: e.PartyId!.Value))
            .Distinct()
            .ToList();
        var probes = pairs.SelectMany(p => holders[p.PartyId].Select(h => (p.Resource, h))).ToHashSet();
        var found = (await subscriptions.FindAllPartiesAsync(probes, cancellationToken)).ToLookup(c => (c.ResourceFilter, c.Consumer));
        return pairs
            .SelectMany(p => holders[p.PartyId].SelectMany(h => found[(p.Resource, h)]).Select(c => (Key: p, Candidate: c)))
            .ToLookup(x => x.Key, x => x.Candidate);
    }

    private async Task SendAsync(IReadOnlyList<NewDelivery> fresh, CancellationToken cancellationToken)
    {
        var sends = fresh
            .Where(d => d.Status == DeliveryStatus.Queued)
            .Select(d => new DeliveryReference(d.SubscriptionId, d.Seq, d.Registered))
            .Chunk(options.Value.DeliveriesPerMessage)
            .Select(chunk => queues.SendOutboundAsync(new OutboundMessage(chunk), cancellationToken));
        await Task.WhenAll(sends);
    }

    /// <summary>
    /// Each event's keys: its source prefixes, its subject, the party of its alternative subject and its main unit when its
    /// subject is a subunit, looked up in the register for the whole batch at once.
    /// </summary>
    private async Task<List<EventMatchKeys>> MatchKeysAsync(IReadOnlyList<EventForMatching> stored, CancellationToken cancellationToken)
    {
        var persons = stored.Select(e => AlternativeNumber(e.AlternativeSubject, "/person/")).OfType<string>().Distinct().ToArray();
        var organisations = stored.Select(e => AlternativeNumber(e.AlternativeSubject, "/organisation/")).OfType<string>().Distinct().ToArray();
        var parties = stored.Select(e => e.PartyId).OfType<int>().Distinct().ToArray();

        var byPerson = persons.Length > 0 ? await register.FindByPersonNumbersAsync(persons, cancellationToken) : new Dictionary<string, Party>();
        var byOrganisation = organisations.Length > 0 ? await register.FindByOrganisationNumbersAsync(organisations, cancellationToken) : new Dictionary<string, Party>();
        var mainUnits = parties.Length > 0 ? await register.GetMainUnitsAsync(parties, cancellationToken) : new Dictionary<int, int>();

        return [.. stored.Select(e =>
        {
            string? alternativeParty = null;
            if (AlternativeNumber(e.AlternativeSubject, "/person/") is { } pid && byPerson.TryGetValue(pid, out var person))
            {
                alternativeParty = Subjects.ForParty(person.PartyId);
            }
            else if (AlternativeNumber(e.AlternativeSubject, "/organisation/") is { } orgNo && byOrganisation.TryGetValue(orgNo, out var organisation))
            {
                alternativeParty = Subjects.ForParty(organisation.PartyId);
            }

            var mainUnit = e.PartyId is { } party && mainUnits.TryGetValue(party, out var main) ? Subjects.ForParty(main) : null;
            return new EventMatchKeys(e.Resource, SubscriptionMatcher.SourcePrefixes(e.Source), e.Subject, alternativeParty, mainUnit, e.Type);
        })];
    }

    private static string? AlternativeNumber(string? alternativeSubject, string prefix) =>
        alternativeSubject is not null && alternativeSubject.StartsWith(prefix, StringComparison.Ordinal) ? alternativeSubject[prefix.Length..] : null;

    private static InboundMessage Parse(string body)
    {
        try
        {
            var message = JsonSerializer.Deserialize(body, QueueJsonContext.Default.InboundMessage);
            if (message?.Events is null || message.Events.Any(e => e is null))
            {
                throw new PermanentMessageException("The message is not an inbound batch: expected {\"events\":[{\"seq\":...,\"registered\":...}]}.");
            }

            return message;
        }
        catch (JsonException ex)
        {
            throw new PermanentMessageException($"The message is not valid JSON: {ex.Message}", ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.Matched, LogLevel.Debug, "Inbound message {MessageId}: {Events} events, {Matches} matches, {Queued} queued for delivery")]
        public static partial void Matched(ILogger logger, string messageId, int events, int matches, int queued);
    }
}
