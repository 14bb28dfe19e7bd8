namespace Altinn.Events.Core.Subscriptions;

/// <summary>How a subscription's pushes are made.</summary>
public static class ContentModes
{
    /// <summary>One event per request as <c>application/cloudevents+json</c> (the default).</summary>
    public const string Structured = "structured";

    /// <summary>One event per request, its attributes as <c>ce-</c> headers and its data as the body.</summary>
    public const string Binary = "binary";

    /// <summary>Several events per request as <c>application/cloudevents-batch+json</c>.</summary>
    public const string Batched = "batched";

    /// <summary>The media type of a batched push: a JSON array of structured CloudEvents.</summary>
    public const string BatchContentType = "application/cloudevents-batch+json";

    /// <summary>Events per batched push when the subscription names no batchMaxEvents.</summary>
    public const int DefaultBatchMaxEvents = 100;

    /// <summary>The most batchMaxEvents may be (migration 0012 checks the same bound).</summary>
    public const int MaxBatchEvents = 1000;

    /// <summary>Bytes per batched push when the subscription names no batchMaxBytes (256 KiB).</summary>
    public const int DefaultBatchMaxBytes = 256 * 1024;

    public const int MinBatchBytes = 1024;
    public const int MaxBatchBytes = 4 * 1024 * 1024;

    /// <summary>The modes offered.</summary>
    public static bool IsKnown(string mode) => mode is Structured or Binary or Batched;
}
