using System.Collections.Frozen;

namespace Altinn.Events.Api.Portal;

/// <summary>The portal's pages, embedded in the API assembly (no CDN, no file system at run time).</summary>
internal static class PortalAssets
{
    private static readonly FrozenDictionary<string, (string ContentType, byte[] Content)> Files = Load();

    public static IResult Serve(HttpContext context, string file)
    {
        if (!Files.TryGetValue(file, out var asset))
        {
            return TypedResults.Problem($"The portal has no file '{file}'.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
        }

        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        // Scripts and styles from the portal only; the API and (when configured) the OIDC issuer are the only places it talks to.
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, (string, byte[])> Load()
    {
        var assembly = typeof(PortalAssets).Assembly;
        const string prefix = "portal/";
        var files = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            var file = name[prefix.Length..];
            var type = Path.GetExtension(file) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            files[file] = (type, memory.ToArray());
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
