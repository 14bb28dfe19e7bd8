using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Altinn.Events.IntegrationTests.Subscriptions;

/// <summary>Builds <c>POST /subscriptions</c> bodies; each gets a unique https endpoint unless one is given.</summary>
public sealed class SubscriptionBuilder
{
    public const string Path = "/events/api/v1/subscriptions";
    public const string GenericResource = "urn:altinn:resource:ttd-events-test";
    public const string AppResource = "urn:altinn:resource:app_ttd_apps-test";

    private readonly JsonObject _body = new() { ["endPoint"] = $"https://hooks.example/{Guid.NewGuid():N}" };

    public static SubscriptionBuilder Generic() => new SubscriptionBuilder().With("resourceFilter", GenericResource);

    public static SubscriptionBuilder App() => new SubscriptionBuilder().With("resourceFilter", AppResource);

    public SubscriptionBuilder With(string field, JsonNode? value)
    {
        _body[field] = value;
        return this;
    }

    public SubscriptionBuilder Without(string field)
    {
        _body.Remove(field);
        return this;
    }

    public JsonContent Content() => JsonContent.Create(_body.DeepClone());

    public string Json() => _body.ToJsonString();
}
