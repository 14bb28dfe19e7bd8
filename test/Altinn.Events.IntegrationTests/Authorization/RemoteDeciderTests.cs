using System.Diagnostics;
using System.Text.Json;
using Altinn.Events.Core.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Altinn.Events.IntegrationTests.Authorization;

/// <summary>The remote PDP client against a real HTTP server that plays the platform's decision endpoint.</summary>
public sealed class RemoteDeciderTests : IAsyncLifetime
{
    private const string App = "urn:altinn:resource:app_ttd_apps-test";
    private const string Generic = "urn:altinn:resource:ttd-events-test";

    private FakeHttpServer _server = null!;
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeHttpServer.StartAsync();
        _host = AuthorizationHost.Build(new Dictionary<string, string?>
        {
            ["Authorization:Pdp:Mode"] = "Remote",
            ["Authorization:Pdp:Endpoint"] = new Uri(_server.BaseAddress, "authorization/api/v1/decision").ToString(),
            ["Authorization:Pdp:Resilience:AttemptTimeout"] = "00:00:01",
            ["Authorization:Pdp:Resilience:TotalTimeout"] = "00:00:04",
            ["Authorization:Pdp:Resilience:MaxRetries"] = "2",
            ["Authorization:Pdp:Resilience:RetryDelay"] = "00:00:00.010",
            ["Authorization:DecisionCacheSeconds"] = "0",
            ["Platform:AccessToken"] = "test-platform-token",
        });
        await _host.StartAsync();
    }

    private IAuthorizationDecider Decider => _host.Services.GetRequiredService<IAuthorizationDecider>();

    private static readonly DecisionRequest[] Batch =
    [
        new("/user/1337", Actions.Read, new DecisionResource(App, 50001), 2),
        new("/user/1337", Actions.Read, new DecisionResource(App, 50002), 2),
        new("/org/ttd", Actions.Subscribe, new DecisionResource(Generic, null)),
        new("/organisation/991825827", Actions.Subscribe, new DecisionResource(Generic, null)),
        new("/user/1337", Actions.Read, new DecisionResource(App, 50001), 2), // the same as the first
    ];

    [Fact]
    public async Task Decide_SendsOneMultiRequest_AndMapsResultsBackInOrder()
    {
        string[] answers = ["Permit", "Deny", "Permit", "NotApplicable", "Permit"];
        _server.Respond = (_, ctx) => Json(ctx, new { Response = answers.Select(d => new { Decision = d }) });

        var decisions = await Decider.DecideAsync(Batch, CancellationToken.None);

        Assert.Equal([true, false, true, false, true], decisions);
        var received = Assert.Single(_server.Received);
        Assert.Equal("POST", received.Method);
        Assert.Equal("/authorization/api/v1/decision", received.PathAndQuery);
        Assert.Equal("test-platform-token", received.Headers["PlatformAccessToken"]);

        using var body = JsonDocument.Parse(received.Body);
        var request = body.RootElement.GetProperty("Request");

        var subjects = request.GetProperty("AccessSubject").EnumerateArray().ToList();
        Assert.Equal(3, subjects.Count); // one per distinct consumer
        Assert.Equal(["s1", "s2", "s3"], subjects.Select(s => s.GetProperty("Id").GetString()));
        Assert.Equal(("urn:altinn:userid", "1337"), SingleAttribute(subjects[0]));
        Assert.Equal(("urn:altinn:org", "ttd"), SingleAttribute(subjects[1]));
        Assert.Equal(("urn:altinn:organization:identifier-no", "991825827"), SingleAttribute(subjects[2]));

        var actions = request.GetProperty("Action").EnumerateArray().ToList();
        Assert.Equal(["a1", "a2"], actions.Select(a => a.GetProperty("Id").GetString()));
        Assert.Equal(("urn:oasis:names:tc:xacml:1.0:action:action-id", "read"), SingleAttribute(actions[0]));
        Assert.Equal(("urn:oasis:names:tc:xacml:1.0:action:action-id", "subscribe"), SingleAttribute(actions[1]));

        var resources = request.GetProperty("Resource").EnumerateArray().ToList();
        Assert.Equal(["r1", "r2", "r3"], resources.Select(r => r.GetProperty("Id").GetString()));
        Assert.Equal(
            [("urn:altinn:resource", "app_ttd_apps-test"), ("urn:altinn:org", "ttd"), ("urn:altinn:app", "apps-test"), ("urn:altinn:partyid", "50001")],
            Attributes(resources[0]));
        Assert.Equal(
            [("urn:altinn:resource", "app_ttd_apps-test"), ("urn:altinn:org", "ttd"), ("urn:altinn:app", "apps-test"), ("urn:altinn:partyid", "50002")],
            Attributes(resources[1]));
        Assert.Equal([("urn:altinn:resource", "ttd-events-test")], Attributes(resources[2]));
        Assert.True(resources[0].GetProperty("Attribute")[0].GetProperty("IncludeInResult").GetBoolean());

        var references = request.GetProperty("MultiRequests").GetProperty("RequestReference").EnumerateArray()
            .Select(r => string.Join(",", r.GetProperty("ReferenceId").EnumerateArray().Select(id => id.GetString())))
            .ToList();
        Assert.Equal(["s1,a1,r1", "s1,a1,r2", "s2,a2,r3", "s3,a2,r3", "s1,a1,r1"], references);

        // Nothing that is not a subject could be mistaken for one: no role codes, no person data.
        Assert.DoesNotContain("rolecode", received.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decide_ReadsCamelCaseAnswers_AndHonoursAuthenticationLevelObligation()
    {
        _server.Respond = (_, ctx) => Json(ctx, new
        {
            response = new object[]
            {
                new { decision = "Permit", obligations = new[] { new { id = "o1", attributeAssignment = new[] { new { attributeId = "x", category = "urn:altinn:minimum-authenticationlevel", value = "3" } } } } },
                new { decision = "Permit", obligations = new[] { new { id = "o1", attributeAssignment = new[] { new { attributeId = "x", category = "urn:altinn:minimum-authenticationlevel", value = "2" } } } } },
            },
        });

        var decisions = await Decider.DecideAsync(
        [
            new DecisionRequest("/user/1337", Actions.Read, new DecisionResource(App, 50001), 2),
            new DecisionRequest("/user/1337", Actions.Read, new DecisionResource(App, 50002), 2),
        ], CancellationToken.None);

        Assert.Equal([false, true], decisions);
    }

    [Fact]
    public async Task Decide_OnServerError_RefusesToDecide_AfterRetrying()
    {
        _server.Respond = (_, ctx) =>
        {
            ctx.Response.StatusCode = 500;
            return Task.CompletedTask;
        };

        await Assert.ThrowsAsync<AuthorizationUnavailableException>(() => Decider.DecideAsync(Batch, CancellationToken.None));

        Assert.Equal(3, _server.Received.Count); // the first attempt and two retries
    }

    [Fact]
    public async Task Decide_WhenThePdpDoesNotAnswerInTime_RefusesToDecide()
    {
        _server.Respond = async (_, ctx) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(20), ctx.RequestAborted);
            await Json(ctx, new { Response = Batch.Select(_ => new { Decision = "Permit" }) });
        };

        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<AuthorizationUnavailableException>(() => Decider.DecideAsync(Batch, CancellationToken.None));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("{\"Response\": [ {\"Decision\": \"Permit\"")]              // cut off
    [InlineData("<Response><Result><Decision>Permit</Decision></Result></Response>")]
    [InlineData("{\"Response\": null}")]
    [InlineData("{\"Response\": [ {\"Decision\": \"Permit\"}, {\"Decision\": \"Permit\"} ]}")] // too few results
    [InlineData("{\"Response\": [ {\"Decision\": \"Permit\"}, {\"Decision\": \"Permit\"}, {\"Decision\": \"Permit\"}, {\"Decision\": \"Permit\"}, {\"Decision\": \"Permit\"}, {\"Decision\": \"Permit\"} ]}")]
    public async Task Decide_OnMalformedOrMismatchedResponse_RefusesToDecide(string body)
    {
        _server.Respond = async (_, ctx) =>
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(body);
        };

        await Assert.ThrowsAsync<AuthorizationUnavailableException>(() => Decider.DecideAsync(Batch, CancellationToken.None));
    }

    [Fact]
    public async Task Decide_WhenEchoedResourceDoesNotMatchPosition_RefusesToDecide()
    {
        _server.Respond = (_, ctx) => Json(ctx, new
        {
            Response = new[]
            {
                new { Decision = "Permit", Category = new[] { new { CategoryId = "urn:oasis:names:tc:xacml:3.0:attribute-category:resource", Attribute = new[] { new { AttributeId = "urn:altinn:resource", Value = "ttd-events-test" } } } } },
                new { Decision = "Permit", Category = new[] { new { CategoryId = "urn:oasis:names:tc:xacml:3.0:attribute-category:resource", Attribute = new[] { new { AttributeId = "urn:altinn:resource", Value = "app_ttd_apps-test" } } } } },
            },
        });

        await Assert.ThrowsAsync<AuthorizationUnavailableException>(() => Decider.DecideAsync(
        [
            new DecisionRequest("/user/1337", Actions.Read, new DecisionResource(App, 50001)),
            new DecisionRequest("/org/ttd", Actions.Subscribe, new DecisionResource(Generic, null)),
        ], CancellationToken.None));
    }

    [Fact]
    public async Task Decide_UnnameableConsumer_IsDeniedWithoutBeingSent()
    {
        _server.Respond = (_, ctx) => Json(ctx, new { Response = new[] { new { Decision = "Permit" } } });

        var decisions = await Decider.DecideAsync(
        [
            new DecisionRequest("/app/ttd/apps-test", Actions.Read, new DecisionResource(App, 50001)),
            new DecisionRequest("/org/ttd", Actions.Subscribe, new DecisionResource(Generic, null)),
        ], CancellationToken.None);

        Assert.Equal([false, true], decisions);
        Assert.DoesNotContain("/app/", Assert.Single(_server.Received).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_RemoteModeWithoutEndpoint_FailsNamingTheKey()
    {
        using var host = AuthorizationHost.Build(new Dictionary<string, string?> { ["Authorization:Pdp:Mode"] = "Remote" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Authorization:Pdp:Endpoint", error.Message, StringComparison.Ordinal);
    }

    private static (string, string) SingleAttribute(JsonElement category) => Assert.Single(Attributes(category));

    private static List<(string, string)> Attributes(JsonElement category) =>
        [.. category.GetProperty("Attribute").EnumerateArray().Select(a => (a.GetProperty("AttributeId").GetString()!, a.GetProperty("Value").GetString()!))];

    private static Task Json(HttpContext context, object value)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(value));
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _server.DisposeAsync();
    }
}
