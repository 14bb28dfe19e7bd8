using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Api.Publishing;

/// <summary>Limits and settings of the publish endpoints, bound from <c>Publishing</c>.</summary>
public sealed class PublishingOptions
{
    /// <summary>Largest accepted event, in bytes of JSON (413 above).</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxEventBytes { get; set; } = 64 * 1024;

    /// <summary>Most events in one <c>application/cloudevents-batch+json</c> request.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>
    /// Most bytes of publish bodies held at once, from admission until their events are committed (or refused): beyond it
    /// a publish is answered 503 with <c>Retry-After</c> before its body is read, so a flood of large requests cannot
    /// queue without bound. A request larger than this is still admitted when nothing else is in flight.
    /// </summary>
    [Range(64 * 1024, 4L * 1024 * 1024 * 1024)]
    public long MaxBytesInFlight { get; set; } = 8 * 1024 * 1024;

    /// <summary>The apps domain: app event sources are <c>https://{org}.apps.{AppsDomain}/{org}/{app}/instances/...</c>.</summary>
    [Required]
    public string AppsDomain { get; set; } = "altinn.no";
}

/// <summary>The outbox relay, bound from <c>Publishing:Relay</c>.</summary>
public sealed class RelayOptions
{
    /// <summary>Event references per queue message (each about 60 bytes; a message holds 64 KB).</summary>
    [Range(1, 800)]
    public int EventsPerMessage { get; set; } = 256;

    /// <summary>Outbox rows taken per transaction.</summary>
    [Range(1, 100_000)]
    public int RowsPerTransaction { get; set; } = 4096;

    /// <summary>
    /// Under load, the least time from the start of one relay round that sent rows to the start of the next, so one
    /// queue message carries more events (issue 20: a round every few milliseconds sent about 34 events per message at
    /// 32 concurrent publishers). A wake-up after a round that found nothing is served at once, so an event published
    /// to an idle service waits for nothing; under load an event waits at most this long more. Zero turns it off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan Gather { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often the relay looks for rows when nothing woke it (rows of other instances, or after a crash).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the inbound stage has to match a relayed event before its outbox row is sent again (the queue may have lost
    /// the message). Doubles with every further send, up to <see cref="MaxLease"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest lease, so a backlog of an hour is not resent every minute.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaxLease { get; set; } = TimeSpan.FromMinutes(30);
}
