using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Altinn.Events.Cli.DevIssuer;

/// <summary>
/// A local token issuer for development and tests. It keeps an RSA key in a folder (created on first use) and
/// writes the public half as <c>jwks.json</c> beside it, which the API's development configuration trusts through
/// the same JWT validation as any other issuer. Never configure it outside development and tests.
/// </summary>
public sealed class DevTokenIssuer
{
    public const string DefaultIssuer = "https://dev-issuer.altinn-events.local";
    public const string DefaultAudience = "altinn-events";
    public const string JwksFileName = "jwks.json";

    /// <summary>The Entra tenant the development settings give the operator API (appsettings.Development.json).</summary>
    public const string DevOperatorTenant = "00000000-0000-4000-8000-0000000000d1";

    /// <summary>The operator API's client id (the <c>aud</c> of operator tokens) in the development settings.</summary>
    public const string DevOperatorClientId = "00000000-0000-4000-8000-0000000000d2";

    /// <summary>The issuer of Entra v2.0 access tokens of <see cref="DevOperatorTenant"/>.</summary>
    public const string DevOperatorIssuer = "https://login.microsoftonline.com/" + DevOperatorTenant + "/v2.0";
    private const string PrivateKeyFileName = "signing-key.json";

    private readonly SigningCredentials _credentials;

    private DevTokenIssuer(string directory, SigningCredentials credentials)
    {
        Directory = directory;
        _credentials = credentials;
    }

    public string Directory { get; }

    public string JwksPath => Path.Combine(Directory, JwksFileName);

    /// <summary>Loads the key from <paramref name="directory"/>, creating it (and the JWKS file) when missing.</summary>
    public static DevTokenIssuer Open(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var keyPath = Path.Combine(directory, PrivateKeyFileName);
        JsonWebKey key;
        if (File.Exists(keyPath))
        {
            key = new JsonWebKey(File.ReadAllText(keyPath));
        }
        else
        {
            using var rsa = RSA.Create(2048);
            key = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: true)));
            key.Kid = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
            key.Use = "sig";
            key.Alg = SecurityAlgorithms.RsaSha256;
            File.WriteAllText(keyPath, JsonSerializer.Serialize(key));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        var jwksPath = Path.Combine(directory, JwksFileName);
        var jwks = JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = key.Kty, use = "sig", alg = SecurityAlgorithms.RsaSha256, kid = key.Kid, n = key.N, e = key.E } },
        });
        if (!File.Exists(jwksPath) || File.ReadAllText(jwksPath) != jwks)
        {
            File.WriteAllText(jwksPath, jwks);
        }

        return new DevTokenIssuer(directory, new SigningCredentials(key, SecurityAlgorithms.RsaSha256));
    }

    /// <summary>A signed JWT with the given claims. Values that are <see cref="JsonElement"/>s are written as JSON.</summary>
    public string Mint(
        IReadOnlyDictionary<string, object> claims,
        TimeSpan? lifetime = null,
        string issuer = DefaultIssuer,
        string audience = DefaultAudience,
        DateTimeOffset? now = null)
    {
        var issuedAt = (now ?? TimeProvider.System.GetUtcNow()).UtcDateTime;
        var life = lifetime ?? TimeSpan.FromHours(1);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = issuedAt,
            NotBefore = life < TimeSpan.Zero ? issuedAt + life - TimeSpan.FromMinutes(5) : issuedAt,
            Expires = issuedAt + life,
            Claims = claims.ToDictionary(c => c.Key, c => c.Value),
            SigningCredentials = _credentials,
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>The folder the CLI and the run command use: <c>.data/dev-issuer</c> in the repository.</summary>
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
}
