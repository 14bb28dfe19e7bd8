using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Core.Subscriptions;

/// <summary>Subscription settings both hosts read, bound from <c>Subscriptions</c>.</summary>
public sealed class SubscriptionOptions : IValidatableObject
{
    public const string SectionName = "Subscriptions";

    /// <summary>Most subscriptions one consumer may hold (409 above).</summary>
    [Range(1, 1_000_000, ErrorMessage = "Subscriptions:MaxPerConsumer must be between {1} and {2}.")]
    public int MaxPerConsumer { get; set; } = 100;

    /// <summary>
    /// Accept <c>http://</c> endpoints on loopback (127.0.0.1, ::1, localhost) and let webhooks connect there.
    /// For development and tests only; production requires https and public addresses.
    /// </summary>
    public bool AllowHttpLoopback { get; set; }

    /// <summary>
    /// The ports webhooks may use (subscriptions are accepted and pushes connect only there). Empty: 443 in Production, any
    /// port elsewhere. A webhook cannot be aimed at other services on a public host this way.
    /// </summary>
    public List<int> AllowedPorts { get; set; } = [];

    /// <summary>The service's public base URL; the validation event's source is <c>{PublicBaseUrl}/events/api/v1/subscriptions/{id}</c>.</summary>
    [Required(ErrorMessage = "Subscriptions:PublicBaseUrl is required.")]
    public string PublicBaseUrl { get; set; } = "https://platform.altinn.no";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            yield return new ValidationResult($"{SectionName}:{nameof(PublicBaseUrl)} must be an absolute http(s) URL.", [nameof(PublicBaseUrl)]);
        }

        if (AllowedPorts.Any(p => p is < 1 or > 65535))
        {
            yield return new ValidationResult($"{SectionName}:{nameof(AllowedPorts)} must hold port numbers from 1 to 65535.", [nameof(AllowedPorts)]);
        }
    }

    /// <summary>The source of the validation event of a subscription.</summary>
    public string SubscriptionUrl(Guid id) => $"{PublicBaseUrl.TrimEnd('/')}/events/api/v1/subscriptions/{id}";
}

/// <summary>The validation states a subscription is in; only <see cref="Validated"/> ones receive events.</summary>
public static class ValidationStatus
{
    /// <summary>Waiting for its endpoint to answer the validation event with a 2xx (attempts may be under way).</summary>
    public const string Pending = "pending";

    /// <summary>The endpoint answered 2xx: events are delivered.</summary>
    public const string Validated = "validated";

    /// <summary>Every attempt of the retry schedule failed; <c>POST /subscriptions/{id}/validate</c> starts again.</summary>
    public const string Failed = "failed";

    /// <summary>Every value, as in the <c>subscriptions</c> check constraint.</summary>
    public static readonly IReadOnlyList<string> All = [Pending, Validated, Failed];
}

/// <summary>
/// A message on the <c>subscription-validation</c> queue: validate <paramref name="SubscriptionId"/>, attempt number
/// <paramref name="Attempt"/> (1-based) of validation run <paramref name="Run"/>. A restart bumps the run, so the
/// messages of an earlier run still waiting on the queue complete without doing anything.
/// </summary>
public sealed record ValidationMessage(Guid SubscriptionId, int Attempt, int Run = 0);
