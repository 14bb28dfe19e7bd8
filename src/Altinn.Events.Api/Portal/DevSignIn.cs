using System.Globalization;
using System.Text.Json;
using Altinn.Events.Api.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Altinn.Events.Api.Portal;

/// <summary>A seeded identity the portal offers in development.</summary>
/// <param name="Id">What the portal sends to get its token.</param>
/// <param name="Label">What the portal shows.</param>
public sealed record DevIdentity(string Id, string Label);

/// <summary>A development token for the portal.</summary>
public sealed record DevTokenResponse(string AccessToken, DateTimeOffset ExpiresAt, string Identity);

/// <summary>A request for a development token.</summary>
public sealed record DevTokenRequest(string? Identity);

/// <summary>
/// Mints tokens of the local development issuer for the seeded identities (dev_seed.sql): the same key, issuer and audience
/// as <c>altinn-events token</c>, so the API validates them exactly as it validates any token. Registered only in
/// Development with <see cref="PortalOptions.DevSignInIssuer"/> set.
/// </summary>
internal sealed class DevSignIn(IOptionsMonitor<TokenIssuerOptions> issuers, IOptions<PortalOptions> options, IHostEnvironment environment, TimeProvider time)
{
    private const string SigningKeyFileName = "signing-key.json";
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private static readonly (DevIdentity Identity, Func<Dictionary<string, object>> Claims)[] Seeded =
    [
        (new("user-1337", "User 1337, Sofie Salt (person, party 50001; DAGL of Testbedrift AS)"), () => User(1337, 50001)),
        (new("user-1338", "User 1338, Rita Regnskap (accountant for ten client organisations)"), () => User(1338, 50005)),
        (new("user-1339", "User 1339, Petter Pepper (person, party 50004)"), () => User(1339, 50004)),
        (new("org-ttd", "Service owner ttd (altinn:events.publish and altinn:events.subscribe)"), () => new() { ["urn:altinn:org"] = "ttd", ["scope"] = "altinn:events.publish altinn:events.subscribe" }),
        (new("organisation-991825827", "Organisation 991825827, Testbedrift AS (Maskinporten, altinn:events.subscribe)"), () => new()
        {
            ["consumer"] = JsonSerializer.SerializeToElement(new { authority = "iso6523-actorid-upis", ID = "0192:991825827" }),
            ["scope"] = "altinn:events.subscribe",
        }),
    ];

    public static IReadOnlyList<DevIdentity> Identities { get; } = [.. Seeded.Select(s => s.Identity)];

    /// <summary>A token for the identity, or null when there is no such identity.</summary>
    /// <exception cref="FileNotFoundException">The development issuer has no signing key yet.</exception>
    public DevTokenResponse? Mint(string identity)
    {
        var seeded = Seeded.FirstOrDefault(s => s.Identity.Id == identity);
        if (seeded.Identity is null)
        {
            return null;
        }

        var issuer = issuers.Get(options.Value.DevSignInIssuer);
        var keyPath = Path.Combine(Path.GetDirectoryName(JwksPath(issuer))!, SigningKeyFileName);
        var key = new JsonWebKey(File.ReadAllText(keyPath));
        var now = time.GetUtcNow();
        var expires = now + Lifetime;
        var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer.Issuer,
            Audience = issuer.Audiences[0],
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = seeded.Claims(),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
        return new DevTokenResponse(token, expires, seeded.Identity.Label);
    }

    /// <summary>Where the signing key must be (for the error message when it is missing).</summary>
    public string KeyPath => Path.Combine(Path.GetDirectoryName(JwksPath(issuers.Get(options.Value.DevSignInIssuer)))!, SigningKeyFileName);

    private string JwksPath(TokenIssuerOptions issuer) =>
        Path.IsPathRooted(issuer.JwksFile!) ? issuer.JwksFile! : Path.GetFullPath(Path.Combine(environment.ContentRootPath, issuer.JwksFile!));

    private static Dictionary<string, object> User(int userId, int partyId) => new()
    {
        ["urn:altinn:userid"] = userId.ToString(CultureInfo.InvariantCulture),
        ["urn:altinn:partyid"] = partyId.ToString(CultureInfo.InvariantCulture),
        ["urn:altinn:authlevel"] = "3",
        ["scope"] = "altinn:events.subscribe",
    };
}
