using System.Text.Json;
using System.Text.Json.Nodes;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Identity;
using Altinn.Events.Persistence.Events;
using CloudNative.CloudEvents;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Publishing;

/// <summary>What a publish came to; the endpoint turns it into a status code.</summary>
internal abstract record PublishResult
{
    /// <summary>Errors by field (<c>[i].field</c> in a batch); nothing was stored.</summary>
    public sealed record Invalid(Dictionary<string, List<string>> Errors) : PublishResult;

    /// <summary>The caller may not publish to these resources; nothing was stored.</summary>
    public sealed record Denied(IReadOnlyList<string> Resources) : PublishResult;

    /// <summary>These events were published before with other content; nothing of the request was stored.</summary>
    public sealed record Conflict(IReadOnlyList<(int Index, string Id, string Source)> Events) : PublishResult;

    /// <summary>Stored (or already stored with the same content).</summary>
    public sealed record Published : PublishResult;

    /// <summary>An app event stored under the id the service gave it.</summary>
    public sealed record Created(string Id) : PublishResult;
}

/// <summary>
/// The publish workflow once the endpoint has read the body: CloudEvent rules, decoding, the publish decision, and the
/// write (through the group-commit writer, holding the request's admission reservation until it is committed).
/// </summary>
internal sealed class PublishService(IEventWriter writer, IAuthorizationDecider decider, TimeProvider time, IOptions<PublishingOptions> options)
{
    /// <summary>Publishes generic events: each element with the prefix its errors are named by (<c>[i].</c> in a batch).</summary>
    public async Task<PublishResult> PublishAsync(Caller caller, IReadOnlyList<(JsonElement Element, string Prefix)> elements, PublishAdmission.Reservation reservation, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (element, prefix) in elements)
        {
            CloudEventValidator.ValidateGeneric(element, prefix, errors);
        }

        if (errors.Count > 0)
        {
            return new PublishResult.Invalid(errors);
        }

        var now = time.GetUtcNow();
        var events = new List<NewEvent>(elements.Count);
        foreach (var (element, prefix) in elements)
        {
            // The content is the event as sent, before the service fills in a missing time.
            var content = EventIdentity.ContentHash(element);
            if (StoredEvent.TryPlain(element, caller.Consumer, content, now) is { } plain)
            {
                events.Add(plain);
                continue;
            }

            var cloudEvent = CloudEventReader.Decode(element, out var decodeError);
            if (cloudEvent is null)
            {
                errors[prefix.Length == 0 ? "body" : prefix.TrimEnd('.')] = [decodeError!];
                continue;
            }

            cloudEvent.Time ??= now;
            events.Add(ToNewEvent(cloudEvent, caller.Consumer, content));
        }

        if (errors.Count > 0)
        {
            return new PublishResult.Invalid(errors);
        }

        if (!caller.HasScope(Scopes.PublishAdmin))
        {
            var resources = events.Select(e => e.Resource).Distinct(StringComparer.Ordinal).ToArray();
            var decisions = await decider.DecideAsync(
                [.. resources.Select(r => new DecisionRequest(caller.Consumer, Actions.Publish, new DecisionResource(r, null), caller.AuthenticationLevel))],
                cancellationToken);
            var denied = resources.Where((_, i) => !decisions[i]).ToArray();
            if (denied.Length > 0)
            {
                return new PublishResult.Denied(denied);
            }
        }

        var written = await WriteAsync(events, reservation, cancellationToken);
        return written.Succeeded
            ? new PublishResult.Published()
            : new PublishResult.Conflict([.. written.Conflicts.Select(i => (i, events[i].Id, events[i].Source))]);
    }

    /// <summary>Publishes an app's event: the service gives it its id, time, resource and resource instance.</summary>
    public async Task<PublishResult> PublishAppEventAsync(Caller caller, JsonElement root, PublishAdmission.Reservation reservation, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        CloudEventValidator.ValidateApp(root, string.Empty, errors);
        if (errors.Count > 0)
        {
            return new PublishResult.Invalid(errors);
        }

        var source = AppEventSource.TryParse(root.GetProperty("source").GetString()!, options.Value.AppsDomain, out var sourceError);
        if (source is null)
        {
            return Invalid("source", sourceError!);
        }

        if (!string.Equals(source.Org, caller.Org, StringComparison.Ordinal) || !string.Equals(source.App, caller.App, StringComparison.Ordinal))
        {
            return Invalid("source", $"The source names the app {source.Org}/{source.App}, but the caller is {caller.Org}/{caller.App}; an app publishes only its own events.");
        }

        // The service owns these attributes of app events.
        var node = JsonNode.Parse(root.GetRawText())!.AsObject();
        var id = Guid.NewGuid().ToString();
        node["id"] = id;
        node["time"] = time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        node["resource"] = AppResources.For(source.Org, source.App);
        node["resourceinstance"] = source.ResourceInstance;
        var element = JsonSerializer.SerializeToElement(node);
        var cloudEvent = CloudEventReader.Decode(element, out var decodeError);
        if (cloudEvent is null)
        {
            return Invalid("body", decodeError!);
        }

        // The id is new, so nothing can conflict with it.
        await WriteAsync([ToNewEvent(cloudEvent, caller.Consumer, EventIdentity.ContentHash(element))], reservation, cancellationToken);
        return new PublishResult.Created(id);
    }

    private static PublishResult.Invalid Invalid(string field, string message) => new(new Dictionary<string, List<string>> { [field] = [message] });

    /// <summary>Stores the events; their reservation is kept until the write completes, even if the client leaves first.</summary>
    private Task<WriteResult> WriteAsync(IReadOnlyList<NewEvent> events, PublishAdmission.Reservation reservation, CancellationToken cancellationToken)
    {
        var write = writer.WriteAsync(events, CancellationToken.None);
        reservation.ReleaseAfter(write);
        return write.WaitAsync(cancellationToken);
    }

    private static NewEvent ToNewEvent(CloudEvent cloudEvent, string publisher, Guid content)
    {
        var subject = cloudEvent.Subject;
        return new NewEvent(
            cloudEvent.Id!,
            cloudEvent.Source!.OriginalString,
            (string)cloudEvent["resource"]!,
            cloudEvent.Type!,
            subject,
            cloudEvent["alternativesubject"] as string,
            Subjects.PartyId(subject),
            cloudEvent.Time?.ToUniversalTime(),
            CloudEventReader.Encode(cloudEvent),
            publisher,
            content);
    }
}
