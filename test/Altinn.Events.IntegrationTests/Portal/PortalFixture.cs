using System.Net;
using System.Net.Http.Headers;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Outbound;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Altinn.Events.IntegrationTests.Portal;

/// <summary>
/// The whole service as a developer runs it, for a browser: the API in the Development environment on Kestrel (a real port
/// on 127.0.0.1, with the portal's development sign-in against the test issuer's key), the stage host running all three
/// stages with short polling and retries, the test PostgreSQL and Azurite, and a real webhook receiver on loopback.
/// </summary>
public sealed class PortalFixture : IAsyncLifetime
{
    private readonly DatabaseFixture _database = new();
    private readonly TestQueues _queues = new();
    private ApiFactory? _api;
    private StagesFactory? _stages;

    /// <summary>The API's address, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public PushReceiver Receiver { get; private set; } = null!;

    public DatabaseFixture Database => _database;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        await _queues.CreateAllAsync();
        Receiver = await PushReceiver.StartAsync();
        var settings = _queues.Settings(createOnStart: false);
        settings["Database:ConnectionString"] = _database.ConnectionString;
        // The development issuer of appsettings.Development.json, with the test issuer's key folder (its signing key beside the JWKS).
        settings["Authentication:Issuers:dev:JwksFile"] = TestTokens.Trusted.JwksPath;
        settings["Portal:DevSignInIssuer"] = "dev";
        settings["Subscriptions:PublicBaseUrl"] = "http://127.0.0.1:5080";
        settings["Subscriptions:AllowHttpLoopback"] = "true";
        settings["Stages:Run"] = "inbound,outbound,validation";
        settings["Outbound:RetrySchedule"] = string.Join(", ", Enumerable.Repeat("1s", 11));
        settings["Outbound:Timeout"] = "00:00:03";
        settings["Outbound:SchedulerInterval"] = "00:00:00.200";
        settings["Validation:RetrySchedule"] = "1s";
        settings["Validation:Timeout"] = "00:00:02";
        foreach (var stage in new[] { "inbound", "outbound", "validation" })
        {
            settings[$"Stages:{stage}:MinPollingInterval"] = "00:00:00.050";
            settings[$"Stages:{stage}:MaxPollingInterval"] = "00:00:00.200";
        }

        _api = new ApiFactory(settings, Loopback, environment: "Development");
        _api.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _api.StartServer();
        var address = _api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);

        _stages = new StagesFactory(settings, Loopback);
        _ = _stages.Server;
    }

    /// <summary>An HTTP client to the API on its real port (with <paramref name="token"/> as bearer token when given).</summary>
    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public async Task DisposeAsync()
    {
        if (_stages is not null)
        {
            await _stages.DisposeAsync();
        }

        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        await Receiver.DisposeAsync();
        await _database.DisposeAsync();
    }

    private static void Loopback(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<IHostAddressResolver, LoopbackResolver>());
}
