using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Messaging.Listener;

/// <summary>
/// How one queue listener behaves; the names follow the Functions queue trigger's <c>host.json</c> settings.
/// Bound per function from <c>Stages:{FunctionName}</c>.
/// </summary>
public sealed class QueueListenerOptions
{
    /// <summary>The queue to listen on (a name from <see cref="QueueOptions"/>).</summary>
    [Required]
    public string QueueName { get; set; } = string.Empty;

    /// <summary>Messages fetched per receive call (storage allows 1-32).</summary>
    [Range(1, 32)]
    public int BatchSize { get; set; } = 16;

    /// <summary>Messages processed at once by this listener instance.</summary>
    [Range(1, 1024)]
    public int MaxConcurrency { get; set; } = 32;

    /// <summary>How long a received message stays invisible to others; renewed every third of it while it is processed, so one failed renewal does not lose the lease.</summary>
    [Range(typeof(TimeSpan), "00:00:02", "07.00:00:00")]
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Dequeues after which a message whose function fails (other than by an outage) goes to the poison queue. An outage
    /// of a dependency never poisons a message (it waits instead), nor does a process that died mid-message; the storage
    /// service's dequeue count includes those attempts, though.
    /// </summary>
    [Range(1, 1000)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>Visibility delay after the first transient failure; doubled on each further failure.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "07.00:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Upper bound on the growing retry delay.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "07.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// When a dependency is down (PostgreSQL, the PDP, the queues): how long the listener pauses after the first failure, and
    /// how long the failed message waits. Doubled while the outage lasts, up to <see cref="OutageMaxDelay"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan OutageBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause during an outage: work resumes at most this long after the dependency is back.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan OutageMaxDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>First wait after an empty receive; doubled while the queue stays empty.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MinPollingInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Longest wait between receives on an empty queue: the fallback when a wake-up is missed. A listener is woken as soon
    /// as a message is sent to its queue (in this process at once, in others through PostgreSQL NOTIFY), so this bounds the
    /// delay only of messages whose announcement was lost (the database down, a message sent by hand). The Functions
    /// default is a minute.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>On shutdown, how long in-flight messages may finish before they are cancelled and released back to the queue.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The delay before the next attempt after <paramref name="dequeueCount"/> failed attempts, rounded up to whole
    /// seconds: the storage service counts visibility timeouts in seconds and would turn 400 ms into none at all.
    /// </summary>
    public TimeSpan RetryDelay(long dequeueCount)
    {
        var exponent = (int)Math.Clamp(dequeueCount - 1, 0, 30);
        var seconds = Math.Min(RetryBaseDelay.TotalSeconds * Math.Pow(2, exponent), RetryMaxDelay.TotalSeconds);
        return TimeSpan.FromSeconds(Math.Ceiling(seconds));
    }
}
