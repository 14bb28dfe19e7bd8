using System.Globalization;
using System.Text.Json;

namespace Altinn.Events.Cli.DevIssuer;

/// <summary><c>altinn-events token ...</c>: prints a token from the local development issuer.</summary>
internal static class TokenCommand
{
    public const string Usage = """
          token     print a signed token from the local development issuer (key in .data/dev-issuer)
                      --org <code>              service owner (urn:altinn:org), e.g. ttd
                      --org-number <9 digits>   organisation number (with --org, or alone for a Maskinporten organisation)
                      --user <id> --party <id>  end user (urn:altinn:userid / urn:altinn:partyid)
                      --auth-level <0-4>        end user's authentication level (default 3)
                      --app <org>/<app>         an app in Altinn Apps (for POST /app)
                      --system-user <uuid> --system-user-org <9 digits>
                      --operator <app role>     an Entra-shaped operator token for /operator/... (role Events.Operator),
                                                issued for the development tenant and client id of appsettings.Development.json
                      --scope "<scopes>"        space-separated scopes
                      --lifetime <minutes>      default 60; negative gives an expired token
                      --audience <aud>          default altinn-events
                      --key-dir <dir>           default .data/dev-issuer in the repository
        """;

    public static int Run(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"token: expected '--name value' pairs, got '{args[i]}'\n\n{Usage}");
                return 2;
            }

            options[args[i][2..]] = args[++i];
        }

        var claims = new Dictionary<string, object>(StringComparer.Ordinal);
        string? Get(string name) => options.Remove(name, out var value) ? value : null;

        if (Get("org") is { } org)
        {
            claims["urn:altinn:org"] = org;
        }

        if (Get("org-number") is { } orgNumber)
        {
            if (claims.ContainsKey("urn:altinn:org"))
            {
                claims["urn:altinn:orgNumber"] = orgNumber;
            }
            else
            {
                claims["consumer"] = Json(new { authority = "iso6523-actorid-upis", ID = $"0192:{orgNumber}" });
            }
        }

        if (Get("user") is { } user)
        {
            claims["urn:altinn:userid"] = user;
            claims["urn:altinn:authlevel"] = Get("auth-level") ?? "3";
        }

        if (Get("party") is { } party)
        {
            claims["urn:altinn:partyid"] = party;
        }

        if (Get("app") is { } app)
        {
            claims["urn:altinn:app"] = app;
        }

        if (Get("system-user") is { } systemUser)
        {
            var sysOrg = Get("system-user-org") ?? "991825827";
            claims["authorization_details"] = Json(new { type = "urn:altinn:systemuser", systemuser_id = new[] { systemUser }, systemuser_org = new { authority = "iso6523-actorid-upis", ID = $"0192:{sysOrg}" } });
        }

        if (Get("scope") is { } scope)
        {
            claims["scope"] = scope;
        }

        var issuer = DevTokenIssuer.DefaultIssuer;
        var defaultAudience = DevTokenIssuer.DefaultAudience;
        if (Get("operator") is { } role)
        {
            if (claims.Count > 0)
            {
                Console.Error.WriteLine($"token: --operator stands alone (an Entra token carries none of the Altinn claims)\n\n{Usage}");
                return 2;
            }

            // What Entra puts in a v2.0 access token for a caller with an app role of the API's registration.
            issuer = DevTokenIssuer.DevOperatorIssuer;
            defaultAudience = DevTokenIssuer.DevOperatorClientId;
            var operatorId = "00000000-0000-4000-8000-0000000000d3";
            claims["tid"] = DevTokenIssuer.DevOperatorTenant;
            claims["oid"] = operatorId;
            claims["sub"] = operatorId;
            claims["azp"] = "00000000-0000-4000-8000-0000000000d4";
            claims["ver"] = "2.0";
            claims["roles"] = Json(new[] { role });
        }

        var lifetime = TimeSpan.FromMinutes(double.Parse(Get("lifetime") ?? "60", CultureInfo.InvariantCulture));
        var audience = Get("audience") ?? defaultAudience;
        var keyDir = Get("key-dir") ?? DevTokenIssuer.DefaultDirectory();
        Get("auth-level");
        if (options.Count > 0)
        {
            Console.Error.WriteLine($"token: unknown option(s) {string.Join(", ", options.Keys.Select(k => "--" + k))}\n\n{Usage}");
            return 2;
        }

        if (claims.Count == 0)
        {
            Console.Error.WriteLine($"token: say who the token is for (--org, --org-number, --user, --app, --system-user or --operator)\n\n{Usage}");
            return 2;
        }

        Console.WriteLine(DevTokenIssuer.Open(keyDir).Mint(claims, lifetime, issuer, audience));
        return 0;
    }

    private static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value);
}
