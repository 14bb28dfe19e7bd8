using System.Net.Http.Headers;

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

    public virtual async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        await Queues.CreateAllAsync();
        var settings = Queues.Settings(createOnStart: false);
        settings["Database:ConnectionString"] = _database.ConnectionString;
        foreach (var (key, value) in TestTokens.IssuerSettings())
        {
            settings[key] = value;
        }

        Configure(settings);
        _factory = new ApiFactory(settings);
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
}
