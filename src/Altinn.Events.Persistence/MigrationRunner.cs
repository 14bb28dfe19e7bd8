using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Altinn.Events.Persistence;

/// <summary>
/// Applies the numbered SQL files under <c>Migrations/</c> once each, in order, recording each in
/// <c>schema_migrations</c> with a checksum. A session advisory lock makes concurrent runners (several
/// instances starting at once) take turns; the second finds nothing left to do.
/// A file whose first line is <c>-- migration: no-transaction</c> runs outside a transaction
/// (for <c>CREATE INDEX CONCURRENTLY</c>); every other file runs in one transaction with its record.
/// A leading line <c>-- migration: replaces {checksum}</c> says the file was rewritten after it shipped: a database that
/// applied the earlier version (that checksum) keeps it, and its record takes the new checksum. Such a rewrite must not
/// change what the schema ends up as; a later migration brings old databases in line where data differ.
/// </summary>
public sealed partial class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner> logger)
{
    // "AltnEvMg" as a 64-bit advisory lock key, so it does not collide with other users of the database.
    private const long AdvisoryLockKey = 0x416c746e45764d67;

    private const string CreateHistory = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer     PRIMARY KEY,
            name       text        NOT NULL,
            checksum   text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """;

    private const string NoTransactionMarker = "-- migration: no-transaction";
    private const string ReplacesMarker = "-- migration: replaces ";

    /// <summary>The migrations shipped in this assembly, ordered by version.</summary>
    public static IReadOnlyList<Migration> Shipped { get; } = LoadShipped();

    /// <returns>The names of the migrations this call applied (empty when the database was up to date).</returns>
    public async Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = AdvisoryLockKey }, cancellationToken: cancellationToken));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(CreateHistory, cancellationToken: cancellationToken));
            var applied = (await connection.QueryAsync<(int Version, string Name, string Checksum)>(
                    new CommandDefinition("SELECT version, name, checksum FROM schema_migrations", cancellationToken: cancellationToken)))
                .ToDictionary(r => r.Version);

            var done = new List<string>();
            foreach (var migration in Shipped)
            {
                if (applied.TryGetValue(migration.Version, out var record))
                {
                    if (record.Checksum != migration.Checksum && migration.Replaces.Contains(record.Checksum))
                    {
                        await connection.ExecuteAsync(new CommandDefinition(
                            "UPDATE schema_migrations SET checksum = @Checksum WHERE version = @Version", migration, cancellationToken: cancellationToken));
                        LogRewritten(logger, migration.Name);
                    }
                    else if (record.Checksum != migration.Checksum)
                    {
                        throw new InvalidOperationException(
                            $"Migration {migration.Name} was changed after it was applied (checksum {record.Checksum} in the database, {migration.Checksum} in the file). Add a new migration instead of editing an applied one.");
                    }

                    continue;
                }

                await ApplyOneAsync(connection, migration, cancellationToken);
                LogApplied(logger, migration.Name);
                done.Add(migration.Name);
            }

            return done;
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@key)", new { key = AdvisoryLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    private static async Task ApplyOneAsync(NpgsqlConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        const string Record = "INSERT INTO schema_migrations (version, name, checksum) VALUES (@Version, @Name, @Checksum)";
        if (migration.NoTransaction)
        {
            await connection.ExecuteAsync(new CommandDefinition(migration.Sql, cancellationToken: cancellationToken, commandTimeout: 0));
            await connection.ExecuteAsync(new CommandDefinition(Record, migration, cancellationToken: cancellationToken));
            return;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken, commandTimeout: 0));
        await connection.ExecuteAsync(new CommandDefinition(Record, migration, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    private static List<Migration> LoadShipped()
    {
        var assembly = typeof(MigrationRunner).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Migrations.", StringComparison.Ordinal)))
        {
            var fileName = resource["Migrations.".Length..];
            var match = FileNamePattern().Match(fileName);
            if (!match.Success)
            {
                throw new InvalidOperationException($"Migration file '{fileName}' must be named NNNN_description.sql.");
            }

            var sql = ReadResource(assembly, resource);
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));
            var header = sql.ReplaceLineEndings("\n").Split('\n').TakeWhile(l => l.StartsWith("--", StringComparison.Ordinal)).ToList();
            migrations.Add(new Migration(
                int.Parse(match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture),
                Path.GetFileNameWithoutExtension(fileName),
                sql,
                checksum,
                sql.TrimStart().StartsWith(NoTransactionMarker, StringComparison.Ordinal))
            {
                Replaces = header.Where(l => l.StartsWith(ReplacesMarker, StringComparison.Ordinal)).Select(l => l[ReplacesMarker.Length..].Trim()).ToHashSet(StringComparer.Ordinal),
            });
        }

        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two migrations share version {duplicate.Key}: {string.Join(", ", duplicate.Select(m => m.Name))}.");
        }

        return [.. migrations.OrderBy(m => m.Version)];
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^(?<version>\d{4})_[a-z0-9_]+\.sql$")]
    private static partial Regex FileNamePattern();

    [LoggerMessage(LogEventIds.MigrationApplied, LogLevel.Information, "Applied migration {Migration}")]
    private static partial void LogApplied(ILogger logger, string migration);

    [LoggerMessage(LogEventIds.MigrationRewritten, LogLevel.Information, "Migration {Migration} was rewritten after this database applied it (as its header allows); its record now has the new checksum")]
    private static partial void LogRewritten(ILogger logger, string migration);
}

/// <summary>One numbered SQL file.</summary>
public sealed record Migration(int Version, string Name, string Sql, string Checksum, bool NoTransaction)
{
    /// <summary>Checksums of earlier versions of the file that databases may have applied (<c>-- migration: replaces</c>).</summary>
    public IReadOnlySet<string> Replaces { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}
