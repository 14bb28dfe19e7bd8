using Altinn.Events.Core.Resilience;
using Azure;

namespace Altinn.Events.Messaging;

/// <summary>
/// <see cref="TransientFailures"/> with the storage client's rule added: a request that never got an answer (status 0),
/// a timeout, throttling or a server error means the queues are unavailable. Every host classifies failures here.
/// </summary>
public static class DependencyFailures
{
    /// <summary>Which dependency is unavailable, or null when the failure is not an outage.</summary>
    public static Dependency? Classify(Exception exception) => TransientFailures.Classify(exception, QueueRule);

    /// <summary>True when <paramref name="exception"/> is an outage that should delay work, not fail it.</summary>
    public static bool IsTransient(Exception exception) => Classify(exception) is not null;

    /// <summary>The storage service's answer that a pop receipt is stale: the message's lease was lost.</summary>
    internal static bool IsLeaseLost(RequestFailedException exception) =>
        exception.Status == 404 || (exception.Status == 400 && exception.ErrorCode == "PopReceiptMismatch");

    private static Dependency? QueueRule(Exception exception) => exception is RequestFailedException { Status: 0 or 408 or 429 or >= 500 }
        ? Dependency.Queues
        : null;
}
