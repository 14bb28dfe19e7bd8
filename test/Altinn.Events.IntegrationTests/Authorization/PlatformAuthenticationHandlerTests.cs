using Altinn.Events.Authorization;
using Altinn.Events.Authorization.Remote;
using Azure.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Altinn.Events.IntegrationTests.Authorization;

public sealed class PlatformAuthenticationHandlerTests
{
    [Fact]
    public async Task ModeNone_WithoutToken_AddsNothing()
    {
        var sent = await SendAsync(new PlatformOptions());

        Assert.Null(sent.Headers.Authorization);
        Assert.False(sent.Headers.Contains("PlatformAccessToken"));
    }

    [Fact]
    public async Task ConfiguredAccessToken_GoesInThePlatformHeader()
    {
        var sent = await SendAsync(new PlatformOptions { AccessToken = "static-token" });

        Assert.Equal("static-token", Assert.Single(sent.Headers.GetValues("PlatformAccessToken")));
        Assert.Null(sent.Headers.Authorization);
    }

    [Fact]
    public async Task ConfiguredAccessToken_CanBeABearerToken()
    {
        var sent = await SendAsync(new PlatformOptions { AccessToken = "static-token", AccessTokenHeader = "Authorization" });

        Assert.Equal("Bearer static-token", sent.Headers.Authorization?.ToString());
    }

    [Fact]
    public async Task ModeEntraId_AddsABearerTokenForTheConfiguredScope()
    {
        var options = new PlatformOptions { Authentication = { Mode = PlatformAuthenticationMode.EntraId, Scope = "api://pdp/.default" } };
        var credential = new FakeCredential();

        var sent = await SendAsync(options, credential);

        Assert.Equal("Bearer entra-token-for-api://pdp/.default", sent.Headers.Authorization?.ToString());
        Assert.Equal(["api://pdp/.default"], credential.Scopes);
    }

    private static async Task<HttpRequestMessage> SendAsync(PlatformOptions options, FakeCredential? credential = null)
    {
        var wrapped = Options.Create(options);
        var capture = new CaptureHandler();
        using var handler = new PlatformAuthenticationHandler(wrapped, new FakePlatformCredential(wrapped, credential ?? new FakeCredential()), NullLogger<PlatformAuthenticationHandler>.Instance)
        {
            InnerHandler = capture,
        };
        using var client = new HttpClient(handler);
        using var response = await client.PostAsync(new Uri("http://127.0.0.1/decision"), null);
        return capture.Request!;
    }

    private sealed class CaptureHandler : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK));
        }
    }

    private sealed class FakePlatformCredential(IOptions<PlatformOptions> options, TokenCredential credential) : PlatformCredential(options)
    {
        public override TokenCredential Get() => credential;
    }

    private sealed class FakeCredential : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Scopes.AddRange(requestContext.Scopes);
            return ValueTask.FromResult(new AccessToken("entra-token-for-" + string.Join(" ", requestContext.Scopes), DateTimeOffset.MaxValue));
        }
    }
}
