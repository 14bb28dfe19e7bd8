using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;
using Dapper;
using Xunit.Abstractions;

namespace Altinn.Events.IntegrationTests.Errors;

/// <summary>
/// Every endpoint and every parameter against hostile values and random mutations of valid requests, a few thousand
/// requests against the real API host, PostgreSQL and Azurite. Nothing may answer 5xx; every 4xx is a ProblemDetails
/// (application/problem+json with its status); and a rejected request changes nothing stored (a digest of the events,
/// keys, subscriptions, endpoints and deliveries is the same before and after it). Seeded and reproducible: the seed is
/// printed, and <c>EVENTS_FUZZ_SEED</c> runs the same requests again (<c>EVENTS_FUZZ_REQUESTS</c> changes how many).
/// </summary>
public sealed class FuzzTests(SubscriptionsApiFixture api, ITestOutputHelper output) : IClassFixture<SubscriptionsApiFixture>
{
    private const string Base = "/events/api/v1";

    private const string DigestSql = """
        SELECT md5(concat_ws('|',
            (SELECT string_agg(seq || ':' || id || ':' || md5(cloudevent), ',' ORDER BY seq) FROM events),
            (SELECT string_agg(key::text || ':' || coalesce(seq, 0), ',' ORDER BY key) FROM event_keys),
            (SELECT string_agg(md5(s::text), ',' ORDER BY id) FROM subscriptions s),
            (SELECT string_agg(md5(e::text), ',' ORDER BY id) FROM endpoints e),
            (SELECT string_agg(md5(d::text), ',' ORDER BY subscription_id, event_seq) FROM deliveries d)))
        """;

    [Fact]
    public async Task HostileAndMutatedRequests_NeverAnswer5xx_Every4xxIsAProblem_AndRejectedOnesChangeNothing()
    {
        var seed = Environment.GetEnvironmentVariable("EVENTS_FUZZ_SEED") is { Length: > 0 } given
            ? int.Parse(given, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var count = Environment.GetEnvironmentVariable("EVENTS_FUZZ_REQUESTS") is { Length: > 0 } n ? int.Parse(n, CultureInfo.InvariantCulture) : 3000;
        var announce = $"fuzz seed: {seed} ({count} requests; set EVENTS_FUZZ_SEED={seed} to run the same requests again)";
        output.WriteLine(announce);
        Console.WriteLine(announce);

        var targets = await SeedAsync();
        var fuzzer = new Fuzzer(new Random(seed), targets);
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var accepted = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var digest = await DigestAsync();
        var clock = Stopwatch.StartNew();
        using var client = api.Factory.CreateClient();

        for (var i = 0; i < count && failures.Count < 20; i++)
        {
            var request = fuzzer.Next();
            var (status, contentType, body, error) = await SendAsync(client, request);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            accepted[request.Kind] = accepted.GetValueOrDefault(request.Kind) + (status is >= 200 and < 300 ? 1 : 0);
            var problem = error ?? Check(status, contentType, body);
            var after = await DigestAsync();
            if (problem is null && status is >= 400 and < 500 && after != digest)
            {
                problem = "a rejected request changed what is stored";
            }

            if (problem is not null)
            {
                failures.Add($"#{i} {request.Describe()}\n    -> {status} {contentType}: {Truncate(body, 400)}\n    {problem}");
            }

            digest = after;
        }

        var summary = $"{count} requests in {clock.Elapsed.TotalSeconds:F1} s; statuses: {string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))}"
            + $"\naccepted per template: {string.Join(", ", accepted.Select(a => $"{a.Key}: {a.Value}"))}";
        output.WriteLine(summary);
        Console.WriteLine("fuzz: " + summary);
        Assert.True(failures.Count == 0, $"{announce}\n{summary}\n{string.Join("\n", failures)}");

        // The corpus reached the endpoints: most requests were refused, and valid ones still went through.
        Assert.True(statuses.Where(s => s.Key is >= 200 and < 300).Sum(s => s.Value) > count / 20, summary);
        Assert.True(statuses.GetValueOrDefault(400) > count / 4, summary);
        if (count >= 1000)
        {
            // The newer inputs were reached with valid requests too, not only refused at the door.
            foreach (var kind in new[] { "POST binary /events/api/v1/events", "POST binary /events/api/v1/app", "PATCH /events/api/v1/subscriptions/{}", "GET /events/api/v1/subscriptions/{}/deliveries/hourly",
                "GET /events/api/v1/analytics/app/{}/{}", "GET /events/api/v1/analytics/resources/{}" })
            {
                Assert.True(accepted.GetValueOrDefault(kind) > 0, $"no accepted {kind}\n{summary}");
            }
        }
    }

    private static string? Check(int status, string? contentType, string body)
    {
        if (status >= 500)
        {
            return $"answered {status}";
        }

        if (status is < 400 or >= 500)
        {
            return null;
        }

        if (contentType != "application/problem+json")
        {
            return "a 4xx that is not application/problem+json";
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("status", out var s) && s.TryGetInt32(out var value) && value == status
                && document.RootElement.TryGetProperty("title", out _)
                    ? null
                    : "a ProblemDetails without its status and title";
        }
        catch (JsonException)
        {
            return "a problem+json body that is not JSON";
        }
    }

    private static async Task<(int Status, string? ContentType, string Body, string? Error)> SendAsync(HttpClient client, FuzzRequest request)
    {
        using var message = new HttpRequestMessage(request.Method, new Uri("http://localhost" + request.PathAndQuery));
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
        }

        if (request.Token is not null)
        {
            message.Headers.TryAddWithoutValidation("Authorization", request.Token);
        }

        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        try
        {
            using var response = await client.SendAsync(message);
            var body = await response.Content.ReadAsStringAsync();
            return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, null);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("path contains null characters", StringComparison.Ordinal))
        {
            // A NUL in the path is refused by the server before any middleware (Kestrel answers a bare 400 for the
            // request line; the test server throws it): nothing reached the application.
            return (0, null, string.Empty, null);
        }
        catch (Exception ex)
        {
            return (0, null, string.Empty, $"the request failed: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Events, app events and subscriptions to aim at, one of them validated so redelivery runs.</summary>
    private async Task<FuzzTargets> SeedAsync()
    {
        var org = TestTokens.ForOrg("ttd", "altinn:events.publish altinn:events.subscribe");
        using var client = api.Client(org);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var e = EventBuilder.Generic();
            (await client.PostAsync(Base + "/events", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json"))).EnsureSuccessStatusCode();
            ids.Add(e.Id);
        }

        using var app = api.Client(TestTokens.ForApp("ttd", "apps-test"));
        for (var i = 0; i < 3; i++)
        {
            var created = await app.PostAsync(Base + "/app", new StringContent(EventBuilder.App().Json(), Encoding.UTF8, "application/cloudevents+json"));
            ids.Add(JsonSerializer.Deserialize<string>(await created.EnsureSuccessStatusCode().Content.ReadAsStringAsync())!);
        }

        var subscriptions = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var created = await client.PostAsync(Base + "/subscriptions", new StringContent(
                $$"""{"endPoint":"https://hooks.example.com/fuzz/{{i}}","resourceFilter":"{{EventBuilder.TestResource}}"}""", Encoding.UTF8, "application/json"));
            subscriptions.Add((await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        }

        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE subscriptions SET validation_status = 'validated', validated_at = now() WHERE id = @id", new { id = Guid.Parse(subscriptions[0]) });

        return new FuzzTargets(
            ids,
            subscriptions,
            new Dictionary<string, string>
            {
                ["org"] = "Bearer " + org,
                ["app"] = "Bearer " + TestTokens.ForApp("ttd", "apps-test"),
                ["user"] = "Bearer " + TestTokens.ForUser(1337, 50001),
                ["organisation"] = "Bearer " + TestTokens.ForOrganisation("991825827"),
                ["operator"] = "Bearer " + TestTokens.ForOperator(),
            },
            [api.Queues.Inbound, api.Queues.Outbound, api.Queues.Validation]);
    }

    private async Task<string> DigestAsync()
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<string>(DigestSql) ?? string.Empty;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}

internal sealed record FuzzTargets(IReadOnlyList<string> EventIds, IReadOnlyList<string> Subscriptions, IReadOnlyDictionary<string, string> Tokens, IReadOnlyList<string> Queues);

/// <summary>One request: the path and query as sent (already percent-encoded), the raw body, and headers.</summary>
internal sealed record FuzzRequest(HttpMethod Method, string PathAndQuery, string? Token, string? ContentType, byte[]? Body, List<(string Name, string Value)> Headers)
{
    /// <summary>Which template it came from (for the per-template summary).</summary>
    public string Kind { get; init; } = string.Empty;

    public string Describe()
    {
        var body = Body is null ? string.Empty : " body " + Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 300)).Replace("\n", "\\n", StringComparison.Ordinal);
        var headers = string.Concat(Headers.Select(h => $" [{h.Name}: {h.Value[..Math.Min(h.Value.Length, 80)]}]"));
        return $"{Method} {PathAndQuery[..Math.Min(PathAndQuery.Length, 300)]} ({ContentType}){headers}{body}";
    }
}

/// <summary>Builds the requests: a valid request of a random endpoint, then one hostile change to it.</summary>
internal sealed class Fuzzer(Random random, FuzzTargets targets)
{
    private const string Base = "/events/api/v1";

    /// <summary>Hostile text: control characters, broken and odd Unicode, lengths around and far over the limits, injection.</summary>
    private static readonly string[] Strings =
    [
        string.Empty, " ", "\0", "a\0b", "\u0001", "\t", "\r\n", "\u007f", "\u0085", "\u2028", "\ufeff", "\uffff",
        new([(char)0xD800]), new(['x', (char)0xDC00]), new([(char)0xDE00, (char)0xD83D]), "\U0001F600",
        new('x', 1024), new('x', 1025), new('x', 5000), new('é', 600), new('☃', 400), new('x', 70_000),
        "-1", "0", "2147483648", "99999999999999999999", "1e309", "NaN", "-0", "0x10", "1.5",
        "%", "%00", "%zz", "%%", "%2500", "\\", "\\\\", "%_", "_", "' OR 1=1 --", "\"; DROP TABLE events; --",
        "../../etc/passwd", "<script>alert(1)</script>", "${jndi:ldap://x/a}", "{{7*7}}",
        "e\u0301", "\u00e9", "\ufb01", "\u212a", "\uff21\uff22", "\u0130", "\u202e", "\u200b",
        "x\r\nX-Injected: 1", "x\nSet-Cookie: a=b",
        "https://a.example/x", "urn:altinn:resource:ttd-events-test", "urn:altinn:resource:app_ttd_apps-test", "/party/50001",
        "/person/01017012345", "/organisation/991825827", "2026-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00",
        "2026-13-45T99:99:99Z", "00000000-0000-0000-0000-000000000000", "ttd", "apps-test",
    ];

    /// <summary>Hostile JSON values: wrong types, huge and odd numbers, deep nesting, broken escapes.</summary>
    private static readonly string[] JsonValues =
    [
        "null", "true", "false", "0", "-1", "1e999", "-1e-999", "123456789012345678901234567890", "0.1e-7", "[]", "{}",
        "[\"a\",\"b\"]", "{\"a\":1}", new string('[', 100) + new string(']', 100), Nested(63), Nested(65),
        "\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud83d\\ude00\"", "\"\\\"\"", "\"" + new string('x', 70_000) + "\"",
    ];

    /// <summary>Bytes spliced into bodies and query strings by mutation.</summary>
    private static readonly string[] Splices = ["\0", "\"", "\\", "{", "}", "[", "]", ",", ":", "\\u", "\\ud800", "%", "&", "=", "%00", "%ff", "\u00ff", "\n"];

    private static readonly string[] ContentTypes =
    [
        "application/cloudevents+json", "application/cloudevents-batch+json", "application/json", "application/json; charset=utf-16",
        "text/plain", string.Empty, "*/*", "application/json; charset=\"", "application/cloudevents+json; x=\0", "multipart/form-data; boundary=x",
    ];

    public FuzzRequest Next()
    {
        var (kind, template) = Choose();
        return Fuzz(template) with { Kind = kind };
    }

    private (string Kind, Template Template) Choose()
    {
        var template = random.Next(23) switch
        {
            0 or 1 => PublishEvent(),
            2 => PublishBatch(),
            3 or 4 => PublishApp(),
            5 => QueryEvents(),
            6 => QueryApp(),
            7 => QueryParty(),
            8 or 9 => CreateSubscription(),
            10 => SubscriptionAction(),
            11 => Deliveries(),
            12 => Redeliver(),
            13 => Operator(),
            14 => new Template(HttpMethod.Get, Base + "/whoami", [], null, Token("org"), null, []),
            15 or 16 => PublishBinary(),
            17 or 18 => PatchSubscription(),
            19 => SubscriberTools(),
            20 => AppAnalytics(),
            21 => ResourceAnalytics(),
            _ => QueryEvents(),
        };

        var kind = template.Headers.Any(h => h.Name == "ce-specversion") ? "binary " + template.Path : template.Path;
        return ($"{template.Method} {System.Text.RegularExpressions.Regex.Replace(kind, "\\{[^}]*\\}", "{}")}", template);
    }

    private FuzzRequest Fuzz(Template template)
    {
        return random.Next(100) switch
        {
            < 8 => template.Build(),
            < 40 => template.WithHostileText(random, Pick(Strings)).Build(),
            < 52 => template.WithHostileJson(random, Pick(JsonValues)).Build(),
            < 57 => template.Duplicated(random).Build(),
            < 62 => template.Without(random).Build(),
            < 66 => template.WithExtra(random, Pick(Strings)).Build(),
            < 84 => template.Mutated(random, Pick(Splices)),
            < 90 => template.WithHostileHeader(random, Pick(Strings)).Build(),
            < 94 => (template with { Token = Pick(HostileTokens()) }).Build(),
            _ => (template with { ContentType = Pick(ContentTypes) }).Build(),
        };
    }

    private string[] HostileTokens() =>
    [
        null!, "Bearer", "Bearer ", "Bearer a.b.c", "Bearer a.b", "Bearer " + new string('x', 10_000), "Basic dXNlcjpwYXNz",
        targets.Tokens["org"] + "\0", targets.Tokens["org"][..^3], "bearer " + targets.Tokens["org"][7..], targets.Tokens["operator"], targets.Tokens["user"],
    ];

    private Template PublishEvent() => new(HttpMethod.Post, Base + "/events", [], EventFields(), Token("org"), "application/cloudevents+json", []);

    private Template PublishBatch()
    {
        var entries = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => Object(EventFields())).ToList();
        return new Template(HttpMethod.Post, Base + "/events", [], [("", "[" + string.Join(',', entries) + "]")], Token("org"), "application/cloudevents-batch+json", [], RawBody: true);
    }

    /// <summary>
    /// Binary content mode: the attributes in percent-encoded <c>ce-</c> headers, the data as the body (to
    /// <c>/events</c> or, as an app event, to <c>/app</c>).
    /// </summary>
    private Template PublishBinary()
    {
        List<(string, string)> headers = random.Next(3) == 0
            ?
            [
                ("ce-specversion", "1.0"),
                ("ce-source", $"https://ttd.apps.altinn.no/ttd/apps-test/instances/50001/{NewGuid()}"),
                ("ce-type", "app.instance.created"),
                ("ce-subject", "/party/50001"),
                ("ce-time", "2026-01-01T12:00:00Z"),
            ]
            :
            [
                ("ce-specversion", "1.0"),
                ("ce-id", "fuzz-binary-" + NewGuid()),
                ("ce-source", "https://fuzz.example/orders/" + random.Next(10)),
                ("ce-type", "fuzz.created"),
                ("ce-resource", "urn:altinn:resource:ttd-events-test"),
                ("ce-subject", "/party/50001"),
                ("ce-alternativesubject", "/organisation/991825827"),
                ("ce-time", "2026-01-01T12:00:00Z"),
                ("ce-myextension", "caf%C3%A9 %22quoted%22"),
            ];
        var app = headers.Count == 5;
        var (contentType, body) = random.Next(3) switch
        {
            0 => ("text/plain; charset=utf-8", "plain text data"),
            1 => ("application/octet-stream", "\u0001\u0002binary"),
            _ => ("application/json", "{\"orderId\":4711}"),
        };
        return new Template(HttpMethod.Post, Base + (app ? "/app" : "/events"), [], [("", body)], Token(app ? "app" : "org"), contentType, headers, RawBody: true);
    }

    private Template PatchSubscription()
    {
        var fields = new List<(string, string)>
        {
            ("endPoint", Json("https://hooks.example.com/fuzz/patched/" + random.Next(1000))),
            ("typeFilter", random.Next(2) == 0 ? "[\"fuzz.created\",\"fuzz.process.*\"]" : "null"),
            ("filters", "[{\"prefix\":{\"source\":\"https://fuzz.example/\"}},{\"not\":{\"exact\":{\"type\":\"fuzz.deleted\"}}}]"),
            ("contentMode", Json(Pick(["binary", "structured", "batched"]))),
            ("batchMaxEvents", random.Next(1, 1001).ToString(CultureInfo.InvariantCulture)),
            ("batchMaxBytes", random.Next(1024, 4_194_305).ToString(CultureInfo.InvariantCulture)),
            ("enabled", random.Next(2) == 0 ? "true" : "false"),
            ("validationMethod", Json(random.Next(2) == 0 ? "event" : "options")),
        };

        // A patch names a few members; the validated subscription is patched only without a new endpoint (so it stays
        // validated and redelivery keeps something to aim at).
        var chosen = fields.Where(_ => random.Next(3) == 0).DefaultIfEmpty(fields[random.Next(fields.Count)]).ToList();
        var id = random.Next(2) == 0 ? targets.Subscriptions[^1] : PickSubscription();
        if (id == targets.Subscriptions[0])
        {
            chosen = [.. chosen.Where(f => f.Item1 is not ("endPoint" or "validationMethod"))];
        }

        return new Template(HttpMethod.Patch, Base + "/subscriptions/{" + id + "}", [], chosen, Token("org"), random.Next(4) == 0 ? "application/merge-patch+json" : "application/json", []);
    }

    private Template SubscriberTools() => random.Next(2) == 0
        ? new Template(HttpMethod.Post, Base + "/subscriptions/{" + PickSubscription() + "}/test-event", [], null, Token("org"), null, [])
        : new Template(HttpMethod.Get, Base + "/subscriptions/{" + PickSubscription() + "}/deliveries/hourly", [("hours", (1 + random.Next(168)).ToString(CultureInfo.InvariantCulture))], null, Token("org"), null, []);

    private Template PublishApp() => new(HttpMethod.Post, Base + "/app", [],
    [
        ("specversion", Json("1.0")),
        ("source", Json($"https://ttd.apps.altinn.no/ttd/apps-test/instances/50001/{NewGuid()}")),
        ("type", Json("app.instance.created")),
        ("subject", Json("/party/50001")),
        ("time", Json("2026-01-01T12:00:00Z")),
        ("data", "{\"n\":1}"),
    ], Token("app"), "application/cloudevents+json", []);

    private List<(string, string)> EventFields() =>
    [
        ("specversion", Json("1.0")),
        ("id", Json("fuzz-" + NewGuid())),
        ("source", Json("https://fuzz.example/orders/" + random.Next(10))),
        ("type", Json("fuzz.created")),
        ("resource", Json("urn:altinn:resource:ttd-events-test")),
        ("subject", Json("/party/50001")),
        ("alternativesubject", Json("/organisation/991825827")),
        ("time", Json("2026-01-01T12:00:00Z")),
        ("resourceinstance", Json("r1")),
        ("datacontenttype", Json("application/json")),
        ("myextension", Json("kept")),
        ("data", "{\"orderId\":4711,\"lines\":[1,2,3]}"),
    ];

    private Template QueryEvents() => new(HttpMethod.Get, Base + "/events",
    [
        ("resource", "urn:altinn:resource:ttd-events-test"), ("after", PickEventId()), ("subject", "/party/50001"), ("type", "fuzz.created"),
        ("size", "10"), ("to", "2099-01-01T00:00:00Z"),
    ], null, Token("org"), null, random.Next(4) == 0 ? [("Altinn-AlternativeSubject", "/organisation/991825827")] : []);

    private Template QueryApp() => new(HttpMethod.Get, Base + "/app/{ttd}/{apps-test}",
    [
        ("after", PickEventId()), ("from", "2020-01-01T00:00:00Z"), ("to", "2099-01-01T00:00:00+02:00"), ("party", "50001"), ("type", "app.instance.created"), ("size", "5"),
    ], null, Token("org"), null, random.Next(4) == 0 ? [("person", "01017012345")] : []);

    private Template QueryParty() => new(HttpMethod.Get, Base + "/app/party",
    [
        ("after", PickEventId()), ("party", "50001"), ("type", "app.instance.created"), ("source", "https://ttd.apps.altinn.no/ttd/%"), ("size", "20"),
    ], null, Token("user"), null, random.Next(4) == 0 ? [("person", "01017012345")] : []);

    private Template AppAnalytics() => new(HttpMethod.Get, Base + "/analytics/app/{ttd}/{apps-test}", AnalyticsRange(), null, Token("org"), null, []);

    private Template ResourceAnalytics() => new(HttpMethod.Get, Base + "/analytics/resources/{urn:altinn:resource:ttd-events-test}", AnalyticsRange(), null, Token("org"), null, []);

    /// <summary>A valid range of the analytics endpoints: a day by the hour, or a week by the day.</summary>
    private List<(string Name, string Value)> AnalyticsRange() => random.Next(2) == 0
        ? [("from", "2026-01-01T00:00:00Z"), ("to", "2026-01-02T00:00:00+01:00"), ("interval", "hour")]
        : [("from", "2026-01-01T00:00:00Z"), ("to", "2026-01-08T00:00:00Z"), ("interval", "day")];

    private Template CreateSubscription() => new(HttpMethod.Post, Base + "/subscriptions", [],
    [
        ("endPoint", Json("https://hooks.example.com/fuzz/" + random.Next(1000))),
        ("resourceFilter", Json("urn:altinn:resource:ttd-events-test")),
        ("sourceFilter", Json("https://fuzz.example/orders")),
        ("subjectFilter", Json("/party/50001")),
        ("typeFilter", random.Next(2) == 0 ? Json("fuzz.created") : "[\"fuzz.created\",\"fuzz.process.*\"]"),
        ("includeSubunits", "false"),
        ("filters", "[{\"any\":[{\"exact\":{\"type\":\"fuzz.created\"}},{\"suffix\":{\"source\":\"/7\"}}]}]"),
        .. random.Next(3) == 0
            ? [("contentMode", Json("batched")), ("batchMaxEvents", "50"), ("batchMaxBytes", "65536")]
            : new List<(string, string)> { ("contentMode", Json(random.Next(2) == 0 ? "binary" : "structured")) },
        ("validationMethod", Json(random.Next(3) == 0 ? "options" : "event")),
        ("enabled", random.Next(4) == 0 ? "false" : "true"),
    ], Token("org"), "application/json", []);

    private Template SubscriptionAction()
    {
        var (method, suffix) = random.Next(5) switch
        {
            0 => (HttpMethod.Get, string.Empty),
            1 => (HttpMethod.Delete, string.Empty),
            2 => (HttpMethod.Post, "/secret"),
            3 => (HttpMethod.Post, "/validate"),
            _ => (HttpMethod.Get, "/../subscriptions"),
        };

        // The validated subscription is never deleted, so redelivery keeps something to aim at.
        var id = method == HttpMethod.Delete ? targets.Subscriptions[1] : PickSubscription();
        return new Template(method, Base + "/subscriptions/{" + id + "}" + suffix, [], null, Token("org"), null, []);
    }

    private Template Deliveries() => new(HttpMethod.Get, Base + "/subscriptions/{" + PickSubscription() + "}/deliveries",
        [("size", "10"), ("cursor", "638000000000000000_1")], null, Token("org"), null, []);

    private Template Redeliver() => new(HttpMethod.Post, Base + "/subscriptions/{" + targets.Subscriptions[random.Next(2) == 0 ? 0 : targets.Subscriptions.Count - 1] + "}/redeliver", [],
        random.Next(2) == 0 ? [("after", Json(PickEventId()))] : [("from", Json("2020-01-01T00:00:00Z"))], Token("org"), "application/json", []);

    private Template Operator()
    {
        var queue = Pick(targets.Queues.ToArray());
        return random.Next(5) switch
        {
            0 => new Template(HttpMethod.Get, "/operator/queues", [], null, Token("operator"), null, []),
            1 => new Template(HttpMethod.Get, "/operator/queues/{" + queue + "}/messages", [("max", "5")], null, Token("operator"), null, []),
            2 => new Template(HttpMethod.Post, "/operator/queues/{" + queue + "-poison}/redrive", [], [("messageIds", "[\"m1\"]")], Token("operator"), "application/json", []),
            3 => new Template(HttpMethod.Post, "/operator/queues/{" + queue + "-poison}/discard", [], [("max", "1")], Token("operator"), "application/json", []),
            _ => new Template(HttpMethod.Get, "/operator/backlog", [("olderThan", "PT1M")], null, Token("operator"), null, []),
        };
    }

    private string Token(string who) => targets.Tokens[who];

    private string PickEventId() => random.Next(5) == 0 ? "0" : Pick(targets.EventIds.ToArray());

    private string PickSubscription() => random.Next(6) == 0 ? NewGuid() : Pick(targets.Subscriptions.ToArray());

    private string NewGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes).ToString();
    }

    private T Pick<T>(T[] items) => items[random.Next(items.Length)];

    private static string Nested(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    /// <summary>A JSON string literal with every non-ASCII or control character escaped (so lone surrogates survive as \uXXXX).</summary>
    public static string Json(string value)
    {
        var json = new StringBuilder("\"");
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                json.Append('\\').Append(c);
            }
            else if (c < 0x20 || c > 0x7e)
            {
                json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                json.Append(c);
            }
        }

        return json.Append('"').ToString();
    }

    public static string Object(IEnumerable<(string Name, string Value)> fields) =>
        "{" + string.Join(',', fields.Select(f => Json(f.Name) + ":" + f.Value)) + "}";

    /// <summary>
    /// Percent-encodes as a browser would (UTF-8), with unpaired surrogates encoded as the three bytes of their code unit,
    /// which is not valid UTF-8.
    /// </summary>
    public static string Percent(string value)
    {
        var encoded = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~')
            {
                encoded.Append(c);
                continue;
            }

            byte[] bytes;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                bytes = Encoding.UTF8.GetBytes(value.Substring(i++, 2));
            }
            else if (char.IsSurrogate(c))
            {
                bytes = [(byte)(0xE0 | (c >> 12)), (byte)(0x80 | ((c >> 6) & 0x3F)), (byte)(0x80 | (c & 0x3F))];
            }
            else
            {
                bytes = Encoding.UTF8.GetBytes(c.ToString());
            }

            foreach (var b in bytes)
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }
}

/// <summary>
/// A valid request before fuzzing: path segments in braces (hostile text can replace them), query parameters, JSON
/// body fields as raw JSON values (or the raw body), token, content type and headers.
/// </summary>
internal sealed record Template(
    HttpMethod Method,
    string Path,
    List<(string Name, string Value)> Query,
    List<(string Name, string Json)>? Fields,
    string? Token,
    string? ContentType,
    List<(string Name, string Value)> Headers,
    bool RawBody = false)
{
    public FuzzRequest Build()
    {
        var path = string.Concat(Segments().Select(s => s.IsParameter ? Fuzzer.Percent(s.Text) : s.Text));
        var query = Query.Count == 0 ? string.Empty : "?" + string.Join('&', Query.Select(q => Fuzzer.Percent(q.Name) + "=" + Fuzzer.Percent(q.Value)));
        return new FuzzRequest(Method, path + query, Token, ContentType, Body(), Headers);
    }

    /// <summary>A query parameter, a body field or a path segment set to <paramref name="text"/>.</summary>
    public Template WithHostileText(Random random, string text)
    {
        // Binary mode: a ce- header, as sent (percent-encoded as the HTTP binding says) or raw.
        var ceHeaders = Headers.Select((h, i) => (h.Name, i)).Where(h => h.Name.StartsWith("ce-", StringComparison.Ordinal)).ToList();
        if (ceHeaders.Count > 0 && random.Next(2) == 0)
        {
            var (name, index) = ceHeaders[random.Next(ceHeaders.Count)];
            return this with { Headers = Replace(Headers, index, (name, random.Next(2) == 0 ? Fuzzer.Percent(text) : text)) };
        }

        var places = Query.Count + (Fields?.Count ?? 0) + Segments().Count(s => s.IsParameter);
        var at = random.Next(Math.Max(places, 1));
        if (at < Query.Count)
        {
            return this with { Query = Replace(Query, at, (Query[at].Name, text)) };
        }

        at -= Query.Count;
        if (Fields is not null && at < Fields.Count)
        {
            return RawBody ? this with { Fields = [("", Fuzzer.Json(text))] } : this with { Fields = Replace(Fields, at, (Fields[at].Name, Fuzzer.Json(text))) };
        }

        var parameters = Segments().Where(s => s.IsParameter).ToList();
        if (parameters.Count == 0)
        {
            return this with { Query = [.. Query, ("q", text)] };
        }

        var segment = parameters[Math.Min(at - (Fields?.Count ?? 0), parameters.Count - 1)];
        return this with { Path = Path.Replace("{" + segment.Text + "}", "{" + text.Replace("{", "(", StringComparison.Ordinal).Replace("}", ")", StringComparison.Ordinal) + "}", StringComparison.Ordinal) };
    }

    /// <summary>A body field set to a hostile JSON value (wrong type, odd number, deep nesting); for GETs, hostile text instead.</summary>
    public Template WithHostileJson(Random random, string json)
    {
        if (Fields is null || Fields.Count == 0)
        {
            return WithHostileText(random, json);
        }

        if (RawBody)
        {
            return this with { Fields = [("", random.Next(2) == 0 ? json : "[" + json + "]")] };
        }

        var at = random.Next(Fields.Count);
        return this with { Fields = Replace(Fields, at, (Fields[at].Name, json)) };
    }

    /// <summary>A body member or query parameter given twice (the second value differing).</summary>
    public Template Duplicated(Random random)
    {
        if (Headers.Count > 0 && RawBody && random.Next(2) == 0)
        {
            var header = Headers[random.Next(Headers.Count)];
            return this with { Headers = [.. Headers, (random.Next(2) == 0 ? header.Name : header.Name.ToUpperInvariant(), header.Value + "2")] };
        }

        if (Fields is { Count: > 0 } && !RawBody)
        {
            var field = Fields[random.Next(Fields.Count)];
            return this with { Fields = [.. Fields, (random.Next(2) == 0 ? field.Name : field.Name.ToUpperInvariant(), field.Json)] };
        }

        if (Query.Count == 0)
        {
            return this;
        }

        var parameter = Query[random.Next(Query.Count)];
        return this with { Query = [.. Query, (parameter.Name, parameter.Value + "2")] };
    }

    public Template Without(Random random)
    {
        if (Headers.Any(h => h.Name.StartsWith("ce-", StringComparison.Ordinal)) && random.Next(2) == 0)
        {
            return this with { Headers = [.. Headers.Where((_, i) => i != random.Next(Headers.Count))] };
        }

        if (Fields is { Count: > 0 } && !RawBody && (Query.Count == 0 || random.Next(2) == 0))
        {
            return this with { Fields = [.. Fields.Where((_, i) => i != random.Next(Fields.Count))] };
        }

        return Query.Count == 0 ? this with { Fields = null } : this with { Query = [.. Query.Where((_, i) => i != random.Next(Query.Count))] };
    }

    public Template WithExtra(Random random, string text) =>
        Fields is not null && !RawBody
            ? this with { Fields = [.. Fields, (random.Next(2) == 0 ? "x" + random.Next(100) : text, Fuzzer.Json(text))] }
            : this with { Query = [.. Query, (random.Next(2) == 0 ? "x" : text, text)] };

    public Template WithHostileHeader(Random random, string text) => random.Next(4) switch
    {
        0 => this with { Headers = [.. Headers, ("Altinn-AlternativeSubject", text)] },
        1 => this with { Headers = [.. Headers, ("person", text)] },
        2 => this with { ContentType = text },
        _ => this with { Token = "Bearer " + text },
    };

    /// <summary>The built request with its body or query string changed at random: bytes spliced in, cut out, repeated or flipped.</summary>
    public FuzzRequest Mutated(Random random, string splice)
    {
        var request = Build();
        if (request.Body is { Length: > 0 } body && random.Next(4) != 0)
        {
            return request with { Body = Mutate(random, body, Encoding.UTF8.GetBytes(splice)) };
        }

        var url = Encoding.Latin1.GetBytes(request.PathAndQuery);
        // The query string, or the path after its leading '/' (so it stays a path of this host).
        var start = request.PathAndQuery.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? q : 1;
        var mutated = Mutate(random, url[start..], Encoding.UTF8.GetBytes(Fuzzer.Percent(splice)));
        var text = Encoding.Latin1.GetString(url[..start]) + Encoding.Latin1.GetString(mutated);

        // Keep it a URL the client can send: percent-encode what is not printable ASCII.
        var printable = new StringBuilder();
        foreach (var c in text)
        {
            printable.Append(c is > ' ' and < (char)0x7f && c != '#' ? c.ToString() : Fuzzer.Percent(c.ToString()));
        }

        return request with { PathAndQuery = printable.ToString() };
    }

    private static byte[] Mutate(Random random, byte[] data, byte[] splice)
    {
        var list = data.ToList();
        var at = list.Count == 0 ? 0 : random.Next(list.Count);
        switch (random.Next(5))
        {
            case 0:
                list.InsertRange(at, splice);
                break;
            case 1:
                list.RemoveRange(at, Math.Min(1 + random.Next(8), list.Count - at));
                break;
            case 2:
                list.InsertRange(at, list.Skip(at).Take(1 + random.Next(32)).ToList());
                break;
            case 3 when list.Count > 0:
                list[at] ^= (byte)(1 << random.Next(8));
                break;
            default:
                list.RemoveRange(at, list.Count - at);
                break;
        }

        return [.. list];
    }

    private byte[]? Body() => Fields switch
    {
        null => null,
        _ when RawBody => Encoding.UTF8.GetBytes(string.Concat(Fields.Select(f => f.Json))),
        _ => Encoding.UTF8.GetBytes(Fuzzer.Object(Fields)),
    };

    private IEnumerable<(string Text, bool IsParameter)> Segments()
    {
        var rest = Path;
        while (rest.Length > 0)
        {
            var open = rest.IndexOf('{', StringComparison.Ordinal);
            if (open < 0)
            {
                yield return (rest, false);
                yield break;
            }

            var close = rest.IndexOf('}', open);
            yield return (rest[..open], false);
            yield return (rest[(open + 1)..close], true);
            rest = rest[(close + 1)..];
        }
    }

    private static List<T> Replace<T>(List<T> items, int at, T item)
    {
        var copy = new List<T>(items);
        copy[at] = item;
        return copy;
    }
}
