using Altinn.Events.Api.Identity;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Portal;

/// <summary>
/// The subscriber portal: static pages under <c>/portal</c> (embedded in the API), its client settings, and in Development
/// the sign-in as a seeded identity. The pages call the public API with a bearer token like any client; nothing here
/// bypasses its authentication or authorization.
/// </summary>
internal static class PortalExtensions
{
    public const string BasePath = "/portal";

    public static IHostApplicationBuilder AddPortal(this IHostApplicationBuilder builder)
    {
        var issuers = builder.Configuration.GetSection(TokenIssuerOptions.SectionName).GetChildren().Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        builder.Services.AddOptions<PortalOptions>()
            .BindConfiguration(PortalOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.Oidc.Validate(new(o.Oidc)).FirstOrDefault() is null, "Portal:Oidc: set Issuer (an Authentication:Issuers entry) with ClientId, and an https Authority.")
            .Validate(o => !o.Oidc.Enabled || issuers.Contains(o.Oidc.Issuer!), "Portal:Oidc:Issuer must name an Authentication:Issuers entry: the portal signs in only with issuers the API trusts.")
            .ValidateOnStart();
        if (DevSignInEnabled(builder))
        {
            var name = builder.Configuration[$"{PortalOptions.SectionName}:{nameof(PortalOptions.DevSignInIssuer)}"]!;
            builder.Services.AddOptions<PortalOptions>()
                .Validate<IOptionsMonitor<TokenIssuerOptions>>(
                    (_, monitor) => issuers.Contains(name) && !string.IsNullOrWhiteSpace(monitor.Get(name).JwksFile),
                    "Portal:DevSignInIssuer must name an Authentication:Issuers entry with a JwksFile (the local development issuer).");
            builder.Services.AddSingleton<DevSignIn>();
        }

        return builder;
    }

    public static WebApplication MapPortal(this WebApplication app)
    {
        var portal = app.MapGroup(BasePath).ExcludeFromDescription();
        var devSignIn = app.Services.GetService<DevSignIn>() is not null;
        portal.MapGet("/config.json", (IOptions<PortalOptions> options, IOptionsMonitor<TokenIssuerOptions> issuers) =>
            TypedResults.Ok(PortalConfig.From(options.Value, issuers, devSignIn)));
        if (devSignIn)
        {
            portal.MapPost("/dev/token", IResult (DevTokenRequest? request, DevSignIn signIn) =>
            {
                if (request?.Identity is not { Length: > 0 } identity)
                {
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["identity"] = ["Choose one of the seeded identities."] }, title: "The request is not valid.");
                }

                try
                {
                    return signIn.Mint(identity) is { } token
                        ? TypedResults.Ok(token)
                        : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["identity"] = [$"'{identity}' is not one of the seeded identities."] }, title: "The request is not valid.");
                }
                catch (FileNotFoundException)
                {
                    return TypedResults.Problem(
                        $"The development issuer has no signing key at {signIn.KeyPath}; run ./scripts/altinn-events token --org ttd once to create it.",
                        statusCode: StatusCodes.Status503ServiceUnavailable,
                        title: "Development issuer not set up");
                }
            });
        }

        // The pages link their files relatively, so /portal answers with a redirect to /portal/.
        portal.MapGet("/", (HttpContext context) => context.Request.Path.Value!.EndsWith('/')
            ? PortalAssets.Serve(context, "index.html")
            : TypedResults.Redirect(context.Request.PathBase + BasePath + "/"));
        portal.MapGet("/{file}", (string file, HttpContext context) => PortalAssets.Serve(context, file));
        return app;
    }

    /// <summary>Development sign-in is on only in Development with <see cref="PortalOptions.DevSignInIssuer"/> set.</summary>
    private static bool DevSignInEnabled(IHostApplicationBuilder builder) =>
        builder.Environment.IsDevelopment()
        && !string.IsNullOrWhiteSpace(builder.Configuration[$"{PortalOptions.SectionName}:{nameof(PortalOptions.DevSignInIssuer)}"]);
}

/// <summary>What the portal's script reads at start: how to sign in.</summary>
public sealed record PortalConfig(string ApiBase, bool DevSignIn, IReadOnlyList<DevIdentity> DevIdentities, PortalOidcConfig? Oidc)
{
    public static PortalConfig From(PortalOptions options, IOptionsMonitor<TokenIssuerOptions> issuers, bool devSignIn)
    {
        PortalOidcConfig? oidc = null;
        if (options.Oidc.Enabled)
        {
            var authority = options.Oidc.Authority?.ToString() ?? issuers.Get(options.Oidc.Issuer).Issuer;
            oidc = new PortalOidcConfig(authority.TrimEnd('/'), options.Oidc.ClientId!, options.Oidc.Scope, options.Oidc.Resource);
        }

        return new PortalConfig(EventsApi.BasePath, devSignIn, devSignIn ? Portal.DevSignIn.Identities : [], oidc);
    }
}

/// <summary>The portal's OpenID Connect client settings.</summary>
public sealed record PortalOidcConfig(string Authority, string ClientId, string Scope, string? Resource);
