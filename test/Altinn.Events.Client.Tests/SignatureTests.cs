using System.Security.Cryptography;
using System.Text;
using Altinn.Events.Client.Webhooks;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Altinn.Events.Client.Tests;

/// <summary>Our Standard Webhooks verification against the StandardWebhooks package's signing, and the reverse.</summary>
public sealed class SignatureTests
{
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string Body = """{"specversion":"1.0","id":"e1","source":"https://example.com/ø","type":"order.created"}""";

    [Fact]
    public void Verify_SignedByStandardWebhooksPackage_IsValid()
    {
        var now = DateTimeOffset.UtcNow;
        var signature = new StandardWebhook(Secret).Sign("sub:1", now, Body);

        var result = WebhookSignature.Verify([Secret], "sub:1", now.ToUnixTimeSeconds().ToString(), signature, Encoding.UTF8.GetBytes(Body), now);

        Assert.Equal(WebhookVerificationResult.Valid, result);
    }

    [Fact]
    public void Sign_IsAcceptedByStandardWebhooksPackage()
    {
        var now = DateTimeOffset.UtcNow;
        var headers = new HeaderDictionary
        {
            ["webhook-id"] = "sub:2",
            ["webhook-timestamp"] = now.ToUnixTimeSeconds().ToString(),
            ["webhook-signature"] = WebhookSignature.Sign(Secret, "sub:2", now.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(Body)),
        };

        new StandardWebhook(Secret).Verify(Body, headers); // throws when it does not verify

        headers["webhook-signature"] = WebhookSignature.Sign(Secret, "sub:2", now.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(Body + " "));
        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(Secret).Verify(Body, headers));
    }

    [Fact]
    public void Verify_TamperedBody_WrongSecret_OrOtherId_IsInvalidSignature()
    {
        var now = DateTimeOffset.UtcNow;
        var ts = now.ToUnixTimeSeconds();
        var signature = new StandardWebhook(Secret).Sign("sub:3", now, Body);
        var other = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        Assert.Equal(WebhookVerificationResult.InvalidSignature, WebhookSignature.Verify([Secret], "sub:3", ts.ToString(), signature, Encoding.UTF8.GetBytes(Body.Replace("e1", "e2", StringComparison.Ordinal)), now));
        Assert.Equal(WebhookVerificationResult.InvalidSignature, WebhookSignature.Verify([other], "sub:3", ts.ToString(), signature, Encoding.UTF8.GetBytes(Body), now));
        Assert.Equal(WebhookVerificationResult.InvalidSignature, WebhookSignature.Verify([Secret], "sub:4", ts.ToString(), signature, Encoding.UTF8.GetBytes(Body), now));
        Assert.Equal(WebhookVerificationResult.InvalidSignature, WebhookSignature.Verify([Secret], "sub:3", ts.ToString(), "v1,not-base64!", Encoding.UTF8.GetBytes(Body), now));
    }

    [Fact]
    public void Verify_OneOfSeveralSignaturesOrSecrets_IsValid()
    {
        var now = DateTimeOffset.UtcNow;
        var other = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var header = WebhookSignature.Sign(other, "sub:5", now.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(Body)) + " v2,abc " + new StandardWebhook(Secret).Sign("sub:5", now, Body);

        Assert.Equal(WebhookVerificationResult.Valid, WebhookSignature.Verify([Secret], "sub:5", now.ToUnixTimeSeconds().ToString(), header, Encoding.UTF8.GetBytes(Body), now));
        Assert.Equal(WebhookVerificationResult.Valid, WebhookSignature.Verify(["whsec_" + Convert.ToBase64String(new byte[32]), other], "sub:5", now.ToUnixTimeSeconds().ToString(), header, Encoding.UTF8.GetBytes(Body), now));
    }

    [Fact]
    public void Verify_TimestampOutsideTolerance_IsRejectedEitherWay()
    {
        var now = DateTimeOffset.UtcNow;
        string Sign(DateTimeOffset at) => new StandardWebhook(Secret).Sign("sub:6", at, Body);
        WebhookVerificationResult At(DateTimeOffset at, TimeSpan? tolerance = null) =>
            WebhookSignature.Verify([Secret], "sub:6", at.ToUnixTimeSeconds().ToString(), Sign(at), Encoding.UTF8.GetBytes(Body), now, tolerance);

        Assert.Equal(WebhookVerificationResult.TimestampTooOld, At(now.AddMinutes(-6)));
        Assert.Equal(WebhookVerificationResult.TimestampTooNew, At(now.AddMinutes(6)));
        Assert.Equal(WebhookVerificationResult.Valid, At(now.AddMinutes(-4)));
        Assert.Equal(WebhookVerificationResult.TimestampTooOld, At(now.AddSeconds(-40), TimeSpan.FromSeconds(30)));
        Assert.Equal(WebhookVerificationResult.Valid, At(now.AddMinutes(-9), TimeSpan.FromMinutes(10)));
    }

    [Fact]
    public void Verify_MissingOrMalformedHeaders_AreNamed()
    {
        var now = DateTimeOffset.UtcNow;
        var body = Encoding.UTF8.GetBytes(Body);
        Assert.Equal(WebhookVerificationResult.MissingHeaders, WebhookSignature.Verify([Secret], null, "1", "v1,x", body, now));
        Assert.Equal(WebhookVerificationResult.MissingHeaders, WebhookSignature.Verify([Secret], "a", "", "v1,x", body, now));
        Assert.Equal(WebhookVerificationResult.MissingHeaders, WebhookSignature.Verify([Secret], "a", "1", null, body, now));
        Assert.Equal(WebhookVerificationResult.InvalidTimestamp, WebhookSignature.Verify([Secret], "a", "-5", "v1,x", body, now));
        Assert.Equal(WebhookVerificationResult.InvalidTimestamp, WebhookSignature.Verify([Secret], "a", "12.5", "v1,x", body, now));
        Assert.Equal(WebhookVerificationResult.InvalidSignature, WebhookSignature.Verify([], "a", now.ToUnixTimeSeconds().ToString(), "v1,AAAA", body, now));
    }
}
