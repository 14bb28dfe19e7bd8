using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;

namespace Altinn.Events.Client;

/// <summary>The CloudEvents extension attributes, content types and formatter Altinn Events uses.</summary>
public static class AltinnCloudEvents
{
    /// <summary>Media type of one event in structured mode.</summary>
    public const string StructuredContentType = "application/cloudevents+json";

    /// <summary>Media type of a JSON array of events (batch mode).</summary>
    public const string BatchContentType = "application/cloudevents-batch+json";

    /// <summary>The type of the event the service sends to a new endpoint to validate its subscription.</summary>
    public const string ValidationEventType = "platform.events.validatesubscription";

    /// <summary>The <c>resource</c> extension: the resource the event is about, <c>urn:altinn:resource:{id}</c>; required when publishing generic events.</summary>
    public static CloudEventAttribute Resource { get; } = CloudEventAttribute.CreateExtension("resource", CloudEventAttributeType.String);

    /// <summary>The <c>resourceinstance</c> extension (set by the service on app events: <c>{partyId}/{instanceGuid}</c>).</summary>
    public static CloudEventAttribute ResourceInstance { get; } = CloudEventAttribute.CreateExtension("resourceinstance", CloudEventAttributeType.String);

    /// <summary>The <c>alternativesubject</c> extension: <c>/person/{11 digits}</c> or <c>/organisation/{9 digits}</c>.</summary>
    public static CloudEventAttribute AlternativeSubject { get; } = CloudEventAttribute.CreateExtension("alternativesubject", CloudEventAttributeType.String);

    /// <summary>Every extension attribute above, for parsing events with their declared types.</summary>
    public static IReadOnlyList<CloudEventAttribute> Extensions { get; } = [Resource, ResourceInstance, AlternativeSubject];

    /// <summary>The JSON event format (System.Text.Json) used for every body the client writes and reads.</summary>
    public static CloudEventFormatter Formatter { get; } = new JsonEventFormatter();

    /// <summary>A new event with the Altinn extension attributes declared (so they are typed, not plain extensions).</summary>
    public static CloudEvent Create() => new(Extensions);

    /// <summary>Sets the <c>resource</c> extension; returns the event for chaining.</summary>
    public static CloudEvent SetResource(this CloudEvent cloudEvent, string resource)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        cloudEvent[Resource] = resource;
        return cloudEvent;
    }

    /// <summary>The <c>resource</c> extension, or null.</summary>
    public static string? GetResource(this CloudEvent cloudEvent)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        return cloudEvent[Resource.Name]?.ToString();
    }

    /// <summary>Sets the <c>alternativesubject</c> extension; returns the event for chaining.</summary>
    public static CloudEvent SetAlternativeSubject(this CloudEvent cloudEvent, string alternativeSubject)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        cloudEvent[AlternativeSubject] = alternativeSubject;
        return cloudEvent;
    }

    /// <summary>The <c>resourceinstance</c> extension, or null.</summary>
    public static string? GetResourceInstance(this CloudEvent cloudEvent)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        return cloudEvent[ResourceInstance.Name]?.ToString();
    }
}
