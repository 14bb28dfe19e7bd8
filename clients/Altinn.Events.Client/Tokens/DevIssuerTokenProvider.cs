using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Altinn.Events.Client;

/// <summary>
/// Tokens from the local development issuer that <c>./scripts/run.sh</c> and <c>./scripts/altinn-events token</c> use:
/// an RS256 JWT signed with the key in <c>.data/dev-issuer/signing-key.json</c> (a JSON Web Key), issuer
/// <c>https://dev-issuer.altinn-events.local</c>, audience <c>altinn-events</c>. Tokens are cached until a minute before
/// they expire. For development and tests only: no deployed service trusts this issuer.
/// </summary>
public sealed class DevIssuerTokenProvider : IAccessTokenProvider
{
    /// <summary>The development issuer's <c>iss</c>.</summary>
    public const string Issuer = "https://dev-issuer.altinn-events.local";

    /// <summary>The development issuer's <c>aud</c>.</summary>
    public const string Audience = "altinn-events";

    private readonly RSAParameters _key;
    private readonly string _keyId;
    private readonly IReadOnlyDictionary<string, object> _claims;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private (string Token, DateTimeOffset RenewAt)? _cached;

    /// <summary>A provider minting tokens with <paramref name="claims"/> (values: strings, numbers, or anything System.Text.Json writes).</summary>
    /// <param name="issuerDirectory">The folder with <c>signing-key.json</c>, normally <c>.data/dev-issuer</c> in the repository.</param>
    /// <param name="claims">The token's claims besides iss, aud, iat, nbf and exp.</param>
    /// <param name="lifetime">Lifetime of each token (default one hour).</param>
    /// <param name="time">The clock (default the system's).</param>
    public DevIssuerTokenProvider(string issuerDirectory, IReadOnlyDictionary<string, object> claims, TimeSpan? lifetime = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(issuerDirectory);
        ArgumentNullException.ThrowIfNull(claims);
        var path = Path.Combine(issuerDirectory, "signing-key.json");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No development issuer key at {path}: start ./scripts/run.sh (or run ./scripts/altinn-events dev-issuer) once.", path);
        }

        using var jwk = JsonDocument.Parse(File.ReadAllText(path));
        var root = jwk.RootElement;
        byte[] Part(string name) => root.TryGetProperty(name, out var value) && value.GetString() is { } text
            ? Base64UrlDecode(text)
            : throw new InvalidDataException($"{path} has no '{name}': not an RSA private key.");
        _key = new RSAParameters
        {
            Modulus = Part("n"),
            Exponent = Part("e"),
            D = Part("d"),
            P = Part("p"),
            Q = Part("q"),
            DP = Part("dp"),
            DQ = Part("dq"),
            InverseQ = Part("qi"),
        };
        _keyId = root.TryGetProperty("kid", out var kid) ? kid.GetString() ?? string.Empty : string.Empty;
        _claims = claims;
        _lifetime = lifetime ?? TimeSpan.FromHours(1);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The repository's <c>.data/dev-issuer</c>, found by walking up from the current directory to <c>Altinn.Events.sln</c>.</summary>
    public static string DefaultDirectory()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Altinn.Events.sln")))
            {
                return Path.Combine(dir.FullName, ".data", "dev-issuer");
            }
        }

        return Path.Combine(Environment.CurrentDirectory, ".data", "dev-issuer");
    }

    /// <summary>An org system's token (Maskinporten-style): <c>urn:altinn:org</c> and <c>scope</c>.</summary>
    public static DevIssuerTokenProvider ForOrg(string issuerDirectory, string org, string scopes = "altinn:events.publish altinn:events.subscribe") =>
        new(issuerDirectory, new Dictionary<string, object> { ["urn:altinn:org"] = org, ["scope"] = scopes });

    /// <summary>An app's token (<c>urn:altinn:app</c> = <c>{org}/{app}</c>), which publishes to <c>POST /app</c>.</summary>
    public static DevIssuerTokenProvider ForApp(string issuerDirectory, string org, string app) =>
        new(issuerDirectory, new Dictionary<string, object> { ["urn:altinn:app"] = $"{org}/{app}", ["urn:altinn:org"] = org });

    /// <summary>An end user's token: user id, party id, authentication level and scopes.</summary>
    public static DevIssuerTokenProvider ForUser(string issuerDirectory, int userId, int partyId, int authLevel = 3, string scopes = "altinn:events.subscribe") =>
        new(issuerDirectory, new Dictionary<string, object>
        {
            ["urn:altinn:userid"] = userId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["urn:altinn:partyid"] = partyId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["urn:altinn:authlevel"] = authLevel.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["scope"] = scopes,
        });

    /// <inheritdoc />
    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_cached is { } cached && now < cached.RenewAt)
            {
                return ValueTask.FromResult(cached.Token);
            }

            var token = Mint(now);
            var margin = _lifetime > TimeSpan.FromMinutes(2) ? TimeSpan.FromMinutes(1) : TimeSpan.Zero;
            _cached = (token, now + _lifetime - margin);
            return ValueTask.FromResult(token);
        }
    }

    private string Mint(DateTimeOffset now)
    {
        var header = new Dictionary<string, object> { ["alg"] = "RS256", ["typ"] = "JWT" };
        if (_keyId.Length > 0)
        {
            header["kid"] = _keyId;
        }

        var payload = new Dictionary<string, object>(_claims)
        {
            ["iss"] = Issuer,
            ["aud"] = Audience,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + _lifetime).ToUnixTimeSeconds(),
        };
        var signingInput = Base64UrlEncode(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64UrlEncode(JsonSerializer.SerializeToUtf8Bytes(payload));
        using var rsa = RSA.Create(_key);
        var signature = rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64UrlEncode(signature);
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64UrlDecode(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
