using Altinn.Events.Core.Matching;
using Altinn.Events.Core.Subscriptions;
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
/// subscriptions without a subject filter
/// (other than those covering every party of their consumer: <see cref="FindAllPartiesAsync"/>).
/// </summary>
public sealed class SubscriptionMatchStore(NpgsqlDataSource dataSource)
{
    private const string Sql = $"""
        SELECT s.id, s.consumer, s.resource_filter AS ResourceFilter, s.subject_key AS SubjectKey, s.source_filter AS SourceFilter,
               s.subject_filter AS SubjectFilter, s.type_filter AS TypeFilter, s.include_subunits AS IncludeSubunits,
               s.filters::text AS Filters
        FROM unnest(@resources, @subjects) AS p(resource, subject_key)
        JOIN subscriptions s ON s.resource_filter = p.resource AND s.subject_key = p.subject_key AND s.validation_status = '{ValidationStatus.Validated}'
                            AND NOT s.all_parties
        """;

    // Subscriptions covering every party of their consumer, for (resource, right holder) probes: subscriptions_match_parties.
    private const string AllPartiesSql = $"""
        SELECT s.id, s.consumer, s.resource_filter AS ResourceFilter, s.subject_key AS SubjectKey, s.source_filter AS SourceFilter,
               s.subject_filter AS SubjectFilter, s.type_filter AS TypeFilter, s.include_subunits AS IncludeSubunits,
               s.filters::text AS Filters
        FROM unnest(@resources, @consumers) AS p(resource, consumer)
        JOIN subscriptions s ON s.resource_filter = p.resource AND s.consumer = p.consumer AND s.validation_status = '{ValidationStatus.Validated}'
                            AND s.all_parties
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
        return [.. rows.Select(r => r.ToCandidate())];
    }

    // Dapper reads text[] only into settable properties, not into a record's constructor.
    private sealed class Row
    {
        public MatchCandidate ToCandidate() => new(Id, Consumer, ResourceFilter, SubjectKey, SourceFilter, SubjectFilter, TypeFilter, IncludeSubunits, Filters);

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

    /// <summary>
    /// The validated subscriptions covering every party of their consumer, for many (resource, consumer) probes in one
    /// query: the consumers are the right holders of an event's party (see <c>IAuthorizedParties</c>).
    /// </summary>
    public async Task<IReadOnlyList<MatchCandidate>> FindAllPartiesAsync(IReadOnlyCollection<(string Resource, string Consumer)> probes, CancellationToken cancellationToken)
    {
        if (probes.Count == 0)
        {
            return [];
        }

        var parameters = new { resources = probes.Select(p => p.Resource).ToArray(), consumers = probes.Select(p => p.Consumer).ToArray() };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(AllPartiesSql, parameters, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToCandidate())];
    }
}
