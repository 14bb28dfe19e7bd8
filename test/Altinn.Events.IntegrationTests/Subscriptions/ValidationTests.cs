using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;

namespace Altinn.Events.IntegrationTests.Subscriptions;

/// <summary>
/// Validation end to end: the API enqueues, the stage host's validation function calls a real webhook receiver,
/// retries on the compressed schedule (1 s, 1 s, 1 s) and records the outcome the API then shows.
/// </summary>
public sealed class ValidationTests(ValidationPipelineFixture api) : IClassFixture<ValidationPipelineFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task EndpointAnswering200_BecomesValidated_AndTheRequestIsASignedValidationEvent()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var endpoint = _receiver.Endpoint(200);
        var (id, secret) = await CreateAsync(client, endpoint);

        var validated = await WaitForStatusAsync(client, id, "validated");

        Assert.True(validated.GetProperty("validated").GetBoolean());
        Assert.False(validated.TryGetProperty("lastValidationError", out _));
        Assert.True(validated.TryGetProperty("lastValidationAt", out _));
        var request = Assert.Single(_receiver.RequestsTo(endpoint));
        Assert.Equal("POST", request.Method);
        Assert.StartsWith("application/cloudevents+json", request.Headers["Content-Type"]);
        var cloudEvent = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("1.0", cloudEvent.GetProperty("specversion").GetString());
        Assert.Equal("platform.events.validatesubscription", cloudEvent.GetProperty("type").GetString());
        Assert.Equal($"https://events.test.example/events/api/v1/subscriptions/{id}", cloudEvent.GetProperty("source").GetString());
        Assert.True(Guid.TryParse(cloudEvent.GetProperty("id").GetString(), out _));

        // Standard Webhooks, checked with an implementation of our own rather than the service's.
        var messageId = request.Headers["webhook-id"];
        var timestamp = request.Headers["webhook-timestamp"];
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        using var hmac = new HMACSHA256(key);
        var expected = "v1," + Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(messageId + "." + timestamp + "." + request.Body)));
        Assert.Equal(expected, request.Headers["webhook-signature"]);
        Assert.InRange(long.Parse(timestamp), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
    }

    [Fact]
    public async Task EndpointAnswering500ThreeTimesThen200_EndsValidated()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var endpoint = _receiver.Endpoint(500, 500, 500, 200);
        var (id, _) = await CreateAsync(client, endpoint);

        var validated = await WaitForStatusAsync(client, id, "validated");

        Assert.Equal(4, _receiver.RequestsTo(endpoint).Count);
        Assert.Equal(4, validated.GetProperty("validationAttempts").GetInt32());
        Assert.Empty(await api.Queues.PoisonedAsync(api.Queues.Validation));
    }

    [Fact]
    public async Task EndpointThatNeverAnswers_EndsFailedWithTheReason_AndValidateAfterItComesBack_Validates()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var port = FreePort();
        var path = "/hooks/" + Guid.NewGuid().ToString("N");
        var (id, _) = await CreateAsync(client, $"http://127.0.0.1:{port}{path}");

        var failed = await WaitForStatusAsync(client, id, "failed");

        Assert.False(failed.GetProperty("validated").GetBoolean());
        Assert.Equal(4, failed.GetProperty("validationAttempts").GetInt32());
        // A category, not the socket's message (which would describe the network behind the endpoint).
        Assert.Equal("connection refused", failed.GetProperty("lastValidationError").GetString());

        await using var revived = await WebhookReceiver.StartAsync(port);
        var restart = await client.PostAsync($"{SubscriptionBuilder.Path}/{id}/validate", null);
        Assert.Equal(HttpStatusCode.Accepted, restart.StatusCode);

        var validated = await WaitForStatusAsync(client, id, "validated");
        Assert.True(validated.GetProperty("validated").GetBoolean());
        Assert.Single(revived.Received);
    }

    [Fact]
    public async Task DeletedSubscription_ItsPendingRetryCompletesWithoutCallingTheEndpoint()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var endpoint = _receiver.Endpoint(500);
        var (id, _) = await CreateAsync(client, endpoint);
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.RequestsTo(endpoint).Count >= 1), Patience));

        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"{SubscriptionBuilder.Path}/{id}")).StatusCode);
        var calls = _receiver.RequestsTo(endpoint).Count;
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.InRange(_receiver.RequestsTo(endpoint).Count, calls, calls + 1); // at most an attempt already under way
        Assert.Empty(await api.Queues.PoisonedAsync(api.Queues.Validation));
    }

    private static async Task<(Guid Id, string Secret)> CreateAsync(HttpClient client, string endpoint)
    {
        var response = await client.PostAsync(SubscriptionBuilder.Path, SubscriptionBuilder.Generic().With("endPoint", endpoint).Content());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        return (body.GetProperty("id").GetGuid(), body.GetProperty("secret").GetString()!);
    }

    private static async Task<JsonElement> WaitForStatusAsync(HttpClient client, Guid id, string status)
    {
        JsonElement last = default;
        var reached = await TestQueues.EventuallyAsync(
            async () =>
            {
                last = await client.GetFromJsonAsync<JsonElement>($"{SubscriptionBuilder.Path}/{id}");
                return last.GetProperty("validationStatus").GetString() == status;
            },
            Patience);
        Assert.True(reached, $"Subscription {id} did not become {status}: {last}");
        return last;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
