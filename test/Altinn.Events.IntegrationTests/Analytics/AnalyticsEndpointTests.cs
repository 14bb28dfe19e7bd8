using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Events;

namespace Altinn.Events.IntegrationTests.Analytics;

/// <summary>The API host with the aggregator polling every 50 ms.</summary>
public sealed class AnalyticsApiFixture : ApiFixture
{
    protected override void Configure(Dictionary<string, string?> settings) =>
        settings["Analytics:PollInterval"] = "00:00:00.050";
}

/// <summary>
/// <c>GET /analytics/app/{org}/{app}</c> and <c>/analytics/resources/{resource}</c>: figures from events published through
/// the API and stored with chosen times, who may read them, and the 400s naming the field.
/// </summary>
public sealed class AnalyticsEndpointTests(AnalyticsApiFixture api) : IClassFixture<AnalyticsApiFixture>
{
    private const string Base = "/events/api/v1";
    private const string App = "urn:altinn:resource:app_ttd_apps-test";

    [Fact]
    public async Task AppOwner_SeesEventsPerType_Instances_Funnel_AndDurations_OfItsApp()
    {
        // Published through the API (the service stamps the time: now).
        var source = $"https://ttd.apps.altinn.no/ttd/apps-test/instances/50001/{Guid.NewGuid()}";
        foreach (var type in new[] { "app.instance.created", "app.instance.process.movedTo.Task_1", "app.instance.process.completed" })
        {
            await PublishAppAsync(EventBuilder.App().With("source", source).With("type", type));
        }

        // Stored with chosen times 20 days ago, arriving out of order (completion first, so the wait below is for all four
        // events, not for the completion): Task_1 lasts 2 minutes, Task_2 10, completion 15.
        var day = DateTimeOffset.UtcNow.UtcDateTime.Date.AddDays(-20);
        var t0 = new DateTimeOffset(day.AddHours(9), TimeSpan.Zero);
        var old = $"https://ttd.apps.altinn.no/ttd/apps-test/instances/50002/{Guid.NewGuid()}";
        await StoreAsync(
            (old, "app.instance.process.completed", t0.AddMinutes(15)),
            (old, "app.instance.process.movedTo.Task_2", t0.AddMinutes(5)),
            (old, "app.instance.created", t0),
            (old, "app.instance.process.movedTo.Task_1", t0.AddMinutes(3)));

        using var owner = api.Client(TestTokens.ForOrg("ttd"));
        var today = await EventuallyAsync(owner, $"/analytics/app/ttd/apps-test?interval=hour&from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-2).ToString("O"))}", a => a.InstancesCompleted >= 1);
        Assert.Equal("hour", today.Interval);
        Assert.Equal(App, today.Resource);
        Assert.Equal(1, today.InstancesCreated);
        Assert.Equal(1, today.InstancesCompleted);
        Assert.Equal([new("Task_1", 1)], today.Funnel);
        Assert.Equal(3, today.Events.Sum(e => e.Count));
        Assert.Contains(today.Events, e => e.Type == "app.instance.process.movedTo.Task_1" && e.Count == 1);
        Assert.All(today.Events, e => Assert.Equal(0, e.Start.Minute));

        var from = new DateTimeOffset(day, TimeSpan.Zero);
        var then = await EventuallyAsync(owner, $"/analytics/app/ttd/apps-test?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(from.AddDays(1).ToString("O"))}", a => a.Events.Sum(e => e.Count) >= 4);
        Assert.Equal("day", then.Interval);
        Assert.Equal(DateOnly.FromDateTime(day), then.FromDay);
        Assert.Equal(DateOnly.FromDateTime(day), then.ToDay);
        Assert.Equal(1, then.InstancesCreated);
        Assert.Equal([new("Task_1", 1), new("Task_2", 1)], then.Funnel);
        Assert.Equal(4, then.Events.Sum(e => e.Count));
        Assert.All(then.Events, e => Assert.Equal(from, e.Start));
        var task1 = Assert.Single(then.TaskDurations, d => d.Task == "Task_1");
        var task2 = Assert.Single(then.TaskDurations, d => d.Task == "Task_2");
        Assert.Equal(1, task1.Count);
        Assert.InRange(task1.P50Seconds, 120 / 1.1, 120 * 1.1);
        Assert.InRange(task2.P90Seconds, 600 / 1.1, 600 * 1.1);
        Assert.NotNull(then.Completion);
        Assert.InRange(then.Completion.P50Seconds, 900 / 1.1, 900 * 1.1);
    }

    [Fact]
    public async Task ResourceAnalytics_CountEventsPerTypePerDay_ForThoseWhoMaySubscribeToAllOfIt()
    {
        var type = "analytics." + Guid.NewGuid().ToString("N");
        using var publisher = api.Client(TestTokens.ForOrg("ttd"));
        for (var i = 0; i < 3; i++)
        {
            var response = await publisher.PostAsync($"{Base}/events", new StringContent(EventBuilder.Generic().With("type", type).Json(), Encoding.UTF8, "application/cloudevents+json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var path = $"/analytics/resources/{Uri.EscapeDataString(EventBuilder.TestResource)}";
        var figures = await EventuallyAsync<ResourceFigures>(publisher, path, f => f.Events.Any(e => e.Type == type && e.Count >= 3));
        Assert.Equal(3, figures.Events.Single(e => e.Type == type).Count);
        Assert.Equal(EventBuilder.TestResource, figures.Resource);

        // The organisation the policy lets subscribe to the resource as a whole may read it too.
        using var organisation = api.Client(TestTokens.ForOrganisation("991825827"));
        Assert.Equal(HttpStatusCode.OK, (await organisation.GetAsync(Base + path)).StatusCode);
    }

    [Theory]
    [InlineData("other-org")]
    [InlineData("user")]
    [InlineData("app")]
    [InlineData("owner-of-org-without-app-right")]
    public async Task AppAnalytics_AreForbidden_ToAllButTheOwner(string who)
    {
        var (token, path) = who switch
        {
            "other-org" => (TestTokens.ForOrg("nav"), "/analytics/app/ttd/apps-test"),
            "user" => (TestTokens.ForUser(1337, 50001), "/analytics/app/ttd/apps-test"),
            "app" => (TestTokens.ForApp("ttd", "apps-test"), "/analytics/app/ttd/apps-test"),
            _ => (TestTokens.ForOrg("ttd"), "/analytics/app/ttd/no-such-app"),
        };
        using var client = api.Client(token);
        var response = await client.GetAsync(Base + path);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        using var anonymous = api.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(Base + "/analytics/app/ttd/apps-test")).StatusCode);
    }

    [Fact]
    public async Task ResourceAnalytics_AreForbidden_WithoutTheScope_OrTheRight_AndAnUnknownResourceAnswersTheSame()
    {
        var path = $"{Base}/analytics/resources/{Uri.EscapeDataString(EventBuilder.TestResource)}";
        using var noScope = api.Client(TestTokens.ForOrg("ttd", scopes: "altinn:events.publish"));
        Assert.Equal(HttpStatusCode.Forbidden, (await noScope.GetAsync(path)).StatusCode);

        // User 1337 may subscribe for the parties it holds roles for, not for the resource as a whole.
        using var user = api.Client(TestTokens.ForUser(1337, 50001));
        var denied = await user.GetAsync(path);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);

        var unknown = await user.GetAsync($"{Base}/analytics/resources/{Uri.EscapeDataString("urn:altinn:resource:no-such-resource")}");
        Assert.Equal(HttpStatusCode.Forbidden, unknown.StatusCode);
        Assert.Equal((await denied.Content.ReadFromJsonAsync<JsonObject>())!["title"]!.ToString(), (await unknown.Content.ReadFromJsonAsync<JsonObject>())!["title"]!.ToString());
    }

    [Theory]
    [InlineData("/analytics/app/ttd/apps-test?interval=week", "interval")]
    [InlineData("/analytics/app/ttd/apps-test?from=yesterday", "from")]
    [InlineData("/analytics/app/ttd/apps-test?to=2026-13-01T00:00:00Z", "to")]
    [InlineData("/analytics/app/ttd/apps-test?from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z", "to")]
    [InlineData("/analytics/app/ttd/apps-test?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&interval=hour", "from")]
    [InlineData("/analytics/app/ttd/apps-test?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("/analytics/app/ttd/apps-test?from=1000-01-01T00:00:00Z", "from")]
    [InlineData("/analytics/app/ttd/apps-test?interval=day&interval=hour", "interval")]
    [InlineData("/analytics/resources/not-a-urn", "resource")]
    [InlineData("/analytics/resources/urn%3Aaltinn%3Aresource%3Aapp_ttd_apps-test", "resource")]
    [InlineData("/analytics/resources/urn%3Aaltinn%3Aresource%3Attd-events-test?interval=minute", "interval")]
    public async Task BadRequests_Answer400_NamingTheField(string path, string field)
    {
        using var owner = api.Client(TestTokens.ForOrg("ttd"));
        var response = await owner.GetAsync(Base + path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(problem!["errors"]!.AsObject().ContainsKey(field), problem.ToJsonString());
    }

    private async Task PublishAppAsync(EventBuilder e)
    {
        using var client = api.Client(TestTokens.ForApp("ttd", "apps-test"));
        var response = await client.PostAsync($"{Base}/app", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private async Task StoreAsync(params (string Source, string Type, DateTimeOffset Time)[] events)
    {
        foreach (var (source, type, time) in events)
        {
            await using var connection = await api.Database.DataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var json = $$"""{"specversion":"1.0","id":"{{Guid.NewGuid()}}","type":"{{type}}","source":"{{source}}"}""";
            await EventStore.InsertAsync(connection, transaction, [new NewEvent(Guid.NewGuid().ToString(), source, App, type, "/party/50002", null, 50002, time, json, "/app/ttd/apps-test")], TimeProvider.System, CancellationToken.None);
            await transaction.CommitAsync();
        }
    }

    private Task<AppFigures> EventuallyAsync(HttpClient client, string path, Func<AppFigures, bool> done) => EventuallyAsync<AppFigures>(client, path, done);

    private static async Task<T> EventuallyAsync<T>(HttpClient client, string path, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var response = await client.GetAsync(Base + path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var figures = (await response.Content.ReadFromJsonAsync<T>(JsonOptions))!;
            if (done(figures) || DateTime.UtcNow > deadline)
            {
                return figures;
            }

            await Task.Delay(100);
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public sealed record TypeCount(string Type, DateTimeOffset Start, long Count);

    public sealed record Funnel(string Task, long Instances);

    public sealed record Duration(string? Task, long Count, double P50Seconds, double P90Seconds);

    public sealed record AppFigures(string Resource, DateTimeOffset From, DateTimeOffset To, string Interval, List<TypeCount> Events, DateOnly FromDay, DateOnly ToDay, long InstancesCreated, long InstancesCompleted, List<Funnel> Funnel, List<Duration> TaskDurations, Duration? Completion);

    public sealed record ResourceFigures(string Resource, DateTimeOffset From, DateTimeOffset To, string Interval, List<TypeCount> Events);
}
