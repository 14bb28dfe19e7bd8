using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.IntegrationTests.Infrastructure;
using System.Text.RegularExpressions;
using Dapper;

namespace Altinn.Events.IntegrationTests.Foundation;

/// <summary>
/// The domain values SQL uses come from Core: these tests hold the schema's check constraints and the SQL form of the
/// app-resource rule to the C# ones, so the two cannot drift apart.
/// </summary>
public sealed class DomainValuesInSqlTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Theory]
    [InlineData("urn:altinn:resource:app_ttd_apps-test")]
    [InlineData("urn:altinn:resource:app_ttd_app_with_underscores")]
    [InlineData("urn:altinn:resource:app_ttd_")]
    [InlineData("urn:altinn:resource:app__ttd_app")]
    [InlineData("urn:altinn:resource:app_ttd")]
    [InlineData("urn:altinn:resource:app_")]
    [InlineData("urn:altinn:resource:app_t_a")]
    [InlineData("urn:altinn:resource:app_ttd__")]
    [InlineData("urn:altinn:resource:apps_ttd_app")]
    [InlineData("urn:altinn:resource:skd-mva")]
    [InlineData("urn:altinn:resource:APP_ttd_app")]
    public async Task AppResourcePatterns_AgreeWithTheCSharpRule(string resource)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();

        var inSql = await connection.ExecuteScalarAsync<bool>(
            "SELECT @resource LIKE @like AND @resource NOT LIKE @notLike",
            new { resource, like = AppResources.SqlLike, notLike = AppResources.SqlNotLike });

        Assert.Equal(AppResources.IsApp(resource), inSql);
        Assert.Equal(inSql ? Actions.Read : Actions.Subscribe, Actions.For(resource));
    }

    [Theory]
    [InlineData("deliveries", "status")]
    [InlineData("delivery_attempts", "outcome")]
    [InlineData("endpoints", "state")]
    [InlineData("subscriptions", "validation_status")]
    public async Task CheckConstraints_AllowExactlyTheValuesCoreNames(string table, string column)
    {
        var expected = (table, column) switch
        {
            ("deliveries", _) => DeliveryStatus.All,
            ("delivery_attempts", _) => AttemptOutcome.All,
            ("subscriptions", _) => ValidationStatus.All,
            _ => EndpointState.All,
        };
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var definitions = await connection.QueryAsync<string>(
            "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = @table AND c.contype = 'c'",
            new { table });

        // CHECK ((status = ANY (ARRAY['queued'::text, ...]))): the one constraint on the column, its values.
        var constraint = Assert.Single(definitions, d => d.Contains($"({column} = ANY", StringComparison.Ordinal));
        var allowed = Regex.Matches(constraint, @"'([^']*)'::text").Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);

        Assert.Equal(expected.Order(StringComparer.Ordinal), allowed);
    }
}
