using Altinn.Events.Core;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Altinn.Events.Persistence;

public static class PersistenceExtensions
{
    /// <summary>The singleton <see cref="NpgsqlDataSource"/>, the migration runner, and a readiness check on the database.</summary>
    public static IServiceCollection AddEventsDatabase(this IServiceCollection services)
    {
        // Register once, or the health check name and the migration service would be added twice.
        if (services.Any(d => d.ServiceType == typeof(MigrationRunner)))
        {
            return services;
        }

        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var builder = new NpgsqlDataSourceBuilder(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString);

            // Every statement here runs thousands of times: prepared once per connection, PostgreSQL plans it once too.
            // Planning a query over ~90 day partitions costs more than running it, so this matters (docs/benchmarks.md).
            if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
            {
                builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
                builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
            }

            // A connection goes back to the pool holding no session state: nothing here sets a session setting, holds a
            // session advisory lock past its use (the migration lock is released in its finally) or listens, except the
            // wake-up connection, which ends its LISTEN before it lets go. So the reset the pool otherwise prepends to a
            // connection's next use (five statements on the server per checkout, two checkouts for a query page) is left out.
            // (Npgsql's builder answers ContainsKey for every keyword it knows, set or not: the string as given tells.)
            var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString };
            if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
            {
                builder.ConnectionStringBuilder.NoResetOnClose = true;
            }

            // PostgreSQL plans a prepared statement afresh for each of its first five executions and then keeps a custom
            // plan whenever its estimate for the generic one looks dearer, which over partitioned tables it always does:
            // the estimate counts every partition, while at execution the generic plan prunes those its parameters rule
            // out before it starts. So statements over events and deliveries were planned at every execution, over every
            // day partition (the all-party page: 3-6 ms a call with custom plans, 1.3 ms generic; the S9 inbound
            // warm-up: 1 398 against 349 µs of PostgreSQL per event; docs/benchmarks.md, "What 30 day partitions cost a query").
            // The statements here are written to be good as generic plans (no plan depends on a constant array or on a
            // value's frequency), so every prepared statement takes its generic plan. A connection string that names
            // plan_cache_mode in its Options keeps its own.
            var options = given.TryGetValue("Options", out var value) ? value?.ToString() ?? string.Empty : string.Empty;
            if (!options.Contains("plan_cache_mode", StringComparison.Ordinal))
            {
                builder.ConnectionStringBuilder.Options = $"{options} -c plan_cache_mode=force_generic_plan".TrimStart();
            }

            builder.UseLoggerFactory(sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>());
            return builder.Build();
        });
        services.TryAddSingleton<MigrationRunner>();
        services.AddHostedService<MigrateOnStartService>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("postgresql", tags: [HealthTags.Ready]);
        return services;
    }
}

internal sealed class MigrateOnStartService(IServiceProvider services, IOptions<DatabaseOptions> options) : IHostedService
{
    // Resolved in StartAsync, after start-up validation has checked the settings.
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStart)
        {
            await services.GetRequiredService<MigrationRunner>().ApplyAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is unreachable.", ex);
        }
    }
}
