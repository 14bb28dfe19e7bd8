using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Api.Operations;

/// <summary>
/// The operator API, bound from <c>Operators</c>. It exists only when <c>Operators:Entra</c> is configured: that section
/// is Microsoft.Identity.Web's (<c>Instance</c>, <c>TenantId</c>, <c>ClientId</c>, optionally <c>Audience</c>), the app
/// registration whose access tokens carry the operators' app role.
/// </summary>
public sealed class OperatorOptions : IValidatableObject
{
    public const string SectionName = "Operators";
    public const string EntraSectionName = "Operators:Entra";

    /// <summary>The app role (the token's <c>roles</c> claim) that lets a caller use the operator API.</summary>
    [Required]
    public string Role { get; set; } = "Events.Operator";

    /// <summary>
    /// Development and tests only: a JWKS file whose keys replace the tenant's published signing keys (the CLI's
    /// <c>token --operator</c> signs with the development issuer's key). Every other check stays Microsoft.Identity.Web's.
    /// </summary>
    public string? JwksFile { get; set; }

    /// <summary>The <c>Operators:Entra</c> section, as far as this API reads it.</summary>
    public EntraSettings Entra { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Entra.Instance) || !Uri.TryCreate(Entra.Instance, UriKind.Absolute, out _))
        {
            yield return new ValidationResult($"{EntraSectionName}:Instance must be an absolute URL such as https://login.microsoftonline.com/.", ["Instance"]);
        }

        if (string.IsNullOrWhiteSpace(Entra.TenantId) || Entra.TenantId is "common" or "organizations" or "consumers")
        {
            yield return new ValidationResult($"{EntraSectionName}:TenantId must name the operators' tenant (not common, organizations or consumers).", ["TenantId"]);
        }

        if (string.IsNullOrWhiteSpace(Entra.ClientId))
        {
            yield return new ValidationResult($"{EntraSectionName}:ClientId must be the API's app registration (client id).", ["ClientId"]);
        }
    }

    /// <summary>The issuer of the tenant's v2.0 access tokens: the only one accepted.</summary>
    public string Issuer() => $"{Entra.Instance!.TrimEnd('/')}/{Entra.TenantId}/v2.0";

    public sealed class EntraSettings
    {
        public string? Instance { get; set; }

        public string? TenantId { get; set; }

        public string? ClientId { get; set; }

        public string? Audience { get; set; }
    }
}
