namespace Altinn.Events.Core.Delivery;

/// <summary>Values of <c>delivery_attempts.outcome</c>: what one push attempt came to (the delivery log and its hourly counts).</summary>
public static class AttemptOutcome
{
    public const string Delivered = "delivered";
    public const string Retry = "retry";
    public const string Failed = "failed";
    public const string Gone = "gone";

    /// <summary>Given up without a push: the retry schedule's span passed while the delivery waited on its endpoint.</summary>
    public const string GaveUp = "gaveup";

    /// <summary>Every value, as in the <c>delivery_attempts</c> check constraint.</summary>
    public static readonly IReadOnlyList<string> All = [Delivered, Retry, Failed, Gone, GaveUp];
}
