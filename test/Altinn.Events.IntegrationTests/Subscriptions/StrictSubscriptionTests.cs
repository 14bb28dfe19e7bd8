using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;

namespace Altinn.Events.IntegrationTests.Subscriptions;

/// <summary>Production-like settings: https only, SSRF checks on what the endpoint's host resolves to, a cap per consumer.</summary>
public sealed class StrictSubscriptionTests(StrictSubscriptionsApiFixture api) : IClassFixture<StrictSubscriptionsApiFixture>
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://localhost/hook")]
    [InlineData("https://loopback.example/hook")]
    [InlineData("https://internal.example/hook")]
    [InlineData("https://10.0.0.1/hook")]
    [InlineData("https://192.168.0.10/hook")]
    [InlineData("https://metadata.example/latest/meta-data")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://linklocal.example/hook")]
    [InlineData("https://cgnat.example/hook")]
    [InlineData("https://ula.example/hook")]
    [InlineData("https://mixed.example/hook")]
    [InlineData("https://[::ffff:10.0.0.1]/hook")]
    [InlineData("https://168.63.129.16/machine?comp=goalstate")]
    [InlineData("https://wireserver.example/hook")]
    [InlineData("https://[2002:a00:1::1]/hook")]
    public async Task Post_EndPointOnTheInternalNetwork_Returns400NamingEndPoint(string endPoint)
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(SubscriptionBuilder.Path, SubscriptionBuilder.Generic().With("endPoint", endPoint).Content());

        await SubscriptionApiTests.AssertFieldAsync(response, HttpStatusCode.BadRequest, "endPoint");
        var message = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("endPoint")[0].GetString()!;
        Assert.DoesNotContain("Private", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Metadata", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://public.example:8443/hook")]
    [InlineData("https://public.example:22/hook")]
    public async Task Post_EndPointOnAPortOtherThan443_Returns400NamingEndPoint(string endPoint)
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(SubscriptionBuilder.Path, SubscriptionBuilder.Generic().With("endPoint", endPoint).Content());

        await SubscriptionApiTests.AssertFieldAsync(response, HttpStatusCode.BadRequest, "endPoint");
    }

    [Fact]
    public async Task Post_PublicHttpsEndPoint_Returns201()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(SubscriptionBuilder.Path, SubscriptionBuilder.Generic().With("endPoint", "https://public.example/hook").Content());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Post_BeyondTheCapPerConsumer_Returns409_ButTheExistingOneIsStillReturned()
    {
        // The organisation is this test's own consumer: the other tests subscribe as ttd.
        using var client = api.Client(TestTokens.ForOrganisation("991825827"));
        var bodies = Enumerable.Range(0, 4).Select(_ => SubscriptionBuilder.Generic()).ToArray();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(SubscriptionBuilder.Path, bodies[i].Content())).StatusCode);
        }

        var fourth = await client.PostAsync(SubscriptionBuilder.Path, bodies[3].Content());
        var again = await client.PostAsync(SubscriptionBuilder.Path, bodies[0].Content());

        await SubscriptionApiTests.AssertProblemAsync(fourth, HttpStatusCode.Conflict, "Subscriptions:MaxPerConsumer");
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }
}
