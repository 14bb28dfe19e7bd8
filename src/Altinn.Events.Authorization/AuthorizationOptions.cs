using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Authorization;

/// <summary>Where decisions come from: the embedded PDP or the platform's PDP over HTTP.</summary>
public enum ServiceMode
{
    Embedded,
    Remote,
}

/// <summary>Authorization settings, bound from the <c>Authorization</c> section.</summary>
public sealed class AuthorizationOptions : IValidatableObject
{
    public const string SectionName = "Authorization";

    /// <summary>Folder of XACML policies named <c>{resource id}.xml</c>; default the <c>Policies</c> folder next to the assemblies.</summary>
    public string PolicyFolder { get; set; } = Path.Combine(AppContext.BaseDirectory, "Policies");

    /// <summary>How long a decision is reused, in seconds; 0 disables the cache. Short, so role changes take effect within seconds.</summary>
    [Range(0, 300, ErrorMessage = "Authorization:DecisionCacheSeconds must be between 0 and 300.")]
    public int DecisionCacheSeconds { get; set; } = 10;

    /// <summary>Most policies (found or missing) the embedded PDP keeps in memory; beyond it, missing ones are forgotten first.</summary>
    [Range(16, 1_000_000, ErrorMessage = "Authorization:PolicyCacheEntries must be between 16 and 1000000.")]
    public int PolicyCacheEntries { get; set; } = 10_000;

    /// <summary>How long a policy read from the folder is kept before it is read again, in seconds.</summary>
    [Range(1, 86_400, ErrorMessage = "Authorization:PolicyCacheSeconds must be between 1 and 86400.")]
    public int PolicyCacheSeconds { get; set; } = 3600;

    /// <summary>
    /// How long a resource without a (readable) policy is remembered as such, in seconds. A read that failed for a
    /// transient reason (an I/O error) is not remembered at all.
    /// </summary>
    [Range(1, 3600, ErrorMessage = "Authorization:PolicyMissSeconds must be between 1 and 3600.")]
    public int PolicyMissSeconds { get; set; } = 60;

    public PdpOptions Pdp { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Pdp.Mode == ServiceMode.Remote && !IsAbsoluteHttpUri(Pdp.Endpoint))
        {
            yield return new ValidationResult(
                "Authorization:Pdp:Endpoint must be an absolute http(s) URL when Authorization:Pdp:Mode is Remote.",
                [$"{nameof(Pdp)}.{nameof(PdpOptions.Endpoint)}"]);
        }

        foreach (var result in Pdp.Resilience.Validate("Authorization:Pdp"))
        {
            yield return result;
        }
    }

    internal static bool IsAbsoluteHttpUri(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
}

/// <summary>The <c>Authorization:Pdp</c> section.</summary>
public sealed class PdpOptions
{
    public ServiceMode Mode { get; set; } = ServiceMode.Embedded;

    /// <summary>The platform's decision endpoint, e.g. <c>https://platform.altinn.no/authorization/api/v1/decision</c>.</summary>
    public string? Endpoint { get; set; }

    public HttpResilienceSettings Resilience { get; set; } = new();
}

/// <summary>Timeouts and retries for a remote dependency (<c>...:Resilience</c>).</summary>
public sealed class HttpResilienceSettings
{
    /// <summary>Timeout of one attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of the whole call, retries included.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public int MaxRetries { get; set; } = 2;

    /// <summary>Delay before the first retry; later ones grow exponentially with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    internal IEnumerable<ValidationResult> Validate(string section)
    {
        if (AttemptTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult($"{section}:Resilience:AttemptTimeout must be positive.");
        }

        if (TotalTimeout < AttemptTimeout)
        {
            yield return new ValidationResult($"{section}:Resilience:TotalTimeout must be at least {section}:Resilience:AttemptTimeout.");
        }

        if (MaxRetries is < 0 or > 10)
        {
            yield return new ValidationResult($"{section}:Resilience:MaxRetries must be between 0 and 10.");
        }

        if (RetryDelay < TimeSpan.Zero)
        {
            yield return new ValidationResult($"{section}:Resilience:RetryDelay must not be negative.");
        }
    }
}

/// <summary>Register settings, bound from the <c>Register</c> section.</summary>
public sealed class RegisterOptions : IValidatableObject
{
    public const string SectionName = "Register";

    public ServiceMode Mode { get; set; } = ServiceMode.Embedded;

    /// <summary>Base URL of the remote register; lookups go to <c>{BaseUrl}/parties/...</c>.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>
    /// Remote mode: how long the platform's answers of who holds rights for a party (and for which parties a consumer
    /// does) are kept, in seconds; 0 asks every time. Short: a right granted or withdrawn counts for subscriptions and
    /// queries without a subject within that.
    /// </summary>
    [Range(0, 60, ErrorMessage = "Register:AuthorizedPartiesCacheSeconds must be between 0 and 60.")]
    public int AuthorizedPartiesCacheSeconds { get; set; } = 5;

    public HttpResilienceSettings Resilience { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Mode == ServiceMode.Remote && !AuthorizationOptions.IsAbsoluteHttpUri(BaseUrl))
        {
            yield return new ValidationResult(
                "Register:BaseUrl must be an absolute http(s) URL when Register:Mode is Remote.",
                [nameof(BaseUrl)]);
        }

        foreach (var result in Resilience.Validate("Register"))
        {
            yield return result;
        }
    }
}

/// <summary>How outgoing calls to platform services authenticate.</summary>
public enum PlatformAuthenticationMode
{
    /// <summary>Adds nothing (or the static <see cref="PlatformOptions.AccessToken"/> when set).</summary>
    None,

    /// <summary>A bearer token from Entra ID through Azure.Identity.</summary>
    EntraId,
}

/// <summary>Settings for calls to platform services, bound from the <c>Platform</c> section.</summary>
public sealed class PlatformOptions : IValidatableObject
{
    public const string SectionName = "Platform";

    /// <summary>A static platform access token, sent in <see cref="AccessTokenHeader"/>. Never logged.</summary>
    public string? AccessToken { get; set; }

    /// <summary>The header carrying <see cref="AccessToken"/>: <c>PlatformAccessToken</c> (default) or <c>Authorization</c> for a bearer token.</summary>
    public string AccessTokenHeader { get; set; } = "PlatformAccessToken";

    public PlatformAuthenticationOptions Authentication { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Authentication.Mode == PlatformAuthenticationMode.EntraId && string.IsNullOrWhiteSpace(Authentication.Scope))
        {
            yield return new ValidationResult("Platform:Authentication:Scope is required when Platform:Authentication:Mode is EntraId.");
        }

        var secretParts = new[] { Authentication.TenantId, Authentication.ClientId, Authentication.ClientSecret }.Count(v => !string.IsNullOrWhiteSpace(v));
        if (Authentication.Mode == PlatformAuthenticationMode.EntraId && !string.IsNullOrWhiteSpace(Authentication.ClientSecret) && secretParts != 3)
        {
            yield return new ValidationResult("Platform:Authentication:TenantId and Platform:Authentication:ClientId are required with Platform:Authentication:ClientSecret.");
        }

        if (string.IsNullOrWhiteSpace(AccessTokenHeader))
        {
            yield return new ValidationResult("Platform:AccessTokenHeader must not be empty.");
        }
    }
}

/// <summary>The <c>Platform:Authentication</c> section.</summary>
public sealed class PlatformAuthenticationOptions
{
    public PlatformAuthenticationMode Mode { get; set; } = PlatformAuthenticationMode.None;

    /// <summary>The token scope, e.g. <c>api://platform-authorization/.default</c>.</summary>
    public string? Scope { get; set; }

    /// <summary>With <see cref="ClientId"/> and <see cref="ClientSecret"/>: client credentials; otherwise <c>DefaultAzureCredential</c>.</summary>
    public string? TenantId { get; set; }

    /// <summary>The app registration (client credentials) or the user-assigned managed identity (DefaultAzureCredential).</summary>
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }
}
