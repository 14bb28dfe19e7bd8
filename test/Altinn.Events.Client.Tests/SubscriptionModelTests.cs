using System.Text.Json;
using Altinn.Events.Client.Json;

namespace Altinn.Events.Client.Tests;

/// <summary>The subscription contracts as the client writes and reads them.</summary>
public sealed class SubscriptionModelTests
{
    [Fact]
    public void Subscription_TypeFilter_IsReadAsAStringOfOne_OrAnArrayOfSeveral()
    {
        var one = JsonSerializer.Deserialize("""{"id":"00000000-0000-0000-0000-000000000001","typeFilter":"a.b"}""", ClientJson.Default.Subscription)!;
        var several = JsonSerializer.Deserialize("""{"id":"00000000-0000-0000-0000-000000000002","typeFilter":["a.b","c.*"]}""", ClientJson.Default.Subscription)!;
        var none = JsonSerializer.Deserialize("""{"id":"00000000-0000-0000-0000-000000000003"}""", ClientJson.Default.Subscription)!;

        Assert.Equal(["a.b"], one.TypeFilters);
        Assert.Equal("a.b", one.TypeFilter);
        Assert.Equal(["a.b", "c.*"], several.TypeFilters);
        Assert.Null(several.TypeFilter);
        Assert.Null(none.TypeFilters);
        Assert.True(none.Enabled);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"typeFilter":[1]}""", ClientJson.Default.Subscription));
    }

    [Fact]
    public void SubscriptionRequest_WritesOneTypeAsAString_SeveralAsAnArray_AndLeavesOutWhatIsNotSet()
    {
        var one = JsonSerializer.Serialize(new SubscriptionRequest { EndPoint = new Uri("https://a.example/h"), TypeFilter = "a.b" }, ClientJson.Default.SubscriptionRequest);
        var several = JsonSerializer.Serialize(
            new SubscriptionRequest
            {
                EndPoint = new Uri("https://a.example/h"),
                TypeFilters = ["a.b", "c.*"],
                Filters = SubscriptionFilters.List(SubscriptionFilters.Any(SubscriptionFilters.Exact("type", "x"), SubscriptionFilters.Not(SubscriptionFilters.Prefix("source", "https://b")))),
                ContentMode = PushContentModes.Batched,
                BatchMaxEvents = 10,
            },
            ClientJson.Default.SubscriptionRequest);

        Assert.Equal("""{"endPoint":"https://a.example/h","typeFilter":"a.b"}""", one);
        Assert.Equal(
            """{"endPoint":"https://a.example/h","typeFilter":["a.b","c.*"],"filters":[{"any":[{"exact":{"type":"x"}},{"not":{"prefix":{"source":"https://b"}}}]}],"contentMode":"batched","batchMaxEvents":10}""",
            several);
    }

    [Fact]
    public void SubscriptionUpdate_NamesOnlyWhatIsSet_AClearedFilterAsNull_AndRefusesNothingOrBoth()
    {
        Assert.Equal("""{"enabled":false}""", new SubscriptionUpdate { Enabled = false }.ToMergePatch().ToJsonString());
        Assert.Equal(
            """{"endPoint":"https://a.example/new","typeFilter":null,"filters":null,"contentMode":"binary"}""",
            new SubscriptionUpdate { EndPoint = new Uri("https://a.example/new"), ClearTypeFilters = true, ClearFilters = true, ContentMode = PushContentModes.Binary }.ToMergePatch().ToJsonString());
        Assert.Equal("""{"typeFilter":["a.*"]}""", new SubscriptionUpdate { TypeFilters = ["a.*"] }.ToMergePatch().ToJsonString());

        Assert.Throws<ArgumentException>(() => new SubscriptionUpdate().ToMergePatch());
        Assert.Throws<ArgumentException>(() => new SubscriptionUpdate { TypeFilters = ["a"], ClearTypeFilters = true }.ToMergePatch());
        Assert.Throws<ArgumentException>(() => new SubscriptionUpdate { Filters = [], ClearFilters = true }.ToMergePatch());
    }
}
