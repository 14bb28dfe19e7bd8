using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Altinn.Events.Api.Publishing;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Identity;
using Altinn.Events.Core.Register;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging.Messages;
using Altinn.Events.Persistence.Subscriptions;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Subscriptions;

/// <summary>What creating a subscription came to; the endpoint turns it into a status code.</summary>
internal abstract record CreateResult
{
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : CreateResult;

    public sealed record Denied(string Detail) : CreateResult;

    public sealed record LimitReached(string Consumer, int Max) : CreateResult;

    public sealed record Created(Subscription Subscription) : CreateResult;

    public sealed record Existing(Subscription Subscription) : CreateResult;
}

/// <summary>What changing a subscription came to.</summary>
internal abstract record PatchResult
{
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : PatchResult;

    public sealed record Denied(string Detail) : PatchResult;

    public sealed record Changed(Subscription Subscription) : PatchResult;

    /// <summary>It was deleted meanwhile.</summary>
    public sealed record Gone : PatchResult;
}

/// <summary>Whether the caller may act on a subscription.</summary>
internal enum Ownership
{
    Owner,
    NotFound,
    NotOwner,
}

/// <summary>
/// Creates subscriptions (rules, register lookup, endpoint address check, authorization, store, first validation
/// message) and guards the per-subscription operations by ownership.
/// </summary>
internal sealed class SubscriptionService(
    SubscriptionStore store,
    IPartyRegister register,
    IAuthorizationDecider decider,
    IAuthorizedParties authorizedParties,
    IHostAddressResolver resolver,
    IEventQueues queues,
    IOptions<SubscriptionOptions> options,
    IOptions<PublishingOptions> publishing,
    TimeProvider time,
    ILogger<SubscriptionService> logger)
{

    /// <summary>Parties decided per batch when checking that an all-party subscription has a party to cover.</summary>
    private const int PartyDecisionBatch = 500;

    public async Task<CreateResult> CreateAsync(Caller caller, SubscriptionInput input, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var check = SubscriptionRules.Check(input, caller, publishing.Value.AppsDomain, settings.AllowHttpLoopback, settings.AllowedPorts);
        if (check.Forbidden is { } forbidden)
        {
            return new CreateResult.Denied(forbidden);
        }

        if (check.Draft is not { } draft)
        {
            return new CreateResult.Invalid(check.Errors);
        }

        var subject = draft.SubjectFilter;
        if (draft.AlternativeSubjectFilter is { } alternative)
        {
            if (await ResolveAsync(alternative, cancellationToken) is not { } partyId)
            {
                return Invalid("alternativeSubjectFilter", "No party is registered for the alternativeSubjectFilter.");
            }

            subject = Subjects.ForParty(partyId);
        }

        var party = Subjects.PartyId(subject);
        var permitted = await decider.DecideAsync(
            [new DecisionRequest(caller.Consumer, draft.Action, new DecisionResource(draft.ResourceFilter, party), caller.AuthenticationLevel)],
            cancellationToken);
        var allParties = false;
        if (!permitted[0])
        {
            // Without a subject and without a right on the resource as a whole, a user, organisation or system user gets
            // the events of every party it holds the right for, as its rights change; it must hold it for one now.
            allParties = !draft.HasSubject && SubscriptionRules.MayCoverParties(caller.Kind)
                && await PermittedForSomePartyAsync(caller, draft, cancellationToken);
            if (!allParties)
            {
                var about = party is not null ? " about the subject filter's party" : draft.HasSubject ? string.Empty : " for any party";
                return new CreateResult.Denied($"{caller.Consumer} may not {draft.Action} events of {draft.ResourceFilter}{about}.");
            }
        }

        // After the decision, so the service cannot be used to probe DNS by callers who may not subscribe at all.
        if (await EndPointAddressErrorAsync(draft.EndPoint, settings.AllowHttpLoopback, cancellationToken) is { } addressError)
        {
            return Invalid("endPoint", addressError);
        }

        var now = time.GetUtcNow();
        var candidate = new Subscription
        {
            Id = Guid.CreateVersion7(now),
            Consumer = caller.Consumer,
            CreatedBy = caller.Consumer,
            Created = now,
            EndPoint = draft.EndPoint.AbsoluteUri,
            ResourceFilter = draft.ResourceFilter,
            SourceFilter = draft.SourceFilter,
            SubjectFilter = subject,
            AlternativeSubjectFilter = draft.AlternativeSubjectFilter,
            TypeFilter = draft.TypeFilter,
            IncludeSubunits = draft.IncludeSubunits,
            Filters = draft.FiltersJson,
            Enabled = draft.Enabled,
            ContentMode = draft.ContentMode,
            BatchMaxEvents = draft.BatchMaxEvents,
            BatchMaxBytes = draft.BatchMaxBytes,
            ValidationMethod = draft.ValidationMethod,
            AllParties = allParties,
            Secret = WebhookSignature.NewSecret(),
            ValidationStatus = ValidationStatus.Pending,
        };

        var (outcome, stored) = await store.CreateAsync(candidate, settings.MaxPerConsumer, cancellationToken);
        switch (outcome)
        {
            case CreateOutcome.LimitReached:
                return new CreateResult.LimitReached(caller.Consumer, settings.MaxPerConsumer);
            case CreateOutcome.Existing:
                return new CreateResult.Existing(stored!);
        }

        SubscriptionsLog.Created(logger, candidate.Id, caller.Kind.ToString(), draft.ResourceFilter);
        await EnqueueValidationAsync(candidate.Id, candidate.ValidationRun, cancellationToken);
        return new CreateResult.Created(candidate);
    }

    /// <summary>The subscription and whether <paramref name="caller"/> created it.</summary>
    public async Task<(Ownership Ownership, Subscription? Subscription)> GetOwnedAsync(Caller caller, Guid id, CancellationToken cancellationToken)
    {
        var subscription = await store.GetAsync(id, cancellationToken);
        if (subscription is null)
        {
            return (Ownership.NotFound, null);
        }

        return string.Equals(subscription.Consumer, caller.Consumer, StringComparison.Ordinal) ? (Ownership.Owner, subscription) : (Ownership.NotOwner, null);
    }

    /// <summary>
    /// Applies the owner's <paramref name="patch"/> (<paramref name="given"/>: the members it names) to
    /// <paramref name="current"/>: the result is checked by the same rules as a new subscription; a new endpoint is checked
    /// for where it resolves to and, like a new validation method, validated again; resuming makes the paused deliveries due.
    /// </summary>
    public async Task<PatchResult> PatchAsync(Caller caller, Subscription current, SubscriptionPatch patch, IReadOnlySet<string> given, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var contentMode = given.Contains("contentMode") ? patch.ContentMode : current.ContentMode;
        var keepBatch = contentMode == ContentModes.Batched;
        var input = new SubscriptionInput(
            given.Contains("endPoint") ? patch.EndPoint : current.EndPoint,
            current.SourceFilter,
            current.ResourceFilter,
            current.AlternativeSubjectFilter is null ? current.SubjectFilter : null,
            current.AlternativeSubjectFilter,
            given.Contains("typeFilter") ? patch.TypeFilter : current.TypeFilter is null ? null : JsonSerializer.SerializeToElement(current.TypeFilter),
            current.IncludeSubunits,
            given.Contains("filters") ? patch.Filters : current.Filters is null ? null : JsonDocument.Parse(current.Filters).RootElement.Clone(),
            contentMode,
            given.Contains("batchMaxEvents") ? patch.BatchMaxEvents : keepBatch ? current.BatchMaxEvents : null,
            given.Contains("batchMaxBytes") ? patch.BatchMaxBytes : keepBatch ? current.BatchMaxBytes : null,
            given.Contains("validationMethod") ? patch.ValidationMethod : current.ValidationMethod,
            given.Contains("enabled") ? patch.Enabled : current.Enabled);
        if (given.Contains("enabled") && patch.Enabled is null)
        {
            return new PatchResult.Invalid(new Dictionary<string, string[]> { ["enabled"] = ["enabled must be true or false."] });
        }

        var check = SubscriptionRules.Check(input, caller, publishing.Value.AppsDomain, settings.AllowHttpLoopback, settings.AllowedPorts);
        if (check.Forbidden is { } forbidden)
        {
            return new PatchResult.Denied(forbidden);
        }

        if (check.Draft is not { } draft)
        {
            return new PatchResult.Invalid(check.Errors);
        }

        var endPoint = draft.EndPoint.AbsoluteUri;
        var newEndPoint = !string.Equals(endPoint, current.EndPoint, StringComparison.Ordinal);
        if (newEndPoint && await EndPointAddressErrorAsync(draft.EndPoint, settings.AllowHttpLoopback, cancellationToken) is { } addressError)
        {
            return new PatchResult.Invalid(new Dictionary<string, string[]> { ["endPoint"] = [addressError] });
        }

        var revalidate = newEndPoint || draft.ValidationMethod != current.ValidationMethod;
        var changed = current with
        {
            EndPoint = endPoint,
            TypeFilter = draft.TypeFilter,
            Filters = draft.FiltersJson,
            ContentMode = draft.ContentMode,
            BatchMaxEvents = draft.BatchMaxEvents,
            BatchMaxBytes = draft.BatchMaxBytes,
            ValidationMethod = draft.ValidationMethod,
            Enabled = draft.Enabled,
        };
        var updated = await store.UpdateAsync(changed, revalidate, resume: !current.Enabled && draft.Enabled, time.GetUtcNow(), cancellationToken);
        if (updated is null)
        {
            return new PatchResult.Gone();
        }

        SubscriptionsLog.Changed(logger, updated.Id, updated.Enabled, revalidate);
        if (revalidate)
        {
            await EnqueueValidationAsync(updated.Id, updated.ValidationRun, cancellationToken);
        }

        return new PatchResult.Changed(updated);
    }

    public Task<IReadOnlyList<Subscription>> ListAsync(Caller caller, CancellationToken cancellationToken) => store.ListAsync(caller.Consumer, cancellationToken);

    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteAsync(id, cancellationToken);
        if (deleted)
        {
            SubscriptionsLog.Deleted(logger, id);
        }

        return deleted;
    }

    /// <returns>The new secret, or null when the subscription is gone.</returns>
    public async Task<string?> RotateSecretAsync(Guid id, CancellationToken cancellationToken)
    {
        var secret = WebhookSignature.NewSecret();
        return await store.SetSecretAsync(id, secret, cancellationToken) ? secret : null;
    }

    /// <summary>Starts a new validation run from attempt 1; the subscription is pending until its endpoint answers.</summary>
    public async Task<Subscription?> RestartValidationAsync(Guid id, CancellationToken cancellationToken)
    {
        var restarted = await store.RestartValidationAsync(id, time.GetUtcNow(), cancellationToken);
        if (restarted is not null)
        {
            await EnqueueValidationAsync(restarted.Id, restarted.ValidationRun, cancellationToken);
        }

        return restarted;
    }

    private async Task EnqueueValidationAsync(Guid id, int run, CancellationToken cancellationToken)
    {
        try
        {
            await queues.SendValidationAsync(new ValidationMessage(id, 1, run), null, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The subscription is stored and stays pending; POST /subscriptions/{id}/validate starts validation again.
            SubscriptionsLog.EnqueueFailed(logger, ex, id);
        }
    }

    private async Task<string?> EndPointAddressErrorAsync(Uri endPoint, bool allowLoopback, CancellationToken cancellationToken)
    {
        IReadOnlyList<IPAddress> addresses;
        try
        {
            addresses = await resolver.ResolveAsync(endPoint.DnsSafeHost, cancellationToken);
        }
        catch (SocketException)
        {
            return $"The endPoint's host {endPoint.Host} does not resolve.";
        }

        if (addresses.Count == 0)
        {
            return $"The endPoint's host {endPoint.Host} does not resolve.";
        }

        // Which kind of address it resolves to is not said: that would describe the network behind the name.
        return addresses.All(a => AddressClassifier.IsAllowed(a, allowLoopback))
            ? null
            : $"The endPoint's host {endPoint.Host} resolves to an address webhooks may not reach; they must reach public addresses only.";
    }

    /// <summary>Whether the caller may receive the draft's events for at least one of the parties it holds rights for (decided in batches).</summary>
    private async Task<bool> PermittedForSomePartyAsync(Caller caller, SubscriptionDraft draft, CancellationToken cancellationToken)
    {
        var parties = await authorizedParties.GetPartiesAsync(caller.Consumer, cancellationToken);
        foreach (var chunk in parties.Chunk(PartyDecisionBatch))
        {
            var decisions = await decider.DecideAsync(
                [.. chunk.Select(p => new DecisionRequest(caller.Consumer, draft.Action, new DecisionResource(draft.ResourceFilter, p), caller.AuthenticationLevel))],
                cancellationToken);
            if (decisions.Any(d => d))
            {
                return true;
            }
        }

        return false;
    }

    private async Task<int?> ResolveAsync(string alternativeSubject, CancellationToken cancellationToken)
    {
        var number = alternativeSubject[(alternativeSubject.LastIndexOf('/') + 1)..];
        var found = alternativeSubject.StartsWith("/person/", StringComparison.Ordinal)
            ? await register.FindByPersonNumbersAsync([number], cancellationToken)
            : await register.FindByOrganisationNumbersAsync([number], cancellationToken);
        return found.TryGetValue(number, out var party) ? party.PartyId : null;
    }

    private static CreateResult.Invalid Invalid(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] });
}

internal static partial class SubscriptionsLog
{
    // Consumer strings can name a person (user ids); logs carry the caller kind and resource only.
    [LoggerMessage(LogEventIds.Created, LogLevel.Information, "Subscription {SubscriptionId} created by a {CallerKind} caller for {Resource}")]
    public static partial void Created(ILogger logger, Guid subscriptionId, string callerKind, string resource);

    [LoggerMessage(LogEventIds.Deleted, LogLevel.Information, "Subscription {SubscriptionId} deleted")]
    public static partial void Deleted(ILogger logger, Guid subscriptionId);

    [LoggerMessage(LogEventIds.Changed, LogLevel.Information, "Subscription {SubscriptionId} changed by its owner (enabled {Enabled}, validated again {Revalidate})")]
    public static partial void Changed(ILogger logger, Guid subscriptionId, bool enabled, bool revalidate);

    [LoggerMessage(LogEventIds.EnqueueFailed, LogLevel.Error, "Could not enqueue validation of subscription {SubscriptionId}; it stays pending until validation is restarted")]
    public static partial void EnqueueFailed(ILogger logger, Exception exception, Guid subscriptionId);
}
