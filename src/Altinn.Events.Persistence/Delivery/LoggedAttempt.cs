namespace Altinn.Events.Persistence.Delivery;

/// <summary>A row of the delivery log.</summary>
public sealed record LoggedAttempt(
    long Id,
    DateTimeOffset AttemptedAt,
    long EventSeq,
    string EventId,
    int Attempt,
    int? StatusCode,
    int DurationMs,
    string? Error,
    string Outcome,
    bool Probe = false);
