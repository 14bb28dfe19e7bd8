using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Stages.Validation;

/// <summary>The validation stage, bound from <c>Validation</c>.</summary>
public sealed class ValidationOptions : IValidatableObject
{
    public const string SectionName = "Validation";

    /// <summary>
    /// Delays before the second, third, ... attempt, comma-separated (<c>10s, 30s, 1m, 5m, 15m, 1h</c>). After the
    /// first attempt and one more per entry, the subscription is left failed with the last reason.
    /// </summary>
    public string RetrySchedule { get; set; } = "10s, 30s, 1m, 5m, 15m, 1h";

    /// <summary>How long the endpoint has to answer the validation event.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Validation:Timeout must be between {1} and {2}.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after a validation attempt was due its queue message may still be handled; a subscription still pending
    /// after that lost its message, and the sweeper sends it again.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Validation:MessageGrace must be between {1} and {2}.")]
    public TimeSpan MessageGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the sweeper looks for pending validations whose queue message was lost.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Validation:SweepInterval must be between {1} and {2}.")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The name this service gives in the CloudEvents webhook handshake (<c>WebHook-Request-Origin</c>), which the endpoint
    /// must answer in <c>WebHook-Allowed-Origin</c> (or <c>*</c>). Empty: the host of <c>Subscriptions:PublicBaseUrl</c>.
    /// </summary>
    [RegularExpression(@"^[A-Za-z0-9.\-:]*$", ErrorMessage = "Validation:RequestOrigin must be a host name (letters, digits, '.', '-', ':').")]
    public string RequestOrigin { get; set; } = string.Empty;

    /// <summary>The origin name sent: <see cref="RequestOrigin"/>, or the public base URL's host.</summary>
    public string OriginName(Core.Subscriptions.SubscriptionOptions subscriptions) =>
        !string.IsNullOrEmpty(RequestOrigin) ? RequestOrigin : Uri.TryCreate(subscriptions.PublicBaseUrl, UriKind.Absolute, out var uri) ? uri.Host : "altinn-events";

    /// <summary>The parsed <see cref="RetrySchedule"/>.</summary>
    public IReadOnlyList<TimeSpan> Schedule => Core.Subscriptions.RetrySchedule.Parse(RetrySchedule) ?? [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Core.Subscriptions.RetrySchedule.Parse(RetrySchedule) is null)
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(RetrySchedule)} must be comma-separated delays such as '10s, 30s, 1m, 1h' (ms, s, m, h, d; at most 7 days each), not '{RetrySchedule}'.",
                [nameof(RetrySchedule)]);
        }
    }
}
