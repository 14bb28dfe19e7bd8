using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Links;

/// <summary>
/// How the API learns its public address, bound from <c>PublicUrl</c>. Behind a TLS-terminating ingress the request the
/// API sees is plain http to an internal host; links built from it would send clients (and their bearer tokens) to the
/// wrong place in clear. Either <see cref="BaseUrl"/> names the public address, or the ingress's forwarded headers are
/// trusted from <see cref="TrustedProxies"/>.
/// </summary>
public sealed class PublicUrlOptions : IValidatableObject
{
    public const string SectionName = "PublicUrl";

    /// <summary>
    /// The API's public base URL (scheme, host, port and any path before <c>/events/api/v1</c>), e.g.
    /// <c>https://platform.altinn.no</c>. When set, every link the API builds starts with it, whatever the request says.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>Apply <c>X-Forwarded-Proto</c>, <c>X-Forwarded-Host</c> and <c>X-Forwarded-For</c> from trusted proxies.</summary>
    public bool ForwardedHeaders { get; set; }

    /// <summary>
    /// Who may send forwarded headers: IP addresses, networks (<c>10.0.0.0/8</c>), or <c>*</c> for any peer (only where
    /// nothing but the ingress can reach the app, as in Azure Container Apps). Empty: loopback only.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BaseUrl is not null
            && (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
                || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment)))
        {
            yield return new ValidationResult($"{SectionName}:{nameof(BaseUrl)} must be an absolute http(s) URL without query or fragment.", [nameof(BaseUrl)]);
        }

        foreach (var entry in TrustedProxies.Where(e => e != "*" && !IPAddress.TryParse(e, out _) && !System.Net.IPNetwork.TryParse(e, out _)))
        {
            yield return new ValidationResult($"{SectionName}:{nameof(TrustedProxies)} holds '{entry}', which is neither an IP address, a network (CIDR) nor '*'.", [nameof(TrustedProxies)]);
        }
    }
}

/// <summary>Builds the absolute URLs the API hands out (next links, Location headers), from the public base URL.</summary>
internal sealed class PublicLinks(IOptions<PublicUrlOptions> options)
{
    /// <summary>An absolute URL for <paramref name="path"/> (from the application root) with <paramref name="query"/>.</summary>
    public string For(HttpRequest request, PathString path, IEnumerable<KeyValuePair<string, string?>>? query = null)
    {
        var root = options.Value.BaseUrl is { } baseUrl
            ? baseUrl.TrimEnd('/')
            : $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}";
        var url = root + path.ToUriComponent();
        return query is null ? url : QueryHelpers.AddQueryString(url, query);
    }

    /// <summary>The URL of this request with the query parameters in <paramref name="replace"/> set (and no others of those names).</summary>
    public string ForThisRequest(HttpRequest request, IReadOnlyDictionary<string, string> replace, params string[] remove)
    {
        var query = request.Query
            .Where(q => !replace.ContainsKey(q.Key) && !remove.Contains(q.Key, StringComparer.Ordinal))
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)))
            .Concat(replace.Select(r => new KeyValuePair<string, string?>(r.Key, r.Value)))
            .ToList();
        return For(request, request.Path, query);
    }
}

internal static class PublicLinksExtensions
{
    /// <summary>The <c>PublicUrl</c> options (validated at start) and the link builder.</summary>
    public static IHostApplicationBuilder AddPublicLinks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PublicUrlOptions>().BindConfiguration(PublicUrlOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<PublicLinks>();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<PublicUrlOptions>>((forwarded, publicUrl) =>
        {
            forwarded.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor
                | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto
                | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedHost;
            var trusted = publicUrl.Value.TrustedProxies;
            if (trusted.Contains("*"))
            {
                forwarded.KnownProxies.Clear();
                forwarded.KnownIPNetworks.Clear();
                return;
            }

            foreach (var entry in trusted)
            {
                if (IPAddress.TryParse(entry, out var address))
                {
                    forwarded.KnownProxies.Add(address);
                }
                else if (System.Net.IPNetwork.TryParse(entry, out var network))
                {
                    forwarded.KnownIPNetworks.Add(network);
                }
            }
        });
        return builder;
    }

    /// <summary>First in the pipeline: applies the ingress's forwarded headers when <c>PublicUrl:ForwardedHeaders</c> is on.</summary>
    public static WebApplication UsePublicLinks(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<PublicUrlOptions>>().Value.ForwardedHeaders)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }
}
