namespace Altinn.Events.Api.Operations;

/// <summary>A queue the service uses, or the poison queue of one.</summary>
/// <param name="Name">The queue's name.</param>
/// <param name="Kind">main or poison.</param>
/// <param name="MainQueue">For a poison queue, the queue its messages came from (and are re-driven to).</param>
/// <param name="Exists">False when the queue has not been created.</param>
/// <param name="ApproximateMessageCount">The service's approximate count (includes invisible messages); null when the queue does not exist.</param>
public sealed record OperatorQueue(string Name, string Kind, string? MainQueue, bool Exists, long? ApproximateMessageCount);

/// <summary>Every queue of the service and its poison queue.</summary>
public sealed record OperatorQueueList(IReadOnlyList<OperatorQueue> Queues);

/// <summary>One message, read without taking it.</summary>
/// <param name="MessageId">The storage message id (what redrive and discard take).</param>
/// <param name="InsertedOn">When it was put on this queue.</param>
/// <param name="DequeueCount">How often it was received from this queue.</param>
/// <param name="Body">The message text as stored.</param>
/// <param name="Poison">On a poison queue: the envelope's fields (null when the body is not an envelope).</param>
public sealed record OperatorMessage(string MessageId, DateTimeOffset? InsertedOn, long DequeueCount, string Body, PoisonDetails? Poison);

/// <summary>What the listener (or the outbound stage) recorded when it gave a message up.</summary>
/// <param name="Queue">The queue the message failed on.</param>
/// <param name="OriginalMessageId">Its message id there (for the outbound stage's deliveries: the claim).</param>
/// <param name="Attempts">Dequeue count, or attempts of a delivery.</param>
/// <param name="Reason">Why it was given up.</param>
/// <param name="FailedAt">When.</param>
/// <param name="OriginalInsertedOn">When it was first put on its queue.</param>
/// <param name="SubscriptionId">A failed delivery's subscription (outbound stage only).</param>
/// <param name="EventId">A failed delivery's event (outbound stage only).</param>
/// <param name="Redrivable">Whether redrive sends it back: a failed delivery's body is ignored by the outbound stage (use POST /subscriptions/{id}/redeliver).</param>
public sealed record PoisonDetails(
    string? Queue,
    string? OriginalMessageId,
    long? Attempts,
    string? Reason,
    DateTimeOffset? FailedAt,
    DateTimeOffset? OriginalInsertedOn,
    Guid? SubscriptionId,
    string? EventId,
    bool Redrivable);

/// <summary>The first messages of a queue.</summary>
public sealed record OperatorMessagePage(string Queue, IReadOnlyList<OperatorMessage> Messages);

/// <summary>Which poison messages an action takes: the given ids, or else the first <see cref="Max"/>.</summary>
/// <param name="MessageIds">Message ids from a peek.</param>
/// <param name="Max">How many to take from the front of the queue when no ids are given.</param>
public sealed record OperatorActionRequest(IReadOnlyList<string>? MessageIds, int? Max);

/// <summary>A message an action left where it was.</summary>
public sealed record SkippedMessage(string MessageId, string Reason);

/// <summary>What a redrive did.</summary>
/// <param name="Moved">How many messages went back to the main queue.</param>
/// <param name="MainQueue">Where they went.</param>
/// <param name="MovedIds">Their poison message ids.</param>
/// <param name="Skipped">Messages taken but left on the poison queue, and why.</param>
/// <param name="NotFound">Requested ids that were not on the queue (or not visible).</param>
public sealed record RedriveResponse(int Moved, string MainQueue, IReadOnlyList<string> MovedIds, IReadOnlyList<SkippedMessage> Skipped, IReadOnlyList<string> NotFound);

/// <summary>What a discard did.</summary>
public sealed record DiscardResponse(int Discarded, IReadOnlyList<string> DiscardedIds, IReadOnlyList<string> NotFound);

/// <summary>Stuck work, read from PostgreSQL.</summary>
/// <param name="At">When it was read.</param>
/// <param name="Outbox">Events stored but not yet handed to the inbound queue.</param>
/// <param name="OverdueDeliveries">Unsettled deliveries whose due time passed more than the threshold ago.</param>
/// <param name="Endpoints">Endpoints that are failing or open.</param>
public sealed record BacklogResponse(DateTimeOffset At, OutboxView Outbox, OverdueView OverdueDeliveries, IReadOnlyList<EndpointView> Endpoints);

/// <param name="Depth">Rows in the outbox.</param>
/// <param name="OldestSeq">The lowest sequence number waiting.</param>
/// <param name="OldestRegistered">When that event was registered.</param>
/// <param name="OldestAgeSeconds">How long ago.</param>
public sealed record OutboxView(long Depth, long? OldestSeq, DateTimeOffset? OldestRegistered, double? OldestAgeSeconds);

/// <param name="OlderThan">The threshold (ISO 8601 duration).</param>
/// <param name="DueBefore">Deliveries due before this time are counted.</param>
/// <param name="Total">How many (a lower bound when <paramref name="Capped"/>).</param>
/// <param name="Capped">More than the cap were overdue; only that many were counted.</param>
/// <param name="ByStatus">Counts per delivery status (queued, waiting, parked, pushing).</param>
/// <param name="Oldest">The oldest overdue deliveries.</param>
public sealed record OverdueView(string OlderThan, DateTimeOffset DueBefore, long Total, bool Capped, IReadOnlyList<OverdueStatusView> ByStatus, IReadOnlyList<OverdueDeliveryView> Oldest);

/// <summary>Overdue deliveries of one status.</summary>
public sealed record OverdueStatusView(string Status, long Count, DateTimeOffset OldestDue);

/// <summary>One overdue delivery.</summary>
public sealed record OverdueDeliveryView(Guid SubscriptionId, long Seq, DateTimeOffset Registered, string Status, DateTimeOffset Due, double OverdueSeconds, int Attempts, DateTimeOffset? FirstFailedAt);

/// <summary>A failing or open endpoint and the deliveries parked on it.</summary>
public sealed record EndpointView(
    Guid Id,
    string EndPoint,
    string State,
    int ConsecutiveFailures,
    DateTimeOffset? FailingSince,
    DateTimeOffset? OpenedAt,
    DateTimeOffset? NextProbeAt,
    string? LastError,
    long ParkedDeliveries,
    int Subscriptions);
