using Altinn.Events.Core.Matching;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Matching;

/// <summary>A validated subscription found for a (resource, subject) probe, with what exact matching and delivery need.</summary>
public sealed record MatchCandidate(Guid Id, string Consumer, string ResourceFilter, string SubjectKey, string? SourceFilter, string? SubjectFilter, string[]? TypeFilter, bool IncludeSubunits, string? Filters)
{
    public SubscriptionFilter Filter => new(ResourceFilter, SourceFilter, SubjectFilter, TypeFilter, IncludeSubunits, CloudEventFilters.FromStored(Filters));
}

/// <summary>
/// Finds the validated subscriptions for many (resource, subject) probes in one query: each probe is an equality lookup
/// on the <c>subscriptions_match</c> index, whatever the number of subscriptions. Probes with subject <c>""</c> find
/// subscriptions without a subject filter.
/// </summary>
public sealed class SubscriptionMatchStore(NpgsqlDataSource dataSource)
{
    private const string Sql = """
        SELECT s.id, s.consumer, s.resource_filter AS ResourceFilter, s.subject_key AS SubjectKey, s.source_filter AS SourceFilter,
               s.subject_filter AS SubjectFilter, s.type_filter AS TypeFilter, s.include_subunits AS IncludeSubunits,
               s.filters::text AS Filters
        FROM unnest(@resources, @subjects) AS p(resource, subject_key)
        JOIN subscriptions s ON s.resource_filter = p.resource AND s.subject_key = p.subject_key AND s.validation_status = 'validated'
        """;

    public async Task<IReadOnlyList<MatchCandidate>> FindAsync(IReadOnlyCollection<(string Resource, string SubjectKey)> probes, CancellationToken cancellationToken)
    {
        if (probes.Count == 0)
        {
            return [];
        }

        var parameters = new { resources = probes.Select(p => p.Resource).ToArray(), subjects = probes.Select(p => p.SubjectKey).ToArray() };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(Sql, parameters, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new MatchCandidate(r.Id, r.Consumer, r.ResourceFilter, r.SubjectKey, r.SourceFilter, r.SubjectFilter, r.TypeFilter, r.IncludeSubunits, r.Filters))];
    }

    // Dapper reads text[] only into settable properties, not into a record's constructor.
    private sealed class Row
    {
        public Guid Id { get; set; }

        public string Consumer { get; set; } = string.Empty;

        public string ResourceFilter { get; set; } = string.Empty;

        public string SubjectKey { get; set; } = string.Empty;

        public string? SourceFilter { get; set; }

        public string? SubjectFilter { get; set; }

        public string[]? TypeFilter { get; set; }

        public bool IncludeSubunits { get; set; }

        public string? Filters { get; set; }
    }
}
