using Altinn.Events.Core.Identity;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Altinn.Events.Api.Identity;

/// <summary>
/// JWT bearer authentication against every configured issuer (one scheme each, chosen by the token's <c>iss</c>),
/// the <see cref="Caller"/> built from the claims, and the authorization policies the endpoints name.
/// </summary>
public static class IdentityExtensions
{
    private const string SelectorScheme = "Bearer";
    private const string IssuerSchemePrefix = "issuer:";

    public static IHostApplicationBuilder AddEventsAuthentication(this IHostApplicationBuilder builder)
    {
        var issuers = builder.Configuration.GetSection(TokenIssuerOptions.SectionName).GetChildren().Select(s => s.Key).ToArray();
        foreach (var name in issuers)
        {
            builder.Services.AddOptions<TokenIssuerOptions>(name)
                .BindConfiguration($"{TokenIssuerOptions.SectionName}:{name}")
                .ValidateDataAnnotations()
                .Validate(o => o.Audiences.Length > 0, $"{TokenIssuerOptions.SectionName}:{name}:Audiences needs at least one audience.")
                .ValidateOnStart();
        }

        builder.Services.AddOptions<AuthenticationSettings>()
            .Validate(_ => issuers.Length > 0, $"{TokenIssuerOptions.SectionName} must configure at least one token issuer.")
            .ValidateOnStart();

        var authentication = builder.Services.AddAuthentication(SelectorScheme)
            .AddPolicyScheme(SelectorScheme, "Bearer token from any trusted issuer", o =>
            {
                o.ForwardDefaultSelector = context => SelectScheme(context, issuers);
            });

        foreach (var name in issuers)
        {
            authentication.AddJwtBearer(IssuerSchemePrefix + name, _ => { });
            builder.Services.AddOptions<JwtBearerOptions>(IssuerSchemePrefix + name)
                .Configure<IOptionsMonitor<TokenIssuerOptions>, IHostEnvironment, TimeProvider>((jwt, issuerOptions, environment, time) =>
                    ConfigureJwt(jwt, issuerOptions.Get(name), environment, time));
        }

        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemDetailsAuthorizationResultHandler>();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AuthorizationPolicies.Publish, p => p.AddRequirements(new ScopeRequirement(Scopes.Publish, Scopes.PublishAdmin)))
            .AddPolicy(AuthorizationPolicies.Subscribe, p => p.AddRequirements(new ScopeRequirement(Scopes.Subscribe)))
            .AddPolicy(AuthorizationPolicies.App, p => p.AddRequirements(new CallerKindRequirement(CallerKind.App)))
            .AddPolicy(AuthorizationPolicies.AnyCaller, p => p.AddRequirements(new CallerKindRequirement()));
        builder.Services.AddSingleton<IAuthorizationHandler, CallerRequirementsHandler>();
        return builder;
    }

    private static void ConfigureJwt(JwtBearerOptions jwt, TokenIssuerOptions issuer, IHostEnvironment environment, TimeProvider time)
    {
        jwt.TokenHandlers.Clear();
        jwt.TokenHandlers.Add(new CachingJsonWebTokenHandler(time) { MapInboundClaims = false });
        jwt.MapInboundClaims = false;
        jwt.RequireHttpsMetadata = issuer.RequireHttpsMetadata;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = issuer.Issuer,
            ValidateAudience = true,
            ValidAudiences = issuer.Audiences,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = issuer.ClockSkew,
            NameClaimType = CallerClaims.UserId,
        };

        if (issuer.MetadataAddress is not null)
        {
            jwt.MetadataAddress = issuer.MetadataAddress.ToString();
        }
        else
        {
            var path = Path.IsPathRooted(issuer.JwksFile!) ? issuer.JwksFile! : Path.GetFullPath(Path.Combine(environment.ContentRootPath, issuer.JwksFile!));
            jwt.ConfigurationManager = new JwksFileConfigurationManager(path, issuer.Issuer, time);
        }
    }

    /// <summary>Forwards to the scheme of the issuer named in the token; unknown issuers go to the first, which rejects them.</summary>
    private static string SelectScheme(HttpContext context, string[] issuers)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && issuers.Length > 1)
        {
            var token = header["Bearer ".Length..].Trim();
            if (IssuerOf(token) is { } iss)
            {
                var monitor = context.RequestServices.GetRequiredService<IOptionsMonitor<TokenIssuerOptions>>();
                foreach (var name in issuers)
                {
                    if (string.Equals(monitor.Get(name).Issuer, iss, StringComparison.Ordinal))
                    {
                        return IssuerSchemePrefix + name;
                    }
                }
            }
        }

        return IssuerSchemePrefix + (issuers.FirstOrDefault() ?? "none");
    }

    /// <summary>
    /// The <c>iss</c> of a token, or null when it cannot be read. <see cref="JsonWebTokenHandler.CanReadToken"/> only looks
    /// at the shape (three dot-separated parts), so reading may still fail on bad base64 or JSON (<c>a.b.c</c>): such a
    /// token goes to the first issuer's scheme, which rejects it with a 401, and never surfaces as an exception.
    /// </summary>
    private static string? IssuerOf(string token)
    {
        var handler = new JsonWebTokenHandler();
        if (!handler.CanReadToken(token))
        {
            return null;
        }

        try
        {
            return handler.ReadJsonWebToken(token).Issuer;
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException or FormatException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>Only here so start-up validation can insist on at least one issuer.</summary>
    private sealed class AuthenticationSettings;
}

/// <summary>The policy names endpoints require.</summary>
public static class AuthorizationPolicies
{
    /// <summary>Scope <c>altinn:events.publish</c> (or the admin variant).</summary>
    public const string Publish = "publish";

    /// <summary>Scope <c>altinn:events.subscribe</c>.</summary>
    public const string Subscribe = "subscribe";

    /// <summary>An app in Altinn Apps.</summary>
    public const string App = "app";

    /// <summary>Any caller the contract knows (org, organisation, user, system user).</summary>
    public const string AnyCaller = "caller";
}
