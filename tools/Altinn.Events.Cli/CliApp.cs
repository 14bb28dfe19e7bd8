using Altinn.Events.Cli.DevIssuer;
using Altinn.Events.Messaging;
using Altinn.Events.Persistence;
using Altinn.Events.Persistence.Seed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Altinn.Events.Cli;

/// <summary>
/// <c>altinn-events &lt;command&gt; [--Section:Key=value ...]</c>. Settings come from the same keys the hosts read
/// (<c>Database:ConnectionString</c>, <c>Queues:ConnectionString</c>, ...), from the environment or the command line.
/// </summary>
internal static class CliApp
{
    private const string Usage = """
        usage: altinn-events <command> [--Key=value ...]

        commands:
          migrate   apply pending database migrations (needs Database:ConnectionString)
          seed      development and tests only: add the test parties and roles (Seed/dev_seed.sql); never in production
          queues    create the queues and their poison queues (needs Queues:ConnectionString or Queues:ServiceUri)
          dev-issuer [dir]  create the local development issuer's key (if missing) and print where its JWKS is
          generate subscriptions|events --count N [--days D] [--seed S] [--accountant-clients C --accountant-share F]
                    [--type-list-share L --type-prefix-share P --filters-share F]
                    fill the database with synthetic validated subscriptions or app events (binary COPY); events: a
                    share F of them the bench app's, about the accountant's C clients (benchmark S9); subscriptions:
                    shares of the end users' with a typeFilter list (L, default 0.2), a trailing-wildcard prefix such
                    as app.instance.process.* (P, 0.1) and CloudEvents filters (exact, prefix, suffix, all, any, not;
                    F, 0.2), the rest with neither, stored as the API stores them; the same seed gives the same mix
          generate accountants --clients C --all-party N
                    benchmark S9: an accountant with REGNA for C client parties, their DAGLs and auditors, and N
                    subscriptions without a subject filter covering every party of their consumers
        """ + "\n" + TokenCommand.Usage;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        var command = args[0];
        if (command == "token")
        {
            return TokenCommand.Run(args[1..]);
        }

        if (command == "dev-issuer")
        {
            var issuer = DevTokenIssuer.Open(args.Length > 1 ? args[1] : DevTokenIssuer.DefaultDirectory());
            Console.WriteLine($"dev issuer: {DevTokenIssuer.DefaultIssuer}, audience {DevTokenIssuer.DefaultAudience}, keys {issuer.JwksPath}");
            return 0;
        }

        var settingArgs = command == "generate" && args.Length > 1 ? args[2..] : args[1..];
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = settingArgs, DisableDefaults = true });
        builder.Configuration.AddEnvironmentVariables().AddCommandLine(settingArgs);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);

        try
        {
            switch (command)
            {
                case "migrate":
                    builder.Services.AddEventsDatabase();
                    using (var host = builder.Build())
                    {
                        var applied = await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(CancellationToken.None);
                        Console.WriteLine(applied.Count == 0 ? "migrations: up to date" : $"migrations: applied {string.Join(", ", applied)}");
                    }

                    return 0;
                case "seed":
                    builder.Services.AddEventsDatabase();
                    using (var host = builder.Build())
                    {
                        await DevSeed.ApplyAsync(host.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), CancellationToken.None);
                        Console.WriteLine("seed: test parties and roles present (development data)");
                    }

                    return 0;
                case "queues":
                    builder.Services.AddEventQueues();
                    using (var host = builder.Build())
                    {
                        var queues = await host.Services.GetRequiredService<QueueProvisioner>().EnsureQueuesAsync(CancellationToken.None);
                        Console.WriteLine($"queues: {string.Join(", ", queues)}");
                    }

                    return 0;
                case "generate" when args.Length > 1 && args[1] == "accountants":
                    builder.Services.AddEventsDatabase();
                    using (var host = builder.Build())
                    {
                        var config = host.Services.GetRequiredService<IConfiguration>();
                        var watch = System.Diagnostics.Stopwatch.StartNew();
                        var made = await Generators.AccountantGenerator.GenerateAsync(
                            host.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), config.GetValue("clients", 10_000), config.GetValue("all-party", 100_000), CancellationToken.None);
                        Console.WriteLine($"generated the accountant with {config.GetValue("clients", 10_000)} clients and {made} all-party subscriptions in {watch.Elapsed.TotalSeconds:F1} s");
                    }

                    return 0;
                case "generate" when args.Length > 1 && args[1] is "subscriptions" or "events":
                    builder.Services.AddEventsDatabase();
                    using (var host = builder.Build())
                    {
                        var config = host.Services.GetRequiredService<IConfiguration>();
                        var count = config.GetValue("count", 1000);
                        var seed = config.GetValue("seed", 42);
                        var dataSource = host.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
                        var watch = System.Diagnostics.Stopwatch.StartNew();
                        var made = args[1] == "subscriptions"
                            ? await Generators.TestDataGenerator.GenerateSubscriptionsAsync(dataSource, count, seed, CancellationToken.None, new Generators.SubscriptionMix(
                                config.GetValue("type-list-share", Generators.SubscriptionMix.Default.TypeListShare),
                                config.GetValue("type-prefix-share", Generators.SubscriptionMix.Default.TypePrefixShare),
                                config.GetValue("filters-share", Generators.SubscriptionMix.Default.FiltersShare)))
                            : await Generators.TestDataGenerator.GenerateEventsAsync(
                                dataSource, count, config.GetValue("days", 30), seed, CancellationToken.None, config.GetValue("accountant-clients", 0), config.GetValue("accountant-share", 0.0));
                        Console.WriteLine($"generated {made} {args[1]} in {watch.Elapsed.TotalSeconds:F1} s");
                    }

                    return 0;
                default:
                    await Console.Error.WriteLineAsync($"unknown command '{command}'\n\n{Usage}");
                    return 2;
            }
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"{command}: invalid settings: {string.Join("; ", ex.Failures)}");
            return 1;
        }
        catch (ArgumentException ex) when (command == "generate")
        {
            await Console.Error.WriteLineAsync($"{command}: {ex.Message}");
            return 1;
        }
    }
}
