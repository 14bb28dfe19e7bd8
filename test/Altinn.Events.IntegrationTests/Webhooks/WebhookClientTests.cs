using System.Net;
using System.Net.Sockets;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Altinn.Events.IntegrationTests.Webhooks;

/// <summary>
/// The webhook client over real sockets: which connections it refuses before they are made (provider host endpoints,
/// ports not allowed), and that what it reports is a category, never the socket's message.
/// </summary>
public sealed class WebhookClientTests
{
    [Fact]
    public async Task Connect_ToAzuresHostEndpoint_IsRefusedBeforeASocketIsOpened()
    {
        var resolver = new TableResolver(new() { ["wireserver.example"] = [IPAddress.Parse("168.63.129.16")] });

        var error = await Assert.ThrowsAsync<BlockedAddressException>(() => ConnectAsync("wireserver.example", 443, resolver, ports: []));

        Assert.Equal(WebhookErrors.Blocked, WebhookErrors.Classify(new HttpRequestException("x", error)));
    }

    [Fact]
    public async Task Connect_OnAPortNotAllowed_IsRefusedWithoutEvenResolvingTheHost()
    {
        var resolver = new TableResolver([]);

        await Assert.ThrowsAsync<BlockedAddressException>(() => ConnectAsync("public.example", 8443, resolver, ports: [443]));

        Assert.Equal(0, resolver.Lookups);
    }

    [Fact]
    public async Task Post_InProduction_ToAnotherPortThan443_IsBlocked_AndSaysSoAsACategory()
    {
        using var host = Host("Production", allowLoopback: false);
        var client = host.Services.GetRequiredService<WebhookClient>();

        var result = await client.PostAsync(new Uri("https://public.example:8443/hook"), "{}", "application/json", WebhookSignature.NewSecret(), "id", TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.False(result.Success);
        Assert.Equal(WebhookErrors.Blocked, result.Error);
    }

    [Fact]
    public async Task Post_ToAClosedPort_SaysConnectionRefused_NotTheSocketsMessage()
    {
        using var host = Host("Development", allowLoopback: true);
        var client = host.Services.GetRequiredService<WebhookClient>();

        var result = await client.PostAsync(new Uri($"http://127.0.0.1:{ClosedPort()}/hook"), "{}", "application/json", WebhookSignature.NewSecret(), "id", TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal(WebhookErrors.Refused, result.Error);
        Assert.Equal(WebhookErrors.Refused, result.Reason);
    }

    [Fact]
    public async Task Post_ToAHostThatDoesNotResolve_SaysDns()
    {
        using var host = Host("Development", allowLoopback: true);
        var client = host.Services.GetRequiredService<WebhookClient>();

        var result = await client.PostAsync(new Uri("https://nowhere.invalid/hook"), "{}", "application/json", WebhookSignature.NewSecret(), "id", TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal(WebhookErrors.Dns, result.Error);
    }

    private static async Task ConnectAsync(string host, int port, IHostAddressResolver resolver, HashSet<int> ports)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"https://{host}:{port}/");
        var context = (SocketsHttpConnectionContext)Activator.CreateInstance(
            typeof(SocketsHttpConnectionContext), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance, null, [new DnsEndPoint(host, port), request], null)!;
        await using var stream = await WebhookClientExtensions.ConnectAsync(context, resolver, allowLoopback: false, ports, NullLogger.Instance, CancellationToken.None);
    }

    private static IHost Host(string environment, bool allowLoopback)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Subscriptions:AllowHttpLoopback"] = allowLoopback ? "true" : "false" });
        builder.Services.AddSubscriptionOptions();
        builder.Services.AddWebhookClient();
        builder.Services.Replace(ServiceDescriptor.Singleton<IHostAddressResolver>(new TableResolver(new() { ["public.example"] = [IPAddress.Parse("93.184.215.14")] })));
        return builder.Build();
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>DNS from a table; IP literals resolve to themselves; names ending .invalid do not resolve.</summary>
    private sealed class TableResolver(Dictionary<string, IPAddress[]> table) : IHostAddressResolver
    {
        public int Lookups { get; private set; }

        public Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            Lookups++;
            if (IPAddress.TryParse(host, out var literal))
            {
                return Task.FromResult<IReadOnlyList<IPAddress>>([literal]);
            }

            return host.EndsWith(".invalid", StringComparison.Ordinal)
                ? throw new SocketException((int)SocketError.HostNotFound)
                : Task.FromResult<IReadOnlyList<IPAddress>>(table.TryGetValue(host, out var addresses) ? addresses : []);
        }
    }
}
