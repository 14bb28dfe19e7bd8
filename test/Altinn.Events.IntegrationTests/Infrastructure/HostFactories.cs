extern alias stages;

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Altinn.Events.IntegrationTests.Infrastructure;

/// <summary>The API host in memory, configured through settings exactly as the real host reads them.</summary>
public sealed class ApiFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Test");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}

/// <summary>The stage host in memory.</summary>
public sealed class StagesFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<stages::Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Test");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
