using Altinn.Events.Api.Identity;
using Altinn.Events.Cli.DevIssuer;
using Altinn.Events.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Altinn.Events.IntegrationTests.Identity;

/// <summary>
/// The API remembers tokens it validated (issue 20), but never accepts one it would refuse: not past its exp, not
/// after <see cref="CachingJsonWebTokenHandler.MaxAge"/> without validating again, and a refused token is never remembered.
/// </summary>
public sealed class CachingJsonWebTokenHandlerTests
{
    private static readonly Dictionary<string, object> Claims = new() { ["urn:altinn:org"] = "ttd", ["scope"] = "altinn:events.publish" };

    [Fact]
    public async Task ValidToken_IsRemembered_UntilMaxAge_ThenValidatedAgainstTheKeysOfThatTime()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var handler = new CachingJsonWebTokenHandler(time);
        var token = TestTokens.Trusted.Mint(Claims);
        var trusted = Parameters(TrustedKeys());

        var first = await handler.ValidateTokenAsync(token, trusted);
        Assert.True(first.IsValid);

        // The issuer withdraws its key: within MaxAge the validation is reused, with a fresh identity holding the claims.
        var withdrawn = Parameters([]);
        var reused = await handler.ValidateTokenAsync(token, withdrawn);
        Assert.True(reused.IsValid);
        Assert.NotSame(first.ClaimsIdentity, reused.ClaimsIdentity);
        Assert.Equal("ttd", reused.ClaimsIdentity.FindFirst("urn:altinn:org")?.Value);

        time.Advance(CachingJsonWebTokenHandler.MaxAge + TimeSpan.FromSeconds(1));
        var after = await handler.ValidateTokenAsync(token, withdrawn);
        Assert.False(after.IsValid);
    }

    [Fact]
    public async Task RememberedToken_IsRefusedOnceItExpires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var handler = new CachingJsonWebTokenHandler(time);
        var token = TestTokens.Trusted.Mint(Claims, lifetime: TimeSpan.FromSeconds(2));
        var parameters = Parameters(TrustedKeys());
        Assert.True((await handler.ValidateTokenAsync(token, parameters)).IsValid);

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        time.Advance(TimeSpan.FromSeconds(2.5));

        Assert.False((await handler.ValidateTokenAsync(token, parameters)).IsValid);
    }

    [Fact]
    public async Task RefusedToken_IsNeverRemembered()
    {
        var handler = new CachingJsonWebTokenHandler(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var forged = TestTokens.Forger.Mint(Claims);
        var parameters = Parameters(TrustedKeys());

        Assert.False((await handler.ValidateTokenAsync(forged, parameters)).IsValid);
        Assert.False((await handler.ValidateTokenAsync(forged, parameters)).IsValid);
    }

    private static List<SecurityKey> TrustedKeys() => [.. new JsonWebKeySet(File.ReadAllText(TestTokens.Trusted.JwksPath)).GetSigningKeys()];

    private static TokenValidationParameters Parameters(List<SecurityKey> keys) => new()
    {
        ValidIssuer = DevTokenIssuer.DefaultIssuer,
        ValidAudience = DevTokenIssuer.DefaultAudience,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ValidateIssuerSigningKey = true,
        ClockSkew = TimeSpan.Zero,
        IssuerSigningKeys = keys,
    };
}
