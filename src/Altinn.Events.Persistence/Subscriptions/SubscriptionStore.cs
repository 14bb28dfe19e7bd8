using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Subscriptions;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Subscriptions;

/// <summary>A stored subscription.</summary>
public sealed record Subscription
{
    public required Guid Id { get; init; }

    public required string Consumer { get; init; }

    public required string CreatedBy { get; init; }

    public required DateTimeOffset Created { get; init; }

    public required string EndPoint { get; init; }

    public required string ResourceFilter { get; init; }

    public string? SourceFilter { get; init; }

    public string? SubjectFilter { get; init; }

    public string? AlternativeSubjectFilter { get; init; }

    /// <summary>Exact types and <c>.*</c> prefixes (<see cref="Core.Matching.TypeFilters"/>), distinct and sorted; null for every type.</summary>
    public IReadOnlyList<string>? TypeFilter { get; init; }

    public bool IncludeSubunits { get; init; }

    /// <summary>The CloudEvents Subscriptions API filter expressions as a JSON array (<see cref="Core.Matching.CloudEventFilters"/>), or null.</summary>
    public string? Filters { get; init; }

    /// <summary>False while the consumer paused the subscription: its deliveries wait.</summary>
    public bool Enabled { get; init; } = true;

    public string ContentMode { get; init; } = ContentModes.Structured;

    public int? BatchMaxEvents { get; init; }

    public int? BatchMaxBytes { get; init; }

    public string ValidationMethod { get; init; } = ValidationMethods.Event;

    /// <summary>The WebHook-Allowed-Rate the endpoint granted in the OPTIONS handshake (requests per minute), or null.</summary>
    public int? AllowedRate { get; init; }

    /// <summary>No subject filter, and about every party the consumer holds rights for (found through the reverse index), as they change.</summary>
    public bool AllParties { get; init; }

    public required string Secret { get; init; }

    public required string ValidationStatus { get; init; }

    public int ValidationRun { get; init; }

    public int ValidationAttempts { get; init; }

    public DateTimeOffset? ValidatedAt { get; init; }

    public DateTimeOffset? LastValidationAt { get; init; }

    public string? LastValidationError { get; init; }

    /// <summary>The first failed push since the last successful one; null while pushes succeed.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>When the outbound stage disabled the subscription for failing too long; re-validation clears it.</summary>
    public DateTimeOffset? DisabledAt { get; init; }

    public string? DisabledReason { get; init; }
}

/// <summary>What <see cref="SubscriptionStore.CreateAsync"/> did.</summary>
public enum CreateOutcome
{
    Created,

    /// <summary>The consumer already had an identical subscription; it is returned instead.</summary>
    Existing,

    /// <summary>The consumer holds the maximum number of subscriptions; nothing was stored.</summary>
    LimitReached,
}

/// <summary>Subscriptions in PostgreSQL (Dapper; one connection per call from the shared data source).</summary>
public sealed class SubscriptionStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, consumer, created_by AS CreatedBy, created, end_point AS EndPoint, resource_filter AS ResourceFilter,
        source_filter AS SourceFilter, subject_filter AS SubjectFilter, alternative_subject_filter AS AlternativeSubjectFilter,
        type_filter AS TypeFilter, include_subunits AS IncludeSubunits, all_parties AS AllParties, secret, validation_status AS ValidationStatus,
        validation_run AS ValidationRun, validation_attempts AS ValidationAttempts, validated_at AS ValidatedAt,
        last_validation_at AS LastValidationAt, last_validation_error AS LastValidationError,
        failing_since AS FailingSince, disabled_at AS DisabledAt, disabled_reason AS DisabledReason,
        filters::text AS Filters, enabled, content_mode AS ContentMode, batch_max_events AS BatchMaxEvents,
        batch_max_bytes AS BatchMaxBytes, validation_method AS ValidationMethod, allowed_rate AS AllowedRate
        """;

    // Serializes creations per consumer, so the identical-subscription check and the cap hold under concurrency.
    private const string LockConsumer = "SELECT pg_advisory_xact_lock(hashtextextended(@consumer, 4000))";

    private const string FindIdentical = $"""
        SELECT {Columns} FROM subscriptions
        WHERE consumer = @Consumer AND end_point = @EndPoint AND resource_filter = @ResourceFilter
          AND source_filter IS NOT DISTINCT FROM @SourceFilter AND subject_filter IS NOT DISTINCT FROM @SubjectFilter
          AND type_filter IS NOT DISTINCT FROM @TypeFilter AND include_subunits = @IncludeSubunits
          AND filters IS NOT DISTINCT FROM @Filters::jsonb AND content_mode = @ContentMode
          AND batch_max_events IS NOT DISTINCT FROM @BatchMaxEvents AND batch_max_bytes IS NOT DISTINCT FROM @BatchMaxBytes
          AND validation_method = @ValidationMethod AND enabled = @Enabled
        LIMIT 1
        """;

    private const string CountForConsumer = "SELECT count(*) FROM subscriptions WHERE consumer = @consumer";

    private const string Insert = """
        INSERT INTO subscriptions (id, consumer, created_by, created, end_point, resource_filter, source_filter, subject_filter,
                                   alternative_subject_filter, type_filter, include_subunits, all_parties, secret, validation_due,
                                   filters, enabled, content_mode, batch_max_events, batch_max_bytes, validation_method)
        VALUES (@Id, @Consumer, @CreatedBy, @Created, @EndPoint, @ResourceFilter, @SourceFilter, @SubjectFilter,
                @AlternativeSubjectFilter, @TypeFilter, @IncludeSubunits, @AllParties, @Secret, @Created,
                @Filters::jsonb, @Enabled, @ContentMode, @BatchMaxEvents, @BatchMaxBytes, @ValidationMethod)
        """;

    // A change by the owner (PATCH). A new endpoint or validation method starts a new validation run; pausing keeps
    // the deliveries (the outbound stage marks them paused); resuming makes the paused ones due again in event order,
    // a microsecond apart, so the scheduler, which takes the earliest due first, pushes the oldest first.
    private const string Update = $"""
        UPDATE subscriptions
        SET end_point = @EndPoint, type_filter = @TypeFilter, filters = @Filters::jsonb, enabled = @Enabled, content_mode = @ContentMode,
            batch_max_events = @BatchMaxEvents, batch_max_bytes = @BatchMaxBytes, validation_method = @ValidationMethod,
            validation_status = CASE WHEN @revalidate THEN '{ValidationStatus.Pending}' ELSE validation_status END,
            validation_run = CASE WHEN @revalidate THEN validation_run + 1 ELSE validation_run END,
            validation_attempts = CASE WHEN @revalidate THEN 0 ELSE validation_attempts END,
            validated_at = CASE WHEN @revalidate THEN NULL ELSE validated_at END,
            validation_due = CASE WHEN @revalidate THEN @at ELSE validation_due END,
            allowed_rate = CASE WHEN @revalidate THEN NULL ELSE allowed_rate END
        WHERE id = @Id
        RETURNING {Columns}
        """;

    private const string Resume = $"""
        UPDATE deliveries d
        SET status = CASE WHEN d.attempts = 0 THEN '{DeliveryStatus.Queued}' ELSE '{DeliveryStatus.Waiting}' END, due = @at + o.n * interval '1 microsecond', updated = @at
        FROM (SELECT event_seq, event_registered, row_number() OVER (ORDER BY event_seq) AS n
              FROM deliveries WHERE subscription_id = @id AND status = '{DeliveryStatus.Paused}') o
        WHERE d.subscription_id = @id AND d.event_seq = o.event_seq AND d.event_registered = o.event_registered AND d.status = '{DeliveryStatus.Paused}'
        """;

    private const string SetAllowedRate = "UPDATE subscriptions SET allowed_rate = @rate WHERE id = @id AND validation_run = @run";

    private const string SelectById = $"SELECT {Columns} FROM subscriptions WHERE id = @id";

    private const string SelectByConsumer = $"SELECT {Columns} FROM subscriptions WHERE consumer = @consumer ORDER BY created, id";

    private const string DeleteById = "DELETE FROM subscriptions WHERE id = @id";

    private const string UpdateSecret = "UPDATE subscriptions SET secret = @secret WHERE id = @id";

    private const string Restart = $"""
        UPDATE subscriptions
        SET validation_status = '{ValidationStatus.Pending}', validation_run = validation_run + 1, validation_attempts = 0, validated_at = NULL,
            failing_since = NULL, validation_due = @at
        WHERE id = @id
        RETURNING {Columns}
        """;

    private const string MarkValidated = $"""
        UPDATE subscriptions
        SET validation_status = '{ValidationStatus.Validated}', validated_at = @at, last_validation_at = @at, last_validation_error = NULL,
            validation_attempts = @attempt, failing_since = NULL, disabled_at = NULL, disabled_reason = NULL, validation_due = NULL
        WHERE id = @id AND validation_run = @run
        """;

    private const string MarkFailedAttempt = $"""
        UPDATE subscriptions
        SET validation_status = @status, last_validation_at = @at, last_validation_error = @error, validation_attempts = @attempt,
            validation_due = CASE WHEN @status = '{ValidationStatus.Pending}' THEN @at + @retryIn END
        WHERE id = @id AND validation_run = @run
        """;

    // Pending validations whose attempt was due before the cutoff and not handled; each is due again now, so it is swept
    // again only after another grace, and two sweepers never take the same row.
    private const string SweepDue = $"""
        UPDATE subscriptions s SET validation_due = @now
        FROM (SELECT id FROM subscriptions WHERE validation_status = '{ValidationStatus.Pending}' AND validation_due <= @cutoff
              ORDER BY validation_due LIMIT @max FOR UPDATE SKIP LOCKED) due
        WHERE s.id = due.id
        RETURNING s.id AS SubscriptionId, s.validation_attempts + 1 AS Attempt, s.validation_run AS Run
        """;

    /// <summary>
    /// Stores <paramref name="subscription"/> unless its consumer already has an identical one (same endpoint and
    /// normalized filters: returned instead) or holds <paramref name="maxPerConsumer"/> subscriptions.
    /// </summary>
    public async Task<(CreateOutcome Outcome, Subscription? Subscription)> CreateAsync(Subscription subscription, int maxPerConsumer, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(LockConsumer, new { consumer = subscription.Consumer }, transaction, cancellationToken: cancellationToken));

        var existing = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(FindIdentical, Parameters(subscription), transaction, cancellationToken: cancellationToken));
        if (existing is not null)
        {
            await transaction.CommitAsync(cancellationToken);
            return (CreateOutcome.Existing, existing.ToSubscription());
        }

        var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(CountForConsumer, new { consumer = subscription.Consumer }, transaction, cancellationToken: cancellationToken));
        if (count >= maxPerConsumer)
        {
            await transaction.CommitAsync(cancellationToken);
            return (CreateOutcome.LimitReached, null);
        }

        await connection.ExecuteAsync(new CommandDefinition(Insert, Parameters(subscription), transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return (CreateOutcome.Created, subscription);
    }

    /// <summary>
    /// Stores the owner's change of <paramref name="changed"/> (endpoint, filters, content mode, validation method,
    /// enabled); with <paramref name="revalidate"/> the subscription is pending under a new validation run. When it is
    /// resumed (enabled again), its paused deliveries become due now, oldest event first. Null when it is gone.
    /// </summary>
    public async Task<Subscription?> UpdateAsync(Subscription changed, bool revalidate, bool resume, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var parameters = new DynamicParameters(Parameters(changed));
        parameters.Add("revalidate", revalidate);
        parameters.Add("at", at);
        var updated = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(Update, parameters, transaction, cancellationToken: cancellationToken));
        if (updated is not null && resume)
        {
            await connection.ExecuteAsync(new CommandDefinition(Resume, new { id = changed.Id, at }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return updated?.ToSubscription();
    }

    /// <summary>Records the rate an endpoint granted in the OPTIONS handshake of validation run <paramref name="run"/>.</summary>
    public async Task SetAllowedRateAsync(Guid id, int run, int? rate, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(SetAllowedRate, new { id, run, rate }, cancellationToken: cancellationToken));
    }

    // Arrays as arrays (text[]), not expanded into lists; the filters as text cast to jsonb.
    private static object Parameters(Subscription s) => new
    {
        s.Id,
        s.Consumer,
        s.CreatedBy,
        s.Created,
        s.EndPoint,
        s.ResourceFilter,
        s.SourceFilter,
        s.SubjectFilter,
        s.AlternativeSubjectFilter,
        TypeFilter = s.TypeFilter?.ToArray(),
        s.IncludeSubunits,
        s.AllParties,
        s.Secret,
        s.Filters,
        s.Enabled,
        s.ContentMode,
        s.BatchMaxEvents,
        s.BatchMaxBytes,
        s.ValidationMethod,
    };

    public async Task<Subscription?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(SelectById, new { id }, cancellationToken: cancellationToken)))?.ToSubscription();
    }

    public async Task<IReadOnlyList<Subscription>> ListAsync(string consumer, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. (await connection.QueryAsync<Row>(new CommandDefinition(SelectByConsumer, new { consumer }, cancellationToken: cancellationToken))).Select(r => r.ToSubscription())];
    }

    /// <returns>Whether a row was deleted.</returns>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(DeleteById, new { id }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<bool> SetSecretAsync(Guid id, string secret, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(UpdateSecret, new { id, secret }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Puts the subscription back to pending under a new validation run; null when it does not exist.</summary>
    public async Task<Subscription?> RestartValidationAsync(Guid id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(Restart, new { id, at }, cancellationToken: cancellationToken)))?.ToSubscription();
    }

    /// <summary>Records a successful validation of run <paramref name="run"/>; false when the subscription is gone or restarted since.</summary>
    public async Task<bool> MarkValidatedAsync(Guid id, int run, int attempt, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(MarkValidated, new { id, run, attempt, at }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Records a failed attempt; <paramref name="status"/> stays pending while retries remain, failed when they ran out.</summary>
    /// <summary>
    /// Records a failed validation attempt. While <paramref name="status"/> is pending, the next attempt is due
    /// <paramref name="retryIn"/> later (when its queue message becomes visible).
    /// </summary>
    public async Task<bool> RecordFailedAttemptAsync(Guid id, int run, int attempt, string status, string error, DateTimeOffset at, TimeSpan retryIn, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(MarkFailedAttempt, new { id, run, attempt, status, error, at, retryIn }, cancellationToken: cancellationToken)) > 0;
    }
    /// <summary>
    /// Takes up to <paramref name="max"/> pending validations whose attempt was due more than <paramref name="grace"/> ago
    /// (their queue message was lost) and makes them due now; returns the messages to send again.
    /// </summary>
    public async Task<IReadOnlyList<ValidationMessage>> SweepDueValidationsAsync(DateTimeOffset now, TimeSpan grace, int max, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<ValidationMessage>(new CommandDefinition(SweepDue, new { now, cutoff = now - grace, max }, cancellationToken: cancellationToken))];
    }

    // Npgsql reads timestamptz as a UTC DateTime; Dapper does not convert that to DateTimeOffset by itself.
    private sealed class Row
    {
        public Guid Id { get; set; }

        public string Consumer { get; set; } = string.Empty;

        public string CreatedBy { get; set; } = string.Empty;

        public DateTime Created { get; set; }

        public string EndPoint { get; set; } = string.Empty;

        public string ResourceFilter { get; set; } = string.Empty;

        public string? SourceFilter { get; set; }

        public string? SubjectFilter { get; set; }

        public string? AlternativeSubjectFilter { get; set; }

        public string[]? TypeFilter { get; set; }

        public bool IncludeSubunits { get; set; }

        public string? Filters { get; set; }

        public bool Enabled { get; set; } = true;

        public string ContentMode { get; set; } = ContentModes.Structured;

        public int? BatchMaxEvents { get; set; }

        public int? BatchMaxBytes { get; set; }

        public string ValidationMethod { get; set; } = ValidationMethods.Event;

        public int? AllowedRate { get; set; }

        public bool AllParties { get; set; }

        public string Secret { get; set; } = string.Empty;

        public string ValidationStatus { get; set; } = string.Empty;

        public int ValidationRun { get; set; }

        public int ValidationAttempts { get; set; }

        public DateTime? ValidatedAt { get; set; }

        public DateTime? LastValidationAt { get; set; }

        public string? LastValidationError { get; set; }

        public DateTime? FailingSince { get; set; }

        public DateTime? DisabledAt { get; set; }

        public string? DisabledReason { get; set; }

        public Subscription ToSubscription() => new()
        {
            Id = Id,
            Consumer = Consumer,
            CreatedBy = CreatedBy,
            Created = Utc(Created),
            EndPoint = EndPoint,
            ResourceFilter = ResourceFilter,
            SourceFilter = SourceFilter,
            SubjectFilter = SubjectFilter,
            AlternativeSubjectFilter = AlternativeSubjectFilter,
            TypeFilter = TypeFilter,
            IncludeSubunits = IncludeSubunits,
            AllParties = AllParties,
            Secret = Secret,
            ValidationStatus = ValidationStatus,
            ValidationRun = ValidationRun,
            ValidationAttempts = ValidationAttempts,
            ValidatedAt = ValidatedAt is { } v ? Utc(v) : null,
            LastValidationAt = LastValidationAt is { } l ? Utc(l) : null,
            LastValidationError = LastValidationError,
            FailingSince = FailingSince is { } f ? Utc(f) : null,
            DisabledAt = DisabledAt is { } d ? Utc(d) : null,
            DisabledReason = DisabledReason,
            Filters = Filters,
            Enabled = Enabled,
            ContentMode = ContentMode,
            BatchMaxEvents = BatchMaxEvents,
            BatchMaxBytes = BatchMaxBytes,
            ValidationMethod = ValidationMethod,
            AllowedRate = AllowedRate,
        };

        private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
    }

}
