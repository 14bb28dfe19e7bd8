using System.Net;
using System.Text;
using Altinn.Events.Core.Authorization;
using Altinn.Events.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace Altinn.Events.IntegrationTests.Queries;

/// <summary>When the decision point cannot answer, callers get a 503: nothing is stored, nothing returned, no cursor skips.</summary>
public sealed class AuthorizationOutageTests(AuthorizationOutageTests.OutageFixture api) : IClassFixture<AuthorizationOutageTests.OutageFixture>
{
    [Fact]
    public async Task Publish_WhenThePdpIsDown_Returns503_AndStoresNothing()
    {
        var e = EventBuilder.Generic();
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync("/events/api/v1/events", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM events WHERE id = @id", new { id = e.Id }));
    }

    [Theory]
    [InlineData("/events/api/v1/events?resource=urn:altinn:resource:ttd-events-test&after=0")]
    [InlineData("/events/api/v1/app/party?party=50001&after=0")]
    public async Task Query_WhenThePdpIsDown_Returns503_NotAnEmptyPage(string url)
    {
        await using (var connection = await api.Database.DataSource.OpenConnectionAsync())
        {
            await using var tx = await connection.BeginTransactionAsync();
            await Persistence.Events.EventStore.InsertAsync(connection, tx,
            [
                new("outage-1", "https://ttd.apps.altinn.no/ttd/apps-test/instances/50001/x", "urn:altinn:resource:ttd-events-test", "t", "/party/50001", null, 50001, null, "{}"),
                new("outage-2", "https://ttd.apps.altinn.no/ttd/apps-test/instances/50001/y", "urn:altinn:resource:app_ttd_apps-test", "t", "/party/50001", null, 50001, null, "{}"),
            ], TimeProvider.System, CancellationToken.None);
            await tx.CommitAsync();
        }

        using var client = api.Client(TestTokens.ForUser(1337, 50001));

        var response = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.False(response.Headers.Contains("next"));
    }

    public sealed class OutageFixture : ApiFixture
    {
        protected override void ConfigureServices(IServiceCollection services)
        {
            var pdp = new Mock<IAuthorizationDecider>();
            pdp.Setup(p => p.DecideAsync(It.IsAny<IReadOnlyList<DecisionRequest>>(), It.IsAny<CancellationToken>()))
                .ThrowsAsync(new AuthorizationUnavailableException("PDP timed out"));
            services.AddSingleton(pdp.Object);
        }
    }
}

/// <summary>A register that cannot answer gives a 503 as well, not a 500 and not an empty page.</summary>
public sealed class RegisterOutageTests(RegisterOutageTests.RegisterDownFixture api) : IClassFixture<RegisterOutageTests.RegisterDownFixture>
{
    [Fact]
    public async Task PartyQueryByOrganisationNumber_WhenTheRegisterIsDown_Returns503()
    {
        using var client = api.Client(TestTokens.ForUser(1337, 50001));

        var response = await client.GetAsync("/events/api/v1/app/party?unit=991825827&after=0");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("register", await response.Content.ReadAsStringAsync());
    }

    public sealed class RegisterDownFixture : ApiFixture
    {
        protected override void ConfigureServices(IServiceCollection services)
        {
            var register = new Mock<Core.Register.IPartyRegister>(MockBehavior.Strict);
            register.Setup(r => r.FindByOrganisationNumbersAsync(It.IsAny<IReadOnlyCollection<string>>(), It.IsAny<CancellationToken>()))
                .ThrowsAsync(new HttpRequestException("register timed out"));
            services.AddSingleton(register.Object);
        }
    }
}
