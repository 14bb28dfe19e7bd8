using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;

namespace Altinn.Events.IntegrationTests.Infrastructure;

/// <summary>
/// The API host with a database of its own, fresh queues and the test issuer trusted; shared by the tests of one
/// class. Subclasses can add settings in <see cref="Configure"/> before the host starts.
/// </summary>
public class ApiFixture : IAsyncLifetime
{
    private readonly DatabaseFixture _database = new();
    private ApiFactory? _factory;

    public TestQueues Queues { get; } = new();

    public DatabaseFixture Database => _database;

    public ApiFactory Factory => _factory ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>The settings the API host was started with (after <see cref="Configure"/>).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; private set; } = new Dictionary<string, string?>();

    public virtual async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        await Queues.CreateAllAsync();
        var settings = Queues.Settings(createOnStart: false);
        settings["Database:ConnectionString"] = _database.ConnectionString;
        foreach (var (key, value) in TestTokens.IssuerSettings().Concat(TestTokens.OperatorSettings()))
        {
            settings[key] = value;
        }

        Configure(settings);
        Settings = settings;
        _factory = new ApiFactory(settings, ConfigureServices);
        _ = _factory.Server;
    }

    /// <summary>A client that sends <paramref name="token"/> as its bearer token (none when null).</summary>
    public HttpClient Client(string? token = null)
    {
        var client = Factory.CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public virtual async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await _database.DisposeAsync();
    }

    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    /// <summary>Replaces services of the API host (after its own registrations).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }
}
