using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Altinn.Events.IntegrationTests.Authorization;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;

namespace Altinn.Events.IntegrationTests.EndToEnd;

/// <summary>
/// From a publish call to a webhook: the API and the stage host (every stage) with the run command's configuration
/// (the Development environment and its appsettings), the real queues and database, and a real receiver on loopback.
/// </summary>
public sealed class PublishToWebhookTests(PublishToWebhookTests.EndToEndFixture fixture) : IClassFixture<PublishToWebhookTests.EndToEndFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AppEvent_PublishedOverHttp_ReachesTheSubscribersWebhook_Signed()
    {
        var endpoint = fixture.Receiver.Endpoint();
        using var user = fixture.Api(TestTokens.ForUser(1337, 50001));
        var created = await user.PostAsJsonAsync("/events/api/v1/subscriptions", new
        {
            endPoint = endpoint,
            resourceFilter = "urn:altinn:resource:app_ttd_apps-test",
            subjectFilter = "/party/50001",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var subscription = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = subscription.GetProperty("secret").GetString()!;
        var location = created.Headers.Location!;
        Assert.True(await TestQueues.EventuallyAsync(async () => (await user.GetFromJsonAsync<JsonElement>(location)).GetProperty("validated").GetBoolean(), Patience), "the subscription was not validated");

        using var app = fixture.Api(TestTokens.ForApp("ttd", "apps-test"));
        var published = await app.PostAsync("/events/api/v1/app", new StringContent(EventBuilder.App(partyId: 50001).Json(), Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        var eventId = await published.Content.ReadFromJsonAsync<string>();

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(Pushes(endpoint, eventId!).Count > 0), Patience), "the event never reached the webhook");
        var push = Assert.Single(Pushes(endpoint, eventId!));
        Assert.Equal("app.instance.created", (string?)JsonNode.Parse(push.Body)!["type"]);
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signature = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{push.Headers["webhook-id"]}.{push.Headers["webhook-timestamp"]}.{push.Body}")));
        Assert.Equal(signature, push.Headers["webhook-signature"]);
    }

    [Fact]
    public async Task GenericEvent_ReachesASubscribedOrganisation_ButNotAUserWithoutRightsForTheParty()
    {
        var organisationEndpoint = fixture.Receiver.Endpoint();
        using var organisation = fixture.Api(TestTokens.ForOrganisation("991825827"));
        var created = await organisation.PostAsJsonAsync("/events/api/v1/subscriptions", new { endPoint = organisationEndpoint, resourceFilter = EventBuilder.TestResource });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!;
        Assert.True(await TestQueues.EventuallyAsync(async () => (await organisation.GetFromJsonAsync<JsonElement>(location)).GetProperty("validated").GetBoolean(), Patience));

        using var publisher = fixture.Api(TestTokens.ForOrg("ttd"));
        var e = EventBuilder.Generic().With("subject", "/party/50004");
        Assert.Equal(HttpStatusCode.OK, (await publisher.PostAsync("/events/api/v1/events", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json"))).StatusCode);

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(Pushes(organisationEndpoint, e.Id).Count > 0), Patience), "the event never reached the webhook");
        Assert.Single(Pushes(organisationEndpoint, e.Id));
    }

    private List<ReceivedRequest> Pushes(string endpoint, string eventId) =>
        [.. fixture.Receiver.RequestsTo(endpoint).Where(r => r.Body.Contains(eventId, StringComparison.Ordinal))];

    public sealed class EndToEndFixture : IAsyncLifetime
    {
        private readonly DatabaseFixture _database = new();
        private readonly TestQueues _queues = new();
        private ApiFactory? _api;
        private StagesFactory? _stages;

        public WebhookReceiver Receiver { get; private set; } = null!;

        public HttpClient Api(string token)
        {
            var client = _api!.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        public async Task InitializeAsync()
        {
            await _database.InitializeAsync();
            await _queues.CreateAllAsync();
            Receiver = await WebhookReceiver.StartAsync();

            // What scripts/run.sh sets; everything else comes from appsettings.Development.json of each host.
            var settings = _queues.Settings(createOnStart: false);
            settings["environment"] = "Development";
            settings["Database:ConnectionString"] = _database.ConnectionString;
            settings["Authentication:Issuers:dev:JwksFile"] = TestTokens.Trusted.JwksPath;
            settings["Subscriptions:PublicBaseUrl"] = "http://127.0.0.1:5080";
            _api = new ApiFactory(settings);
            _stages = new StagesFactory(settings);
            _ = _api.Server;
            _ = _stages.Server;
        }

        public async Task DisposeAsync()
        {
            await _stages!.DisposeAsync();
            await _api!.DisposeAsync();
            await Receiver.DisposeAsync();
            await _database.DisposeAsync();
        }
    }
}
