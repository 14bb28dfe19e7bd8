using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Altinn.Events.IntegrationTests.Authorization;
using Altinn.Events.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Http;

namespace Altinn.Events.IntegrationTests.Deploy;

/// <summary>
/// The API as deploy/settings/app-settings.json configures it for production, in the Production environment, on a
/// database the migration job set up (no development seed). Only what must point at local servers is replaced, as
/// deploy/verify-settings.sh does: the database, the queues, the token issuers, and the platform's PDP and register
/// (a fake that permits only the org ttd, and records what it was asked).
/// </summary>
public sealed class ProductionSettingsTests : IAsyncLifetime
{
    private const string Base = "/events/api/v1";
    private readonly ProductionDatabaseFixture _database = new();
    private readonly TestQueues _queues = new();
    private FakeHttpServer _platform = null!;
    private ApiFactory _api = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        await _queues.CreateAllAsync();
        _platform = await FakeHttpServer.StartAsync();
        _platform.Respond = (request, context) => request.PathAndQuery.StartsWith("/authorization/", StringComparison.Ordinal)
            ? DecideAsync(request, context)
            : NotFoundAsync(context);

        var settings = ProductionSettings();
        settings["Database:ConnectionString"] = _database.ConnectionString;
        settings.Remove("Queues:ServiceUri");
        settings.Remove("Queues:ManagedIdentityClientId");
        foreach (var (key, value) in _queues.Settings(createOnStart: false))
        {
            settings[key] = value;
        }

        foreach (var key in settings.Keys.Where(k => k.StartsWith("Authentication:Issuers:", StringComparison.Ordinal)).ToList())
        {
            settings.Remove(key);
        }

        foreach (var (key, value) in TestTokens.IssuerSettings())
        {
            settings[key] = value;
        }

        settings["Authorization:Pdp:Endpoint"] = new Uri(_platform.BaseAddress, "authorization/api/v1/decision").ToString();
        settings["Register:BaseUrl"] = new Uri(_platform.BaseAddress, "register/api/v1").ToString();
        settings["Platform:Authentication:Mode"] = "None"; // no Entra ID here; the calls go to the fake unauthenticated
        settings["Authorization:DecisionCacheSeconds"] = "0";
        // Configured by mistake: outside Development the portal's development sign-in must not exist all the same.
        settings["Portal:DevSignInIssuer"] = "test";
        _api = new ApiFactory(settings, environment: "Production");
        _ = _api.Server;
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _platform.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public void ProductionSettings_UseThePlatformsPdpAndRegister()
    {
        var settings = ProductionSettings();

        Assert.Equal("Remote", settings["Authorization:Pdp:Mode"]);
        Assert.Equal("Remote", settings["Register:Mode"]);
        Assert.StartsWith("https://platform.altinn.no/", settings["Authorization:Pdp:Endpoint"], StringComparison.Ordinal);
        Assert.StartsWith("https://platform.altinn.no/", settings["Register:BaseUrl"], StringComparison.Ordinal);
        Assert.Equal("https://platform.altinn.no", settings["PublicUrl:BaseUrl"]);
    }

    [Fact]
    public async Task ProductionSettings_StartWithoutTheSeededRoles_AndEveryDecisionGoesToThePlatform()
    {
        await using (var connection = await _database.DataSource.OpenConnectionAsync())
        {
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT (SELECT count(*) FROM parties) + (SELECT count(*) FROM party_roles)"));
        }

        using var anonymous = _api.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);

        // An app event about party 50001, whom the development seed makes user 1337's own party (PRIV).
        using var app = Client(TestTokens.ForApp("ttd", "apps-test"));
        var published = await app.PostAsync($"{Base}/app", new StringContent(EventBuilder.App(partyId: 50001).Json(), Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        _platform.Received.Clear();

        using var user = Client(TestTokens.ForUser(1337, 50001));
        var response = await user.GetAsync($"{Base}/app/party?party=50001&after=0");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty((await response.Content.ReadFromJsonAsync<JsonArray>())!);
        var asked = Assert.Single(_platform.Received, r => r.PathAndQuery == "/authorization/api/v1/decision");
        Assert.Contains("\"1337\"", asked.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProductionSettings_LinksUseThePublicBaseUrl()
    {
        using var ttd = Client(TestTokens.ForOrg("ttd"));
        var type = "test.production." + Guid.NewGuid().ToString("N")[..8];
        var published = await ttd.PostAsync($"{Base}/events", new StringContent(EventBuilder.Generic().With("type", type).Json(), Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);

        var page = await ttd.GetAsync($"{Base}/events?resource={EventBuilder.TestResource}&type={type}&after=0");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Single((await page.Content.ReadFromJsonAsync<JsonArray>())!);
        Assert.StartsWith("https://platform.altinn.no/events/api/v1/events?", page.Headers.GetValues("next").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProductionSettings_ServeThePortal_WithoutTheDevelopmentSignIn()
    {
        using var anonymous = _api.CreateClient();

        var page = await anonymous.GetAsync("/portal/");
        var config = await anonymous.GetFromJsonAsync<JsonElement>("/portal/config.json");
        var mint = await anonymous.PostAsync("/portal/dev/token", new StringContent("{\"identity\":\"org-ttd\"}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.False(config.GetProperty("devSignIn").GetBoolean());
        Assert.Empty(config.GetProperty("devIdentities").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, mint.StatusCode);
    }

    private HttpClient Client(string token)
    {
        var client = _api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    // Permit for the org ttd, deny for everyone else: one result per request reference, in order.
    private static async Task DecideAsync(ReceivedRequest request, HttpContext context)
    {
        using var body = JsonDocument.Parse(request.Body);
        var root = body.RootElement.GetProperty("Request");
        var orgs = root.GetProperty("AccessSubject").EnumerateArray().ToDictionary(
            s => s.GetProperty("Id").GetString()!,
            s => s.GetProperty("Attribute").EnumerateArray().Any(a => a.GetProperty("AttributeId").GetString() == "urn:altinn:org" && a.GetProperty("Value").GetString() == "ttd"));
        var decisions = root.GetProperty("MultiRequests").GetProperty("RequestReference").EnumerateArray()
            .Select(r => new { Decision = r.GetProperty("ReferenceId").EnumerateArray().Any(id => orgs.TryGetValue(id.GetString()!, out var ttd) && ttd) ? "Permit" : "Deny" })
            .ToList();
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { Response = decisions }));
    }

    private static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = 404;
        return Task.CompletedTask;
    }

    /// <summary>The prod API's settings as main.bicep composes them (all, environment all, api, environment api), keys with ':'.</summary>
    private static Dictionary<string, string?> ProductionSettings()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "deploy", "settings", "app-settings.json")));
        var root = document.RootElement;
        var prod = root.GetProperty("environments").GetProperty("prod");
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in new[] { root.GetProperty("all"), prod.GetProperty("all"), root.GetProperty("api"), prod.GetProperty("api") })
        {
            foreach (var p in section.EnumerateObject().Where(p => !p.Name.StartsWith('$')))
            {
                settings[p.Name.Replace("__", ":", StringComparison.Ordinal)] = p.Value.GetString();
            }
        }

        return settings;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "deploy", "settings", "app-settings.json")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("deploy/settings/app-settings.json not found above " + AppContext.BaseDirectory);
    }
}
