using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Api.Identity;

/// <summary>
/// The token issuers the API trusts, bound from <c>Authentication:Issuers:{name}</c>. Each is validated the same
/// way: signature against the issuer's keys, issuer, audience and lifetime.
/// </summary>
public sealed class TokenIssuerOptions : IValidatableObject
{
    public const string SectionName = "Authentication:Issuers";

    /// <summary>The exact <c>iss</c> value of the tokens.</summary>
    [Required]
    public string Issuer { get; set; } = string.Empty;

    /// <summary>The issuer's OpenID Connect metadata document (<c>.../.well-known/openid-configuration</c>); its keys are fetched and refreshed from there.</summary>
    public Uri? MetadataAddress { get; set; }

    /// <summary>A local JWKS file (the development issuer of <c>altinn-events token</c>); relative paths are from the content root.</summary>
    public string? JwksFile { get; set; }

    /// <summary>Accepted <c>aud</c> values; empty accepts none.</summary>
    [MinLength(1)]
    public string[] Audiences { get; set; } = [];

    /// <summary>Require https for the metadata address (switch off only for a loopback test issuer).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Allowed clock skew on expiry and not-before.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if ((MetadataAddress is null) == string.IsNullOrWhiteSpace(JwksFile))
        {
            yield return new ValidationResult("Set exactly one of MetadataAddress and JwksFile.", [nameof(MetadataAddress), nameof(JwksFile)]);
        }
    }
}
