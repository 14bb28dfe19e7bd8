using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Messaging;

/// <summary>
/// Where the storage queues live and what they are called. Bound from the <c>Queues</c> section.
/// Exactly one of <see cref="ConnectionString"/> (Azurite, or an account key) and
/// <see cref="ServiceUri"/> (managed identity through <c>DefaultAzureCredential</c>) must be set.
/// </summary>
public sealed class QueueOptions : IValidatableObject
{
    public const string SectionName = "Queues";

    /// <summary>A storage connection string, for Azurite locally.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The queue service endpoint, e.g. <c>https://account.queue.core.windows.net</c>; used with <c>DefaultAzureCredential</c>.</summary>
    public Uri? ServiceUri { get; set; }

    /// <summary>Client id of a user-assigned managed identity; empty means the default credential chain.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Create the queues and their poison queues when the host starts (the run and test commands create them beforehand).</summary>
    public bool CreateOnStart { get; set; }

    [Required, RegularExpression(QueueNamePattern, ErrorMessage = QueueNameError)]
    public string InboundQueue { get; set; } = "events-inbound";

    [Required, RegularExpression(QueueNamePattern, ErrorMessage = QueueNameError)]
    public string OutboundQueue { get; set; } = "events-outbound";

    [Required, RegularExpression(QueueNamePattern, ErrorMessage = QueueNameError)]
    public string ValidationQueue { get; set; } = "subscription-validation";

    /// <summary>Suffix of the queue that receives messages a listener gave up on.</summary>
    public const string PoisonSuffix = "-poison";

    // Storage queue names: 3-63 chars, lowercase letters, digits and single dashes; the poison
    // suffix must still fit, so the base name is held to 56.
    private const string QueueNamePattern = "^(?=.{3,56}$)[a-z0-9]+(-[a-z0-9]+)*$";
    private const string QueueNameError = "{0} must be 3-56 lowercase letters, digits and single dashes.";

    public IEnumerable<string> AllQueues() => [InboundQueue, OutboundQueue, ValidationQueue];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        if (hasConnectionString == (ServiceUri is not null))
        {
            yield return new ValidationResult(
                $"Set exactly one of {SectionName}:{nameof(ConnectionString)} and {SectionName}:{nameof(ServiceUri)}.",
                [nameof(ConnectionString), nameof(ServiceUri)]);
        }

        if (ServiceUri is { IsAbsoluteUri: false })
        {
            yield return new ValidationResult($"{SectionName}:{nameof(ServiceUri)} must be an absolute URI.", [nameof(ServiceUri)]);
        }
    }
}
