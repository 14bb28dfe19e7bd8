using System.Net;
using System.Security.Cryptography;
using System.Text;
using Altinn.Events.Core.Identity;
using Altinn.Events.Core.Subscriptions;

namespace Altinn.Events.Core.Tests;

public sealed class AddressClassifierTests
{
    [Theory]
    [InlineData("93.184.215.14", AddressClass.Public)]
    [InlineData("8.8.8.8", AddressClass.Public)]
    [InlineData("2606:4700::1111", AddressClass.Public)]
    [InlineData("127.0.0.1", AddressClass.Loopback)]
    [InlineData("127.10.0.1", AddressClass.Loopback)]
    [InlineData("::1", AddressClass.Loopback)]
    [InlineData("10.0.0.1", AddressClass.Private)]
    [InlineData("172.16.0.1", AddressClass.Private)]
    [InlineData("172.31.255.255", AddressClass.Private)]
    [InlineData("172.32.0.1", AddressClass.Public)]
    [InlineData("192.168.1.1", AddressClass.Private)]
    [InlineData("fd00::1", AddressClass.Private)]
    [InlineData("fc00::1", AddressClass.Private)]
    [InlineData("169.254.1.1", AddressClass.LinkLocal)]
    [InlineData("fe80::1", AddressClass.LinkLocal)]
    [InlineData("169.254.169.254", AddressClass.Metadata)]
    [InlineData("fd00:ec2::254", AddressClass.Metadata)]
    [InlineData("100.64.0.1", AddressClass.CarrierGradeNat)]
    [InlineData("100.127.255.255", AddressClass.CarrierGradeNat)]
    [InlineData("100.128.0.1", AddressClass.Public)]
    [InlineData("0.0.0.0", AddressClass.Unspecified)]
    [InlineData("::", AddressClass.Unspecified)]
    [InlineData("224.0.0.1", AddressClass.Multicast)]
    [InlineData("ff02::1", AddressClass.Multicast)]
    [InlineData("255.255.255.255", AddressClass.Reserved)]
    [InlineData("::ffff:10.0.0.1", AddressClass.Private)]
    [InlineData("::ffff:127.0.0.1", AddressClass.Loopback)]
    [InlineData("::ffff:169.254.169.254", AddressClass.Metadata)]
    [InlineData("64:ff9b::a00:1", AddressClass.Reserved)]
    [InlineData("168.63.129.16", AddressClass.Metadata)]
    [InlineData("::ffff:168.63.129.16", AddressClass.Metadata)]
    [InlineData("168.63.129.17", AddressClass.Public)]
    [InlineData("169.254.170.2", AddressClass.LinkLocal)]
    [InlineData("100.100.100.200", AddressClass.CarrierGradeNat)]
    [InlineData("2002:a00:1::1", AddressClass.Reserved)]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", AddressClass.Reserved)]
    [InlineData("100::1", AddressClass.Reserved)]
    [InlineData("2001:4860::8888", AddressClass.Public)]
    public void Classify(string address, AddressClass expected) =>
        Assert.Equal(expected, AddressClassifier.Classify(IPAddress.Parse(address)));

    [Fact]
    public void IsAllowed_LoopbackOnlyWhenAllowed_OthersNever()
    {
        Assert.True(AddressClassifier.IsAllowed(IPAddress.Parse("93.184.215.14"), allowLoopback: false));
        Assert.False(AddressClassifier.IsAllowed(IPAddress.Loopback, allowLoopback: false));
        Assert.True(AddressClassifier.IsAllowed(IPAddress.Loopback, allowLoopback: true));
        Assert.False(AddressClassifier.IsAllowed(IPAddress.Parse("10.0.0.1"), allowLoopback: true));
        Assert.False(AddressClassifier.IsAllowed(IPAddress.Parse("169.254.169.254"), allowLoopback: true));
    }
}

public sealed class WebhookSignatureTests
{
    [Fact]
    public void Sign_MatchesAnIndependentImplementation()
    {
        var key = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();
        var secret = "whsec_" + Convert.ToBase64String(key);
        const string Id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
        const string Body = """{"specversion":"1.0","id":"1","type":"t","source":"https://x"}""";
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

        var signature = WebhookSignature.Sign(secret, Id, timestamp, Body);

        Assert.Equal(IndependentSignature(key, Id, "1700000000", Body), signature);
    }

    [Fact]
    public void Sign_MatchesTheStandardWebhooksReferenceVector()
    {
        // The example of the Standard Webhooks specification and its reference libraries.
        var signature = WebhookSignature.Sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            DateTimeOffset.FromUnixTimeSeconds(1614265330),
            """{"test": 2432232314}""");

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void Headers_AndVerify_RoundTrip_AndATamperedBodyFails()
    {
        var secret = WebhookSignature.NewSecret();
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_123);
        var headers = WebhookSignature.Headers(secret, "id-1", now, "body").ToDictionary(h => h.Key, h => h.Value);

        Assert.Equal("id-1", headers["webhook-id"]);
        Assert.Equal("1700000123", headers["webhook-timestamp"]);
        Assert.True(WebhookSignature.Verify(secret, "id-1", "1700000123", "body", "v1,bogus " + headers["webhook-signature"]));
        Assert.False(WebhookSignature.Verify(secret, "id-1", "1700000123", "body!", headers["webhook-signature"]));
        Assert.False(WebhookSignature.Verify(WebhookSignature.NewSecret(), "id-1", "1700000123", "body", headers["webhook-signature"]));
    }

    [Fact]
    public void NewSecret_IsPrefixedBase64Of32RandomBytes()
    {
        var a = WebhookSignature.NewSecret();
        var b = WebhookSignature.NewSecret();

        Assert.StartsWith("whsec_", a);
        Assert.Equal(32, Convert.FromBase64String(a["whsec_".Length..]).Length);
        Assert.NotEqual(a, b);
        Assert.True(WebhookSignature.IsValidSecret(a));
        Assert.False(WebhookSignature.IsValidSecret("secret"));
    }

    private static string IndependentSignature(byte[] key, string id, string timestamp, string body)
    {
        using var hmac = new HMACSHA256(key);
        var content = Encoding.UTF8.GetBytes(id).Concat("."u8.ToArray()).Concat(Encoding.UTF8.GetBytes(timestamp)).Concat("."u8.ToArray()).Concat(Encoding.UTF8.GetBytes(body)).ToArray();
        return "v1," + Convert.ToBase64String(hmac.ComputeHash(content));
    }
}

public sealed class SubscriptionRulesTests
{
    private static readonly Caller Ttd = new() { Kind = CallerKind.Org, Org = "ttd", Scopes = new HashSet<string> { Scopes.Subscribe } };
    private static readonly Caller User = new() { Kind = CallerKind.User, UserId = 1337, AuthenticationLevel = 3 };

    private static SubscriptionCheck Check(Caller caller, string? resource = null, string? source = null, string? subject = null, string? endPoint = "https://hooks.example/x", bool loopback = false) =>
        SubscriptionRules.Check(new SubscriptionInput(endPoint, source, resource, subject, null, null, null), caller, "altinn.no", loopback);

    [Theory]
    [InlineData("https://hooks.example/x", true)]
    [InlineData("https://hooks.example:443/x", true)]
    [InlineData("https://hooks.example:8443/x", false)]
    [InlineData("https://hooks.example:22/x", false)]
    public void EndPoint_OnlyOnAllowedPorts_WhenPortsAreGiven(string endPoint, bool accepted)
    {
        var check = SubscriptionRules.Check(new SubscriptionInput(endPoint, null, "urn:altinn:resource:ttd-events-test", null, null, null, null), Ttd, "altinn.no", allowHttpLoopback: false, allowedPorts: [443]);
        var anyPort = SubscriptionRules.Check(new SubscriptionInput(endPoint, null, "urn:altinn:resource:ttd-events-test", null, null, null, null), Ttd, "altinn.no", allowHttpLoopback: false);

        Assert.Equal(accepted, check.IsValid);
        Assert.True(anyPort.IsValid);
        if (!accepted)
        {
            Assert.Contains("port 443", Assert.Single(check.Errors["endPoint"]), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("batched", 1, 1024, "options", null)]
    [InlineData("batched", 1000, 4194304, "event", null)]
    [InlineData("batched", null, null, null, null)]
    [InlineData("batched", 0, null, null, "batchMaxEvents")]
    [InlineData("batched", 1001, null, null, "batchMaxEvents")]
    [InlineData("batched", null, 1023, null, "batchMaxBytes")]
    [InlineData("structured", 10, null, null, "batchMaxEvents")]
    [InlineData("binary", null, 2048, null, "batchMaxBytes")]
    [InlineData("carrier", null, null, null, "contentMode")]
    [InlineData(null, null, null, "handshake", "validationMethod")]
    public void ContentModeBatchLimitsAndValidationMethod_AreChecked_NamingTheField(string? mode, int? maxEvents, int? maxBytes, string? method, string? field)
    {
        var check = SubscriptionRules.Check(
            new SubscriptionInput("https://hooks.example/x", null, "urn:altinn:resource:ttd-events-test", null, null, null, null, null, mode, maxEvents, maxBytes, method),
            Ttd,
            "altinn.no",
            allowHttpLoopback: false);

        Assert.Equal(field is null, check.IsValid);
        if (field is null)
        {
            Assert.Equal((mode, maxEvents, maxBytes, method ?? ValidationMethods.Event), (check.Draft!.ContentMode, check.Draft.BatchMaxEvents, check.Draft.BatchMaxBytes, check.Draft.ValidationMethod));
        }
        else
        {
            Assert.Equal([field], check.Errors.Keys);
        }
    }

    [Fact]
    public void AppSourceFilter_DerivesTheAppResource_AndTrimsTheTrailingSlash()
    {
        var check = Check(Ttd, source: "https://ttd.apps.altinn.no/ttd/apps-test/");

        Assert.True(check.IsValid);
        Assert.Equal("urn:altinn:resource:app_ttd_apps-test", check.Draft!.ResourceFilter);
        Assert.Equal("https://ttd.apps.altinn.no/ttd/apps-test", check.Draft.SourceFilter);
        Assert.Equal("read", check.Draft.Action);
    }

    [Fact]
    public void AppSubscription_AnotherServiceOwnerNeedsSubject_OwnerAndPartyActorsDoNot()
    {
        var otherOwner = Ttd with { Org = "nav" };
        Assert.True(Check(Ttd, resource: "urn:altinn:resource:app_ttd_apps-test").IsValid);
        Assert.Contains("subjectFilter", Check(otherOwner, resource: "urn:altinn:resource:app_ttd_apps-test").Errors.Keys);

        // Users, organisations and system users without a subject: every party they may read (decided by the service).
        var draft = Check(User, resource: "urn:altinn:resource:app_ttd_apps-test").Draft;
        Assert.NotNull(draft);
        Assert.False(draft.HasSubject);
        Assert.True(Check(User, resource: "urn:altinn:resource:app_ttd_apps-test", subject: "/party/50001").Draft!.HasSubject);
        Assert.True(SubscriptionRules.MayCoverParties(CallerKind.User));
        Assert.True(SubscriptionRules.MayCoverParties(CallerKind.Organisation));
        Assert.True(SubscriptionRules.MayCoverParties(CallerKind.SystemUser));
        Assert.False(SubscriptionRules.MayCoverParties(CallerKind.Org));
        Assert.False(SubscriptionRules.MayCoverParties(CallerKind.App));
    }

    [Fact]
    public void GenericSubscription_NeedsResource_AndScope()
    {
        Assert.Contains("resourceFilter", Check(Ttd, source: "https://tests.example/x").Errors.Keys);
        var noScope = Check(User, resource: "urn:altinn:resource:ttd-events-test", subject: "/party/50001");
        Assert.False(noScope.IsValid);
        Assert.Contains(Scopes.Subscribe, noScope.Forbidden);
        Assert.Equal("subscribe", Check(Ttd, resource: "urn:altinn:resource:ttd-events-test").Draft!.Action);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000/x", true, true)]
    [InlineData("http://localhost/x", true, true)]
    [InlineData("http://[::1]/x", true, true)]
    [InlineData("http://127.0.0.1:5000/x", false, false)]
    [InlineData("http://hooks.example/x", true, false)]
    [InlineData("https://hooks.example/x", false, true)]
    [InlineData("hooks.example/x", true, false)]
    [InlineData("https://u:p@hooks.example/x", false, false)]
    public void EndPoint_HttpsOrLoopbackHttpWhenAllowed(string endPoint, bool loopback, bool valid) =>
        Assert.Equal(valid, Check(Ttd, resource: "urn:altinn:resource:ttd-events-test", endPoint: endPoint, loopback: loopback).IsValid);
}

public sealed class RetryScheduleTests
{
    [Fact]
    public void Parse_UnitsAndTimeSpans()
    {
        Assert.Equal(
            [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5)],
            RetrySchedule.Parse("10s, 30s,1m, 1h, 500ms, 00:00:05"));
        Assert.Null(RetrySchedule.Parse("10s, soon"));
        Assert.Null(RetrySchedule.Parse("8d"));
        Assert.Empty(RetrySchedule.Parse("")!);
    }

    [Fact]
    public void NextDelay_FollowsTheScheduleThenStops()
    {
        TimeSpan[] schedule = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

        Assert.Equal(TimeSpan.FromSeconds(1), RetrySchedule.NextDelay(schedule, 1));
        Assert.Equal(TimeSpan.FromSeconds(2), RetrySchedule.NextDelay(schedule, 2));
        Assert.Null(RetrySchedule.NextDelay(schedule, 3));
    }
}
