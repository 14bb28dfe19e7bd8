using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Altinn.Events.Core.Authorization;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Altinn.Events.IntegrationTests.EndToEnd;

/// <summary>
/// The whole service for failure tests: the API and the stage host with the run command's configuration, reaching the real
/// PostgreSQL and Azurite through <see cref="TcpProxy"/>s a test can take down, a decision point that can be made
/// unavailable (as the remote PDP is in an outage), a real webhook receiver on loopback, and either host stopped and
/// started again at will. Outbox leases and outage pauses are short so that recoveries fit in a test.
/// </summary>
public sealed class Pipeline : IAsyncDisposable
{
    private readonly DatabaseFixture _database = new();
    private readonly Dictionary<string, string?> _settings;
    private ApiFactory? _api;
    private StagesFactory? _stages;

    private Pipeline(TcpProxy databaseProxy, TcpProxy queueProxy, Dictionary<string, string?> extra)
    {
        DatabaseProxy = databaseProxy;
        QueueProxy = queueProxy;
        _settings = extra;
    }

    public TestQueues Queues { get; } = new();

    public TcpProxy DatabaseProxy { get; }

    public TcpProxy QueueProxy { get; }

    /// <summary>Set to make every decision fail as the remote PDP's do in an outage.</summary>
    public DecisionSwitch Pdp { get; } = new();

    public WebhookReceiver Receiver { get; private set; } = null!;

    public DatabaseFixture Database => _database;

    public static async Task<Pipeline> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var postgres = new NpgsqlConnectionStringBuilder(TestEnvironment.DatabaseAdminConnectionString);
        var azurite = new Uri(System.Text.RegularExpressions.Regex.Match(TestEnvironment.QueuesConnectionString, "QueueEndpoint=([^;]+)").Groups[1].Value);
        var pipeline = new Pipeline(new TcpProxy(postgres.Host!, postgres.Port), new TcpProxy(azurite.Host, azurite.Port), settings ?? []);
        await pipeline.InitializeAsync(azurite);
        return pipeline;
    }

    private async Task InitializeAsync(Uri azurite)
    {
        await _database.InitializeAsync();
        await Queues.CreateAllAsync();
        Receiver = await WebhookReceiver.StartAsync();

        var queues = Queues.Settings(createOnStart: false);
        queues["Queues:ConnectionString"] = TestEnvironment.QueuesConnectionString.Replace($":{azurite.Port}/", $":{QueueProxy.Port}/", StringComparison.Ordinal);
        var database = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Host = "127.0.0.1", Port = DatabaseProxy.Port };
        var defaults = new Dictionary<string, string?>(queues)
        {
            ["environment"] = "Development",
            ["Database:ConnectionString"] = database.ConnectionString,
            ["Authentication:Issuers:dev:JwksFile"] = TestTokens.Trusted.JwksPath,
            ["Subscriptions:PublicBaseUrl"] = "http://127.0.0.1:5080",
            ["Publishing:Relay:Lease"] = "00:00:02",
            ["Publishing:Relay:MaxLease"] = "00:00:05",
            ["Stages:inbound:OutageMaxDelay"] = "00:00:02",
            ["Stages:outbound:OutageMaxDelay"] = "00:00:02",
            ["Stages:validation:OutageMaxDelay"] = "00:00:02",
        };
        foreach (var (key, value) in _settings)
        {
            defaults[key] = value;
        }

        _settings.Clear();
        foreach (var (key, value) in defaults)
        {
            _settings[key] = value;
        }

        StartApi();
        StartStages();
    }

    public void StartApi()
    {
        _api = new ApiFactory(_settings, services => Pdp.Install(services));
        _ = _api.Server;
    }

    public void StartStages()
    {
        _stages = new StagesFactory(_settings, services => Pdp.Install(services));
        _ = _stages.Server;
    }

    public async Task StopStagesAsync()
    {
        await _stages!.DisposeAsync();
        _stages = null;
    }

    public HttpClient Client(string token)
    {
        var client = _api!.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A validated subscription of the user to app events of party 50001, pushing to a fresh receiver path.</summary>
    public async Task<string> SubscribeAsync()
    {
        var endpoint = Receiver.Endpoint();
        using var user = Client(TestTokens.ForUser(1337, 50001));
        var created = await user.PostAsJsonAsync("/events/api/v1/subscriptions", new
        {
            endPoint = endpoint,
            resourceFilter = "urn:altinn:resource:app_ttd_apps-test",
            subjectFilter = "/party/50001",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!;
        Assert.True(await TestQueues.EventuallyAsync(async () => (await user.GetFromJsonAsync<JsonElement>(location)).GetProperty("validated").GetBoolean(), TimeSpan.FromSeconds(30)), "the subscription was not validated");
        return endpoint;
    }

    /// <summary>Publishes one app event for party 50001; returns the status code and, when stored, the event id.</summary>
    public async Task<(HttpStatusCode Status, string? Id, HttpResponseMessage Response)> PublishAsync(HttpClient app)
    {
        var e = EventBuilder.App(partyId: 50001);
        var response = await app.PostAsync("/events/api/v1/app", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json"));
        return (response.StatusCode, response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<string>() : null, response);
    }

    /// <summary>The event ids pushed to <paramref name="endpoint"/> (validation pushes left out), with how often each.</summary>
    public Dictionary<string, int> PushedIds(string endpoint) => Receiver.RequestsTo(endpoint)
        .Select(r => JsonDocument.Parse(r.Body).RootElement)
        .Where(e => e.GetProperty("type").GetString() != "platform.events.validatesubscription")
        .GroupBy(e => e.GetProperty("id").GetString()!)
        .ToDictionary(g => g.Key, g => g.Count());

    public async Task<long> SeqOfAsync(string eventId)
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT seq FROM events WHERE id = @eventId", new { eventId });
    }

    public async Task<long> OutboxRowsAsync()
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM outbox");
    }

    public async ValueTask DisposeAsync()
    {
        DatabaseProxy.Up();
        QueueProxy.Up();
        Pdp.Down = false;
        if (_stages is not null)
        {
            await _stages.DisposeAsync();
        }

        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        await Receiver.DisposeAsync();
        await DatabaseProxy.DisposeAsync();
        await QueueProxy.DisposeAsync();
        await _database.DisposeAsync();
    }

    /// <summary>Wraps the hosts' decider; while <see cref="Down"/>, every decision fails as an unreachable PDP's does.</summary>
    public sealed class DecisionSwitch
    {
        public bool Down { get; set; }

        public ConcurrentQueue<DateTimeOffset> Refused { get; } = new();

        public void Install(IServiceCollection services)
        {
            var registered = services.Last(d => d.ServiceType == typeof(IAuthorizationDecider));
            services.Remove(registered);
            services.AddSingleton<IAuthorizationDecider>(sp => new Switched(this, (IAuthorizationDecider)(registered.ImplementationInstance
                ?? registered.ImplementationFactory?.Invoke(sp)
                ?? ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!))));
        }

        private sealed class Switched(DecisionSwitch state, IAuthorizationDecider inner) : IAuthorizationDecider
        {
            public Task<IReadOnlyList<bool>> DecideAsync(IReadOnlyList<DecisionRequest> requests, CancellationToken cancellationToken)
            {
                if (state.Down)
                {
                    state.Refused.Enqueue(DateTimeOffset.UtcNow);
                    throw new AuthorizationUnavailableException("the decision point did not answer (test outage)");
                }

                return inner.DecideAsync(requests, cancellationToken);
            }
        }
    }
}
