using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Altinn.Events.IntegrationTests.Foundation;

/// <summary>The data source every host builds from <c>Database:ConnectionString</c>.</summary>
public sealed class DataSourceTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Theory]
    [InlineData("", true)]
    [InlineData(";No Reset On Close=false", false)]
    [InlineData(";NoResetOnClose=false", false)]
    public async Task ThePoolSkipsItsSessionReset_UnlessTheConnectionStringAsksForIt(string extra, bool skipped)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Database:ConnectionString"] = database.ConnectionString + extra + ";Maximum Pool Size=1" })
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddEventsDatabase();
        await using var provider = services.BuildServiceProvider();
        var dataSource = provider.GetRequiredService<NpgsqlDataSource>();

        // One physical connection: what a use leaves in the session is there at the next checkout only without the reset.
        await using (var first = await dataSource.OpenConnectionAsync())
        {
            await first.ExecuteAsync("SET application_name = 'left-behind'");
        }

        await using var second = await dataSource.OpenConnectionAsync();
        var name = await second.ExecuteScalarAsync<string>("SHOW application_name");
        Assert.Equal(skipped, name == "left-behind");
    }
}
