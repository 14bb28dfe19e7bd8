using Altinn.Events.Authorization;
using Altinn.Events.Persistence.Register;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Altinn.Events.IntegrationTests.Authorization;

/// <summary>A host with only <c>AddEventsAuthorization</c>, configured through settings as the real hosts are.</summary>
public static class AuthorizationHost
{
    public static IHost Build(IReadOnlyDictionary<string, string?> settings, NpgsqlDataSource? dataSource = null, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        if (dataSource is not null)
        {
            builder.Services.AddSingleton(dataSource);
        }

        builder.AddEventsAuthorization();
        builder.Services.AddLocalRegister();
        configure?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>Started, so start-up validation of the options runs.</summary>
    public static async Task<IHost> StartAsync(IReadOnlyDictionary<string, string?> settings, NpgsqlDataSource? dataSource = null)
    {
        var host = Build(settings, dataSource);
        await host.StartAsync();
        return host;
    }
}
