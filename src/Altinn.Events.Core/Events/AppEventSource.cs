namespace Altinn.Events.Core.Events;

/// <summary>
/// The source of an app event: <c>https://{org}.apps.{domain}/{org}/{app}/instances/{partyId}/{instanceGuid}</c>.
/// </summary>
public sealed record AppEventSource(string Org, string App, int PartyId, Guid InstanceGuid)
{
    public string ResourceInstance => FormattableString.Invariant($"{PartyId}/{InstanceGuid}");

    /// <summary>Parses the source; the error says what is wrong with it.</summary>
    public static AppEventSource? TryParse(string source, string appsDomain, out string? error)
    {
        error = null;
        if (!Uri.TryCreate(source, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            error = $"The source of an app event must be an absolute URL https://{{org}}.apps.{appsDomain}/{{org}}/{{app}}/instances/{{partyId}}/{{instanceGuid}}.";
            return null;
        }

        var segments = uri.AbsolutePath.Trim('/').Split('/');
        if (segments.Length != 5 || segments[2] != "instances"
            || !int.TryParse(segments[3], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var partyId)
            || !Guid.TryParse(segments[4], out var guid))
        {
            error = "The source path of an app event must be /{org}/{app}/instances/{partyId}/{instanceGuid}.";
            return null;
        }

        if (!string.Equals(uri.Host, $"{segments[0]}.apps.{appsDomain}", StringComparison.OrdinalIgnoreCase))
        {
            error = $"The source host of an app event must be {segments[0]}.apps.{appsDomain}.";
            return null;
        }

        return new AppEventSource(segments[0], segments[1], partyId, guid);
    }
}
