using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Api.Portal;

/// <summary>The subscriber portal (<c>/portal</c>), bound from <c>Portal</c>.</summary>
public sealed class PortalOptions
{
    public const string SectionName = "Portal";

    /// <summary>
    /// Development only: the name of an <c>Authentication:Issuers</c> entry with a <c>JwksFile</c> (the local development
    /// issuer) whose signing key lies beside that file. When set and the environment is Development, the portal offers sign-in
    /// as one of the seeded identities and <c>POST /portal/dev/token</c> mints their tokens; in any other environment it is
    /// ignored and the endpoint does not exist.
    /// </summary>
    public string? DevSignInIssuer { get; set; }

    /// <summary>Sign-in through OpenID Connect (authorization code with PKCE, in the browser); off when not configured.</summary>
    public PortalOidcOptions Oidc { get; set; } = new();
}

/// <summary>
/// The portal's OpenID Connect client: a public client (no secret) registered at the issuer with the redirect URI
/// <c>{public base}/portal/</c>. The access tokens it obtains must be ones the API already trusts: <see cref="Issuer"/> names
/// an <c>Authentication:Issuers</c> entry, so the portal can never sign in with an issuer the API would not accept.
/// </summary>
public sealed class PortalOidcOptions : IValidatableObject
{
    /// <summary>The name of the <c>Authentication:Issuers</c> entry whose tokens the portal asks for.</summary>
    public string? Issuer { get; set; }

    /// <summary>The authority whose <c>/.well-known/openid-configuration</c> the browser reads; default: that issuer's <c>Issuer</c>.</summary>
    public Uri? Authority { get; set; }

    /// <summary>The portal's client id at the issuer; OIDC sign-in is on only when set.</summary>
    public string? ClientId { get; set; }

    /// <summary>Scopes to ask for (space separated).</summary>
    public string Scope { get; set; } = "openid altinn:events.subscribe";

    /// <summary>Optional <c>resource</c> parameter (RFC 8707) some issuers need to put the API's audience in the token.</summary>
    public string? Resource { get; set; }

    /// <summary>Whether OIDC sign-in is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(ClientId);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && string.IsNullOrWhiteSpace(Issuer))
        {
            yield return new ValidationResult("Portal:Oidc:Issuer must name an Authentication:Issuers entry when Portal:Oidc:ClientId is set.", [nameof(Issuer)]);
        }

        if (Authority is { } authority && authority.Scheme != Uri.UriSchemeHttps)
        {
            yield return new ValidationResult("Portal:Oidc:Authority must be an https URL.", [nameof(Authority)]);
        }
    }
}
