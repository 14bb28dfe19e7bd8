using Altinn.Events.Api.Identity;
using Altinn.Events.Persistence.Operations;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace Altinn.Events.Api.Operations;

/// <summary>
/// The operator API (<c>/operator/...</c>): poison queues and stuck work, for people with the app role
/// <see cref="OperatorOptions.Role"/> in the service's Entra tenant. Its tokens are validated by Microsoft.Identity.Web
/// under a scheme of its own; the public schemes never grant it, and its tokens are not accepted by the public endpoints
/// (the default scheme does not know their issuer). Without <c>Operators:Entra</c> nothing is registered or mapped.
/// </summary>
public static class OperationsExtensions
{
    /// <summary>The authentication scheme of operator tokens.</summary>
    public const string Scheme = "Operator";

    /// <summary>The authorization policy of the operator endpoints.</summary>
    public const string Policy = "operator";

    public static IHostApplicationBuilder AddOperations(this IHostApplicationBuilder builder)
    {
        var entra = builder.Configuration.GetSection(OperatorOptions.EntraSectionName);
        if (!entra.Exists())
        {
            return builder;
        }

        builder.Services.AddOptions<OperatorOptions>()
            .BindConfiguration(OperatorOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate<IHostEnvironment>(
                (o, environment) => o.JwksFile is null || !environment.IsProduction(),
                $"{OperatorOptions.SectionName}:JwksFile replaces Entra's signing keys and is for development and tests only.")
            .ValidateOnStart();

        builder.Services.AddAuthentication().AddMicrosoftIdentityWebApi(entra, Scheme);

        // Registered after Microsoft.Identity.Web's own configuration, so it runs after it.
        builder.Services.AddOptions<JwtBearerOptions>(Scheme).Configure<IOptions<OperatorOptions>, IHostEnvironment, TimeProvider>((jwt, operators, environment, time) =>
        {
            var o = operators.Value;

            // A single-tenant API: the tenant's v2.0 issuer is the only one, so the issuer check never needs the
            // multi-tenant discovery of the issuer validator.
            jwt.TokenValidationParameters.ValidIssuers = [o.Issuer()];
            if (o.JwksFile is { Length: > 0 } file)
            {
                var path = Path.IsPathRooted(file) ? file : Path.GetFullPath(Path.Combine(environment.ContentRootPath, file));
                jwt.ConfigurationManager = new JwksFileConfigurationManager(path, o.Issuer(), time);
            }
        });

        builder.Services.AddSingleton<IAuthorizationHandler, OperatorRoleHandler>();
        builder.Services.AddAuthorizationBuilder().AddPolicy(Policy, p => p
            .AddAuthenticationSchemes(Scheme)
            .RequireAuthenticatedUser()
            .AddRequirements(new OperatorRoleRequirement(builder.Configuration[$"{OperatorOptions.SectionName}:Role"] ?? new OperatorOptions().Role)));

        builder.Services.AddSingleton<BacklogStore>();
        builder.Services.AddSingleton<QueueOperations>();
        builder.Services.AddSingleton<OperatorApiMarker>();
        return builder;
    }

    /// <summary>Maps <c>/operator/...</c> when <see cref="AddOperations"/> registered it.</summary>
    public static WebApplication MapOperations(this WebApplication app)
    {
        if (app.Services.GetService<OperatorApiMarker>() is not null)
        {
            app.MapOperatorEndpoints();
        }

        return app;
    }

    private sealed class OperatorApiMarker;
}
