using System.Text.Json;
using Altinn.Events.Core.Register;
using Altinn.Events.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Altinn.Events.IntegrationTests.Authorization;

/// <summary>The local register over the parties seeded by migration 0002: every call one query, whatever the batch.</summary>
public sealed class EmbeddedPartyRegisterTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly IHost _host = AuthorizationHost.Build(new Dictionary<string, string?>(), database.DataSource);

    private IPartyRegister Register => _host.Services.GetRequiredService<IPartyRegister>();

    [Fact]
    public async Task FindByPersonNumbers_ReturnsKnownPersons_InOneQuery()
    {
        using var counter = new CommandCounter(database.DatabaseName);

        var found = await Register.FindByPersonNumbersAsync(["01017012345", "02027012345", "99999999999"], CancellationToken.None);

        Assert.Equal(2, found.Count);
        Assert.Equal(new Party(50001, PartyType.Person, "Sofie Salt", "01017012345", null, null), found["01017012345"]);
        Assert.Equal(50004, found["02027012345"].PartyId);
        Assert.Single(counter.Commands);
    }

    [Fact]
    public async Task FindByOrganisationNumbers_ReturnsMainUnitsAndSubunits_InOneQuery()
    {
        using var counter = new CommandCounter(database.DatabaseName);

        var found = await Register.FindByOrganisationNumbersAsync(["991825827", "991825828", "910000015", "123456789"], CancellationToken.None);

        Assert.Equal(3, found.Count);
        Assert.Equal(new Party(50002, PartyType.Organisation, "Testbedrift AS", null, "991825827", null), found["991825827"]);
        Assert.Equal(50002, found["991825828"].MainUnitPartyId);
        Assert.Equal(50015, found["910000015"].PartyId);
        Assert.Single(counter.Commands);
    }

    [Fact]
    public async Task GetByPartyIds_ReturnsKnownParties_InOneQuery()
    {
        using var counter = new CommandCounter(database.DatabaseName);

        var found = await Register.GetByPartyIdsAsync([.. Enumerable.Range(50000, 25)], CancellationToken.None);

        Assert.Equal([50001, 50002, 50003, 50004, 50005, 50006, .. Enumerable.Range(50010, 10)], found.Keys.Order());
        Assert.Equal(PartyType.Person, found[50005].Type);
        Assert.Single(counter.Commands);
    }

    [Fact]
    public async Task SubunitsAndMainUnits_AreResolvedBothWays_InOneQueryEach()
    {
        using var counter = new CommandCounter(database.DatabaseName);

        var subunits = await Register.GetSubunitsAsync([50002, 50001, 50010], CancellationToken.None);
        var mainUnits = await Register.GetMainUnitsAsync([50003, 50002, 50001], CancellationToken.None);

        Assert.Equal([50003], Assert.Single(subunits, kv => kv.Key == 50002).Value);
        Assert.Single(subunits);
        Assert.Equal(new Dictionary<int, int> { [50003] = 50002 }, mainUnits);
        Assert.Equal(2, counter.Commands.Count);
    }

    [Fact]
    public async Task EmptyBatches_DoNotQuery()
    {
        using var counter = new CommandCounter(database.DatabaseName);

        Assert.Empty(await Register.FindByPersonNumbersAsync([], CancellationToken.None));
        Assert.Empty(await Register.GetSubunitsAsync([], CancellationToken.None));
        Assert.Empty(counter.Commands);
    }

    public void Dispose() => _host.Dispose();
}

/// <summary>The remote register client against a real HTTP server playing the register.</summary>
public sealed class RemotePartyRegisterTests : IAsyncLifetime
{
    private FakeHttpServer _server = null!;
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeHttpServer.StartAsync();
        _host = AuthorizationHost.Build(new Dictionary<string, string?>
        {
            ["Register:Mode"] = "Remote",
            ["Register:BaseUrl"] = new Uri(_server.BaseAddress, "register/api/v1").ToString(),
            ["Register:Resilience:AttemptTimeout"] = "00:00:02",
            ["Register:Resilience:TotalTimeout"] = "00:00:06",
            ["Register:Resilience:MaxRetries"] = "1",
            ["Register:Resilience:RetryDelay"] = "00:00:00.010",
            ["Platform:AccessToken"] = "test-platform-token",
        });
        await _host.StartAsync();
    }

    private IPartyRegister Register => _host.Services.GetRequiredService<IPartyRegister>();

    [Fact]
    public async Task FindByPersonNumbers_SendsNumbersInTheBody_NeverInTheUrl()
    {
        _server.Respond = (_, ctx) => Json(ctx, """
            {"parties":[
              {"partyId":50001,"type":"person","name":"Sofie Salt","personNumber":"01017012345"},
              {"partyId":50004,"type":"person","name":"Petter Pepper","personNumber":"02027012345"}]}
            """);

        var found = await Register.FindByPersonNumbersAsync(["01017012345", "02027012345", "99999999999"], CancellationToken.None);

        Assert.Equal(new Party(50001, PartyType.Person, "Sofie Salt", "01017012345", null, null), found["01017012345"]);
        Assert.Equal(50004, found["02027012345"].PartyId);
        Assert.Equal(2, found.Count);

        var received = Assert.Single(_server.Received);
        Assert.Equal("POST", received.Method);
        Assert.Equal("/register/api/v1/parties/lookup", received.PathAndQuery);
        Assert.Equal("test-platform-token", received.Headers["PlatformAccessToken"]);
        using var body = JsonDocument.Parse(received.Body);
        Assert.Equal(["01017012345", "02027012345", "99999999999"], body.RootElement.GetProperty("personNumbers").EnumerateArray().Select(e => e.GetString()));
        foreach (var number in new[] { "01017012345", "02027012345", "99999999999" })
        {
            Assert.DoesNotContain(number, received.PathAndQuery, StringComparison.Ordinal);
            Assert.DoesNotContain(received.Headers.Values, v => v.Contains(number, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task OrganisationNumbersAndUnits_AreBatchedIntoOneCallEach()
    {
        _server.Respond = (request, ctx) => Json(ctx, request.PathAndQuery.EndsWith("/parties/units", StringComparison.Ordinal)
            ? """{"units":[{"mainUnitPartyId":50002,"subunitPartyId":50003}]}"""
            : """{"parties":[{"partyId":50002,"type":"organisation","name":"Testbedrift AS","organisationNumber":"991825827"},{"partyId":50003,"type":"organisation","name":"Avd","organisationNumber":"991825828","mainUnitPartyId":50002}]}""");

        var orgs = await Register.FindByOrganisationNumbersAsync(["991825827", "991825828"], CancellationToken.None);
        var subunits = await Register.GetSubunitsAsync([50002, 50010], CancellationToken.None);
        var mainUnits = await Register.GetMainUnitsAsync([50003], CancellationToken.None);

        Assert.Equal(50002, orgs["991825828"].MainUnitPartyId);
        Assert.Equal([50003], subunits[50002]);
        Assert.Equal(50002, mainUnits[50003]);
        var received = _server.Received.ToList();
        Assert.Equal(3, received.Count);
        Assert.Equal(["991825827", "991825828"], JsonDocument.Parse(received[0].Body).RootElement.GetProperty("organisationNumbers").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([50002, 50010], JsonDocument.Parse(received[1].Body).RootElement.GetProperty("mainUnitPartyIds").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([50003], JsonDocument.Parse(received[2].Body).RootElement.GetProperty("subunitPartyIds").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task ServerError_Throws_WithoutPersonNumbersInTheMessage()
    {
        _server.Respond = (_, ctx) =>
        {
            ctx.Response.StatusCode = 503;
            return Task.CompletedTask;
        };

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Register.FindByPersonNumbersAsync(["01017012345"], CancellationToken.None));

        Assert.DoesNotContain("01017012345", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, _server.Received.Count); // one retry
    }

    private static Task Json(HttpContext context, string json)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _server.DisposeAsync();
    }
}
