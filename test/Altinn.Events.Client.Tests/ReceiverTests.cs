using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Altinn.Events.Client.AspNetCore;
using Altinn.Events.Client.Webhooks;
using CloudNative.CloudEvents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using StandardWebhooks;

namespace Altinn.Events.Client.Tests;

/// <summary>MapEventsWebhook in an in-memory host, fed pushes signed by the StandardWebhooks package in every content mode.</summary>
public sealed class ReceiverTests : IAsyncLifetime
{
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly ConcurrentQueue<(CloudEvent Event, EventsWebhookContext Context)> _handled = new();
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public Func<CloudEvent, Task> OnEvent { get; set; } = _ => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddEventsWebhooks(o => o.Secrets.Add(Secret));
        _app = builder.Build();
        _app.MapEventsWebhook("/hook", async (e, context, ct) =>
        {
            await OnEvent(e);
            _handled.Enqueue((e, context));
        });
        await _app.StartAsync();
        _client = _app.GetTestClient();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static string Event(string id, string type = "order.created") =>
        JsonSerializer.Serialize(new { specversion = "1.0", id, source = "https://example.com/o", type, resource = "urn:altinn:resource:r1", data = new { n = 1 } });

    private HttpRequestMessage Push(HttpContent content, string webhookId, DateTimeOffset? at = null, string? secret = null)
    {
        var when = at ?? _time.GetUtcNow();
        var body = content.ReadAsStringAsync().GetAwaiter().GetResult();
        var request = new HttpRequestMessage(HttpMethod.Post, "/hook") { Content = content };
        request.Headers.Add("webhook-id", webhookId);
        request.Headers.Add("webhook-timestamp", when.ToUnixTimeSeconds().ToString());
        request.Headers.Add("webhook-signature", new StandardWebhook(secret ?? Secret).Sign(webhookId, when, body));
        return request;
    }

    private static StringContent Structured(string json) => new(json, Encoding.UTF8, AltinnCloudEvents.StructuredContentType);

    [Fact]
    public async Task StructuredPush_IsHandedOnce_EvenWhenPushedAgain()
    {
        var first = await _client.SendAsync(Push(Structured(Event("e1")), "s:1"));
        var again = await _client.SendAsync(Push(Structured(Event("e1")), "s:1"));
        var redelivery = await _client.SendAsync(Push(Structured(Event("e1")), "s:1:1"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, redelivery.StatusCode);
        Assert.Equal(["s:1", "s:1:1"], _handled.Select(h => h.Context.WebhookId));
        var (e, context) = _handled.First();
        Assert.Equal("e1", e.Id);
        Assert.Equal("urn:altinn:resource:r1", e.GetResource());
        Assert.Equal(1, ((JsonElement)e.Data!).GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task BinaryPush_IsParsedFromCeHeaders()
    {
        var cloudEvent = new CloudEvent(AltinnCloudEvents.Extensions)
        {
            Id = "b1 ø",
            Source = new Uri("https://example.com/o"),
            Type = "order.created",
            DataContentType = "application/json",
            Data = JsonSerializer.SerializeToElement(new { n = 2 }),
        }.SetResource("urn:altinn:resource:r1");

        var response = await _client.SendAsync(Push(CloudEventsHttpBinding.Binary(cloudEvent), "s:2"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (e, _) = Assert.Single(_handled);
        Assert.Equal("b1 ø", e.Id);
        Assert.Equal("urn:altinn:resource:r1", e.GetResource());
        Assert.Equal(2, ((JsonElement)e.Data!).GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task BatchedPush_HandsEachEvent_InOrder_Once()
    {
        var batch = new StringContent($"[{Event("a")},{Event("b")},{Event("c")}]", Encoding.UTF8, AltinnCloudEvents.BatchContentType);
        var response = await _client.SendAsync(Push(batch, "s:3"));
        var again = await _client.SendAsync(Push(new StringContent($"[{Event("a")},{Event("b")},{Event("c")}]", Encoding.UTF8, AltinnCloudEvents.BatchContentType), "s:3"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(["a", "b", "c"], _handled.Select(h => h.Event.Id));
        Assert.Equal([0, 1, 2], _handled.Select(h => h.Context.Index));
        Assert.All(_handled, h => Assert.Equal(3, h.Context.Count));
    }

    [Fact]
    public async Task ValidationEvent_IsAnswered200_WithoutReachingTheHandler()
    {
        var response = await _client.SendAsync(Push(Structured(Event(Guid.NewGuid().ToString(), AltinnCloudEvents.ValidationEventType)), Guid.NewGuid().ToString()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(_handled);
    }

    [Fact]
    public async Task TamperedBody_WrongSecret_StaleOrFutureTimestamp_Are401_AndNotHanded()
    {
        var tampered = Push(Structured(Event("t1")), "s:4");
        tampered.Content = Structured(Event("t2"));
        var other = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        var answers = new[]
        {
            await _client.SendAsync(tampered),
            await _client.SendAsync(Push(Structured(Event("t3")), "s:5", secret: other)),
            await _client.SendAsync(Push(Structured(Event("t4")), "s:6", at: _time.GetUtcNow().AddMinutes(-6))),
            await _client.SendAsync(Push(Structured(Event("t5")), "s:7", at: _time.GetUtcNow().AddMinutes(6))),
            await _client.PostAsync("/hook", Structured(Event("t6"))),
        };

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Unauthorized, a.StatusCode));
        Assert.Empty(_handled);

        // A rejected push leaves nothing behind: the real one with the same id is still handed over.
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(Push(Structured(Event("t1")), "s:4"))).StatusCode);
        Assert.Single(_handled);
    }

    [Fact]
    public async Task SecretsAddedAtRunTime_AreAccepted()
    {
        var rotated = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.SendAsync(Push(Structured(Event("r1")), "s:8", secret: rotated))).StatusCode);

        _app.Services.GetRequiredService<WebhookSecrets>().Add(rotated);

        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(Push(Structured(Event("r1")), "s:8", secret: rotated))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(Push(Structured(Event("r2")), "s:9"))).StatusCode);
    }

    [Fact]
    public async Task HandlerFailure_Is500_AndTheRetryIsHandedOver()
    {
        var fail = true;
        OnEvent = _ => fail ? throw new InvalidOperationException("database down") : Task.CompletedTask;

        var first = await _client.SendAsync(Push(Structured(Event("f1")), "s:10"));
        fail = false;
        var retry = await _client.SendAsync(Push(Structured(Event("f1")), "s:10"));

        Assert.Equal(HttpStatusCode.InternalServerError, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("s:10", Assert.Single(_handled).Context.WebhookId);
    }

    [Fact]
    public async Task NotACloudEvent_Is415_AndBrokenCloudEvent_Is400()
    {
        var json = await _client.SendAsync(Push(new StringContent("{\"text\":\"x\"}", Encoding.UTF8, "application/json"), "s:11"));
        var broken = await _client.SendAsync(Push(Structured("{\"specversion\":\"1.0\",\"id\":\"x\"}"), "s:12"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Empty(_handled);
    }

    [Fact]
    public async Task BodyOverTheLimit_Is413()
    {
        var options = _app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EventsWebhookOptions>>().Value;
        var big = new ByteArrayContent(new byte[options.MaxBodyBytes + 1]);
        big.Headers.ContentType = new MediaTypeHeaderValue(AltinnCloudEvents.StructuredContentType);

        var response = await _client.SendAsync(Push(big, "s:13"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task OptionsHandshake_IsAnsweredWithConsentForTheOriginThatAsks_AndNoLimit()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/hook");
        request.Headers.Add("WebHook-Request-Origin", "platform.altinn.no");

        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("platform.altinn.no", Assert.Single(response.Headers.GetValues("WebHook-Allowed-Origin")));
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("WebHook-Allowed-Rate")));
        Assert.Empty(_handled);
    }

    [Fact]
    public async Task OptionsWithoutAnOrigin_Is400()
    {
        var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/hook"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(response.Headers.Contains("WebHook-Allowed-Origin"));
    }

    [Fact]
    public async Task OptionsHandshake_WithAllowedOriginsAndARate_RefusesOthers_AndGrantsTheRate()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddEventsWebhooks(o =>
        {
            o.AllowedOrigins.Add("platform.altinn.no");
            o.AllowedRate = 90;
        });
        await using var app = builder.Build();
        app.MapEventsWebhook("/hook", (_, _, _) => Task.CompletedTask);
        await app.StartAsync();
        using var client = app.GetTestClient();

        using var allowed = new HttpRequestMessage(HttpMethod.Options, "/hook");
        allowed.Headers.Add("WebHook-Request-Origin", "PLATFORM.altinn.no");
        using var other = new HttpRequestMessage(HttpMethod.Options, "/hook");
        other.Headers.Add("WebHook-Request-Origin", "evil.example");
        var yes = await client.SendAsync(allowed);
        var no = await client.SendAsync(other);

        Assert.Equal(HttpStatusCode.OK, yes.StatusCode);
        Assert.Equal("90", Assert.Single(yes.Headers.GetValues("WebHook-Allowed-Rate")));
        Assert.Equal(HttpStatusCode.Forbidden, no.StatusCode);
        Assert.False(no.Headers.Contains("WebHook-Allowed-Origin"));
    }
}
