using System.Text.Json;
using Altinn.Events.Client;
using Altinn.Events.IntegrationTests.Infrastructure;
using CloudNative.CloudEvents;

namespace Altinn.Events.IntegrationTests.Client;

/// <summary>The CloudEvents the client tests publish: generic events of the test resource about party 50001, each type unique to its test.</summary>
internal static class ClientEvents
{
    public static string UniqueType(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A new event of <paramref name="type"/>; with <paramref name="data"/>, that as its JSON data.</summary>
    public static CloudEvent Generic(string type, string source, object? data = null)
    {
        var cloudEvent = new CloudEvent(AltinnCloudEvents.Extensions)
        {
            Id = Guid.NewGuid().ToString(),
            Source = new Uri(source),
            Type = type,
            Subject = "/party/50001",
        };
        if (data is not null)
        {
            cloudEvent.DataContentType = "application/json";
            cloudEvent.Data = JsonSerializer.SerializeToElement(data, data.GetType());
        }

        return cloudEvent.SetResource(EventBuilder.TestResource);
    }
}
