namespace Altinn.Events.Messaging.Listener;

/// <summary>
/// What the listener writes to <c>&lt;queue&gt;-poison</c>: the original body untouched, plus why and when it gave up,
/// so an operator can read the reason and re-drive the body as is.
/// </summary>
public sealed record PoisonMessage(
    string Queue,
    string MessageId,
    long DequeueCount,
    string Reason,
    DateTimeOffset FailedAt,
    DateTimeOffset? InsertedOn,
    string Body);
