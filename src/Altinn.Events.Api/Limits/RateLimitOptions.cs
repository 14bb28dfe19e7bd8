using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Api.Limits;

/// <summary>
/// Per-caller rate limits, bound from <c>RateLimits</c>: a token bucket per caller (the consumer of the token) and
/// endpoint group. The defaults are generous (far above what one client needs, so benchmarks and tests are not
/// throttled); a deployment lowers them to protect the service from one caller.
/// </summary>
public sealed class RateLimitOptions : IValidatableObject
{
    public const string SectionName = "RateLimits";

    /// <summary>False turns every limit off.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>POST /events</c> and <c>POST /app</c> (requests, not events).</summary>
    public BucketOptions Publish { get; set; } = new() { PermitsPerSecond = 10_000, Burst = 20_000 };

    /// <summary>The query endpoints and the delivery log.</summary>
    public BucketOptions Queries { get; set; } = new() { PermitsPerSecond = 5_000, Burst = 10_000 };

    /// <summary>Creating and deleting subscriptions, rotating secrets.</summary>
    public BucketOptions SubscriptionWrites { get; set; } = new() { PermitsPerSecond = 100, Burst = 500 };

    /// <summary><c>POST /subscriptions/{id}/validate</c> (each sends a validation request to the endpoint).</summary>
    public BucketOptions Validate { get; set; } = new() { PermitsPerSecond = 10, Burst = 100 };

    /// <summary><c>POST /subscriptions/{id}/redeliver</c> (each may queue up to Redelivery:MaxEvents pushes).</summary>
    public BucketOptions Redeliver { get; set; } = new() { PermitsPerSecond = 10, Burst = 100 };

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        foreach (var (name, bucket) in new[] { (nameof(Publish), Publish), (nameof(Queries), Queries), (nameof(SubscriptionWrites), SubscriptionWrites), (nameof(Validate), Validate), (nameof(Redeliver), Redeliver) })
        {
            if (bucket.PermitsPerSecond is < 1 or > 1_000_000)
            {
                yield return new ValidationResult($"{SectionName}:{name}:PermitsPerSecond must be between 1 and 1000000.", [name]);
            }

            if (bucket.Burst is < 1 or > 10_000_000)
            {
                yield return new ValidationResult($"{SectionName}:{name}:Burst must be between 1 and 10000000.", [name]);
            }
        }
    }
}

/// <summary>One token bucket: <see cref="Burst"/> requests at once, refilled by <see cref="PermitsPerSecond"/>.</summary>
public sealed class BucketOptions
{
    /// <summary>Requests per second a caller may keep up.</summary>
    public int PermitsPerSecond { get; set; } = 100;

    /// <summary>Requests a caller may send at once after a pause (the bucket's size).</summary>
    public int Burst { get; set; } = 100;
}
