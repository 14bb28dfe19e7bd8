using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;

namespace Altinn.Events.IntegrationTests.Limits;

/// <summary>The API with small per-caller buckets (two requests, then one a second) so the limits show in a test.</summary>
public sealed class SmallRateLimitsFixture : SubscriptionsApiFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        foreach (var group in new[] { "Publish", "Queries", "SubscriptionWrites", "Validate", "Redeliver" })
        {
            settings[$"RateLimits:{group}:PermitsPerSecond"] = "1";
            settings[$"RateLimits:{group}:Burst"] = "2";
        }
    }
}

/// <summary>Per-caller rate limits: 429 ProblemDetails with Retry-After for the caller over its bucket, others unaffected.</summary>
public sealed class RateLimitTests(SmallRateLimitsFixture api) : IClassFixture<SmallRateLimitsFixture>
{
    private const string Base = "/events/api/v1";

    [Fact]
    public async Task Publish_OverTheBurst_Is429WithRetryAfter_AndNothingOfItIsStored_AnotherCallerGoesOn()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var events = Enumerable.Range(0, 3).Select(_ => EventBuilder.Generic()).ToList();

        var answers = new List<HttpResponseMessage>();
        foreach (var e in events)
        {
            answers.Add(await client.PostAsync(Base + "/events", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json")));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], answers.Select(a => a.StatusCode));
        await AssertTooManyAsync(answers[2]);

        // The same limit is per caller: an app publishing at the same moment is not held back by ttd's bucket.
        using var app = api.Client(TestTokens.ForApp("ttd", "apps-test"));
        var appAnswer = await app.PostAsync(Base + "/app", new StringContent(EventBuilder.App().Json(), Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.Created, appAnswer.StatusCode);
    }

    [Fact]
    public async Task Queries_OverTheBurst_Are429()
    {
        using var client = api.Client(TestTokens.ForOrganisation("991825827"));
        var url = Base + "/events?resource=urn:altinn:resource:ttd-events-test&after=0";

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await client.GetAsync(url)).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task SubscriptionWrites_ValidateAndRedeliver_HaveBucketsOfTheirOwn()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd", "altinn:events.subscribe"));
        var created = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            created.Add(await client.PostAsync(Base + "/subscriptions", new StringContent(
                $$"""{"endPoint":"https://hooks.example.com/{{i}}","resourceFilter":"urn:altinn:resource:ttd-events-test"}""", Encoding.UTF8, "application/json")));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, created[2].StatusCode);
        await AssertTooManyAsync(created[2]);
        var id = (await created[0].Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        // Validation has a bucket of its own: two restarts pass although subscription writes are used up.
        var validations = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            validations.Add((await client.PostAsync(Base + $"/subscriptions/{id}/validate", null)).StatusCode);
        }

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], validations);

        var redeliveries = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            redeliveries.Add((await client.PostAsync(Base + $"/subscriptions/{id}/redeliver", new StringContent("""{"after":"0"}""", Encoding.UTF8, "application/json"))).StatusCode);
        }

        Assert.NotEqual(HttpStatusCode.TooManyRequests, redeliveries[0]);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, redeliveries[1]);
        Assert.Equal(HttpStatusCode.TooManyRequests, redeliveries[2]);
    }

    [Fact]
    public async Task AfterRetryAfter_TheCallerIsServedAgain()
    {
        using var client = api.Client(TestTokens.ForOrganisation("991825828", "altinn:events.subscribe"));
        var url = Base + "/subscriptions/" + Guid.NewGuid() + "/deliveries";
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 5 && limited is null; i++)
        {
            var response = await client.GetAsync(url);
            limited = response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        Assert.NotNull(limited);
        var wait = limited.Headers.RetryAfter!.Delta!.Value;
        await Task.Delay(wait + TimeSpan.FromMilliseconds(200));

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(url)).StatusCode);
    }

    private static async Task AssertTooManyAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After in seconds");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
    }
}
