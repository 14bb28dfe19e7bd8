using System.Net;
using System.Text;
using System.Text.Json;
using Altinn.Events.Authorization;
using Altinn.Events.Authorization.Register;
using Altinn.Events.Core.Authorization;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Register;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;
using Moq.Protected;

namespace Altinn.Events.IntegrationTests.Authorization;

/// <summary>The reverse index of who holds rights for which party: the roles table (embedded) and the platform's lookups (remote, mocked).</summary>
public sealed class EmbeddedAuthorizedPartiesTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task RolesTable_AnswersBothDirections_Fresh()
    {
        var parties = new TestParties(database.DataSource);
        var a = await parties.OrganisationAsync();
        var b = await parties.OrganisationAsync();
        var accountant = $"/user/{TestParties.NextId()}";
        var manager = $"/organisation/{800_000_000 + (TestParties.NextId() % 100_000_000)}";
        await parties.GrantAsync(accountant, a, "REGNA");
        await parties.GrantAsync(accountant, a, "DAGL");
        await parties.GrantAsync(accountant, b, "REGNA");
        await parties.GrantAsync(manager, b, "DAGL");
        var index = new PostgresAuthorizedParties(database.DataSource);

        var holders = await index.GetRightHoldersAsync([a, b, 1], CancellationToken.None);
        Assert.Equal([accountant], holders[a]);
        Assert.Equal(new[] { accountant, manager }.Order(), holders[b].Order());
        Assert.False(holders.ContainsKey(1));
        Assert.Equal([a, b], await index.GetPartiesAsync(accountant, CancellationToken.None));

        await parties.WithdrawAsync(accountant, b);
        Assert.Equal([manager], (await index.GetRightHoldersAsync([b], CancellationToken.None))[b]);
        Assert.Equal([a], await index.GetPartiesAsync(accountant, CancellationToken.None));
    }
}

public sealed class RemoteAuthorizedPartiesTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly Mock<HttpMessageHandler> _platform = new(MockBehavior.Strict);
    private readonly List<(string Path, string Body)> _calls = [];

    [Fact]
    public async Task RightHolders_AreAskedInOneBatch_CachedBriefly_AndAskedAgainAfterTheCacheLifetime()
    {
        var answers = new Queue<string>(
        [
            """{"rightHolders":[{"partyId":7,"subjects":["/user/1","/organisation/991825827"]}]}""",
            """{"rightHolders":[{"partyId":7,"subjects":["/organisation/991825827"]}]}""",
        ]);
        Respond(() => answers.Dequeue());
        var index = Create(cacheSeconds: 5);

        var first = await index.GetRightHoldersAsync([7, 8], CancellationToken.None);
        Assert.Equal(["/user/1", "/organisation/991825827"], first[7]);
        Assert.False(first.ContainsKey(8));
        var (path, body) = Assert.Single(_calls);
        Assert.Equal("/register/api/v1/parties/rightholders", path);
        Assert.Equal([7, 8], JsonDocument.Parse(body).RootElement.GetProperty("partyIds").EnumerateArray().Select(e => e.GetInt32()));

        // Within the lifetime: no call, parties without holders included.
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(["/user/1", "/organisation/991825827"], (await index.GetRightHoldersAsync([7, 8], CancellationToken.None))[7]);
        Assert.Single(_calls);

        // After it: the withdrawal the platform now answers counts.
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(["/organisation/991825827"], (await index.GetRightHoldersAsync([7], CancellationToken.None))[7]);
        Assert.Equal(2, _calls.Count);
    }

    [Fact]
    public async Task AuthorizedParties_OfAConsumer_AreCachedBriefly_AndAFailureThrowsRatherThanAnsweringNobody()
    {
        var fail = false;
        Respond(() => fail ? throw new HttpRequestException("down") : """{"partyIds":[9,3,9]}""");
        var index = Create(cacheSeconds: 5);

        Assert.Equal([3, 9], await index.GetPartiesAsync("/user/1", CancellationToken.None));
        Assert.Equal("/register/api/v1/parties/authorized", _calls[0].Path);
        Assert.Equal("/user/1", JsonDocument.Parse(_calls[0].Body).RootElement.GetProperty("subject").GetString());
        Assert.Equal([3, 9], await index.GetPartiesAsync("/user/1", CancellationToken.None));
        Assert.Single(_calls);

        fail = true;
        _time.Advance(TimeSpan.FromSeconds(6));
        await Assert.ThrowsAsync<HttpRequestException>(() => index.GetPartiesAsync("/user/1", CancellationToken.None));
        await Assert.ThrowsAsync<HttpRequestException>(() => index.GetRightHoldersAsync([1], CancellationToken.None));
    }

    [Fact]
    public void RemoteRegisterMode_RegistersThePlatformLookups_AndEmbeddedTheRolesTable()
    {
        using var remote = AuthorizationHost.Build(new Dictionary<string, string?> { ["Register:Mode"] = "Remote", ["Register:BaseUrl"] = "https://platform.example/register/api/v1" });
        using var dataSource = Npgsql.NpgsqlDataSource.Create("Host=127.0.0.1;Username=none");
        using var embedded = AuthorizationHost.Build(new Dictionary<string, string?>(), dataSource);
        Assert.IsType<HttpAuthorizedParties>(remote.Services.GetRequiredService<IAuthorizedParties>());
        Assert.IsType<PostgresAuthorizedParties>(embedded.Services.GetRequiredService<IAuthorizedParties>());
    }

    [Fact]
    public void RemoteRegisterMode_WinsOverTheLocalTables_RegisteredBeforeIt()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new Microsoft.Extensions.Hosting.HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration["Register:Mode"] = "Remote";
        builder.Configuration["Register:BaseUrl"] = "https://platform.example/register/api/v1";
        builder.Services.AddLocalRegister();
        builder.AddEventsAuthorization();
        using var host = builder.Build();

        Assert.IsType<HttpAuthorizedParties>(host.Services.GetRequiredService<IAuthorizedParties>());
    }

    [Fact]
    public async Task EmbeddedModes_WithoutTheLocalTables_FailAtStartNamingThem()
    {
        using var host = AuthorizationHost.Build(new Dictionary<string, string?>(), configure: services =>
        {
            services.RemoveAll<IRoleStore>();
            services.RemoveAll<Altinn.Events.Core.Register.IPartyRegister>();
            services.RemoveAll<IAuthorizedParties>();
        });

        // Both modes are embedded: each names what it misses (the start-up validator aggregates them).
        var error = await Assert.ThrowsAsync<AggregateException>(() => host.StartAsync());

        Assert.Contains("Authorization:Pdp:Mode Embedded reads roles from an IRoleStore", error.Message, StringComparison.Ordinal);
        Assert.Contains("Register:Mode Embedded reads the local tables through IPartyRegister and IAuthorizedParties", error.Message, StringComparison.Ordinal);
    }

    private HttpAuthorizedParties Create(int cacheSeconds) => new(
        new HttpClient(_platform.Object) { BaseAddress = new Uri("https://platform.example/register/api/v1/") },
        Options.Create(new RegisterOptions { AuthorizedPartiesCacheSeconds = cacheSeconds }),
        _time,
        NullLogger<HttpAuthorizedParties>.Instance);

    private void Respond(Func<string> answer) =>
        _platform.Protected()
            .Setup<Task<HttpResponseMessage>>("SendAsync", ItExpr.IsAny<HttpRequestMessage>(), ItExpr.IsAny<CancellationToken>())
            .Returns(async (HttpRequestMessage request, CancellationToken ct) =>
            {
                _calls.Add((request.RequestUri!.AbsolutePath, await request.Content!.ReadAsStringAsync(ct)));
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(answer(), Encoding.UTF8, "application/json") };
            });
}
