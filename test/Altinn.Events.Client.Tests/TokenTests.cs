using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Altinn.Events.Client.Tests;

public sealed class TokenTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "altinn-events-client-tests", Guid.NewGuid().ToString("N"));
    private readonly RSA _rsa = RSA.Create(2048);

    public TokenTests()
    {
        Directory.CreateDirectory(_directory);
        var p = _rsa.ExportParameters(true);
        static string B(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        File.WriteAllText(Path.Combine(_directory, "signing-key.json"), JsonSerializer.Serialize(new
        {
            kty = "RSA", kid = "k1", n = B(p.Modulus!), e = B(p.Exponent!), d = B(p.D!), p = B(p.P!), q = B(p.Q!), dp = B(p.DP!), dq = B(p.DQ!), qi = B(p.InverseQ!),
        }));
    }

    public void Dispose()
    {
        _rsa.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task DevIssuer_SignsRs256_WithTheIssuersClaims_AndCachesUntilNearExpiry()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var provider = new DevIssuerTokenProvider(_directory, new Dictionary<string, object> { ["urn:altinn:org"] = "ttd", ["scope"] = "altinn:events.publish" }, TimeSpan.FromMinutes(10), time);

        var token = await provider.GetTokenAsync(default);

        var parts = token.Split('.');
        Assert.True(_rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Decode(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        using var header = JsonDocument.Parse(Decode(parts[0]));
        Assert.Equal("RS256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("k1", header.RootElement.GetProperty("kid").GetString());
        using var payload = JsonDocument.Parse(Decode(parts[1]));
        Assert.Equal("ttd", payload.RootElement.GetProperty("urn:altinn:org").GetString());
        Assert.Equal(DevIssuerTokenProvider.Issuer, payload.RootElement.GetProperty("iss").GetString());
        Assert.Equal(DevIssuerTokenProvider.Audience, payload.RootElement.GetProperty("aud").GetString());
        Assert.Equal(time.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds(), payload.RootElement.GetProperty("exp").GetInt64());

        time.Advance(TimeSpan.FromMinutes(8));
        Assert.Equal(token, await provider.GetTokenAsync(default));
        time.Advance(TimeSpan.FromMinutes(1.5));
        Assert.NotEqual(token, await provider.GetTokenAsync(default));
    }

    [Fact]
    public void DevIssuer_WithoutKey_SaysHowToMakeOne() =>
        Assert.Contains("run.sh", Assert.Throws<FileNotFoundException>(() => DevIssuerTokenProvider.ForOrg(Path.Combine(_directory, "none"), "ttd")).Message, StringComparison.Ordinal);

    private static byte[] Decode(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
