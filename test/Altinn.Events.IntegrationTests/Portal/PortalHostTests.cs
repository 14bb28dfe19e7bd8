using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Altinn.Events.IntegrationTests.Portal;

/// <summary>The portal's pages and its development sign-in, over HTTP, in the Development environment.</summary>
public sealed class PortalHostTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    [Fact]
    public async Task Portal_IsServedFromTheApi_WithAContentSecurityPolicy()
    {
        using var client = portal.Client();

        var page = await client.GetAsync("/portal/");
        var script = await client.GetAsync("/portal/portal.js");
        var missing = await client.GetAsync("/portal/nothing.js");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("<script src=\"portal.js\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task DevSignIn_MintsATokenTheApiValidates_ForASeededIdentityOnly()
    {
        using var anonymous = portal.Client();
        var config = await anonymous.GetFromJsonAsync<JsonElement>("/portal/config.json");
        Assert.True(config.GetProperty("devSignIn").GetBoolean());
        Assert.Contains(config.GetProperty("devIdentities").EnumerateArray(), i => i.GetProperty("id").GetString() == "user-1337");

        var minted = await anonymous.PostAsJsonAsync("/portal/dev/token", new { identity = "user-1337" });
        Assert.Equal(HttpStatusCode.OK, minted.StatusCode);
        var token = (await minted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        using var user = portal.Client(token);
        var me = await user.GetFromJsonAsync<JsonElement>("/events/api/v1/whoami");
        Assert.Equal("/user/1337", me.GetProperty("consumer").GetString());
        Assert.Equal(50001, me.GetProperty("partyId").GetInt32());

        var unknown = await anonymous.PostAsJsonAsync("/portal/dev/token", new { identity = "user-1" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.True((await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("identity", out _));
    }
}
