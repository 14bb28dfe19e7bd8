extern alias stages;

using System.Net;
using System.Net.Sockets;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Altinn.Events.IntegrationTests.Subscriptions;

/// <summary>Answers DNS from a table, so tests never depend on real DNS; names not in the table are public.</summary>
public sealed class FakeResolver : IHostAddressResolver
{
    public static readonly IPAddress PublicAddress = IPAddress.Parse("93.184.215.14");

    public static readonly Dictionary<string, IPAddress[]> Table = new(StringComparer.OrdinalIgnoreCase)
    {
        ["localhost"] = [IPAddress.Loopback],
        ["loopback.example"] = [IPAddress.Loopback],
        ["internal.example"] = [IPAddress.Parse("10.1.2.3")],
        ["metadata.example"] = [IPAddress.Parse("169.254.169.254")],
        ["linklocal.example"] = [IPAddress.Parse("169.254.10.10")],
        ["cgnat.example"] = [IPAddress.Parse("100.64.0.7")],
        ["ula.example"] = [IPAddress.Parse("fd12:3456::1")],
        ["mixed.example"] = [PublicAddress, IPAddress.Parse("192.168.1.1")],
        ["wireserver.example"] = [IPAddress.Parse("168.63.129.16")],
    };

    public Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return Task.FromResult<IReadOnlyList<IPAddress>>([literal]);
        }

        if (host.EndsWith(".invalid", StringComparison.OrdinalIgnoreCase))
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        return Task.FromResult<IReadOnlyList<IPAddress>>(Table.TryGetValue(host, out var addresses) ? addresses : [PublicAddress]);
    }
}

/// <summary>The API as in development and tests: http to loopback allowed; DNS from <see cref="FakeResolver"/>.</summary>
public class SubscriptionsApiFixture : ApiFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Subscriptions:AllowHttpLoopback"] = "true";
        settings["Subscriptions:PublicBaseUrl"] = "https://events.test.example";
    }

    protected override void ConfigureServices(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<IHostAddressResolver, FakeResolver>());
}

/// <summary>Production-like settings: https only on port 443, no loopback, a small cap of 3 subscriptions per consumer.</summary>
public sealed class StrictSubscriptionsApiFixture : SubscriptionsApiFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Subscriptions:AllowHttpLoopback"] = "false";
        settings["Subscriptions:MaxPerConsumer"] = "3";
        settings["Subscriptions:AllowedPorts:0"] = "443";
    }
}

/// <summary>
/// The API and the stage host (validation stage only) on the same database and queues, with a compressed retry
/// schedule (three retries, one second apart) so validation runs through in seconds.
/// </summary>
public sealed class ValidationPipelineFixture : SubscriptionsApiFixture
{
    private StagesFactory? _stages;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var settings = new Dictionary<string, string?>(Settings)
        {
            ["Stages:Run"] = "validation",
            ["Validation:RetrySchedule"] = "1s, 1s, 1s",
            ["Validation:Timeout"] = "00:00:02",
            ["Stages:validation:MinPollingInterval"] = "00:00:00.050",
            ["Stages:validation:MaxPollingInterval"] = "00:00:00.200",
        };
        _stages = new StagesFactory(settings);
        _ = _stages.Server;
    }

    public override async Task DisposeAsync()
    {
        if (_stages is not null)
        {
            await _stages.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
