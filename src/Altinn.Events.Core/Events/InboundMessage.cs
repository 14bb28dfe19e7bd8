namespace Altinn.Events.Core.Events;

/// <summary>
/// A message on the <c>events-inbound</c> queue: references to stored events, many per message so queue operations
/// per event stay far below one. The inbound stage loads the events themselves from PostgreSQL.
/// </summary>
public sealed record InboundMessage(IReadOnlyList<EventReference> Events);

/// <summary>A stored event: its store sequence and registration time (which names its partition).</summary>
public sealed record EventReference(long Seq, DateTimeOffset Registered);
