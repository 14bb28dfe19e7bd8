namespace Altinn.Events.Core.Input;

/// <summary>
/// The limits on text a client sends, in one place; README ("Limits") lists them with what exceeding each returns.
/// Text lands in b-tree indexes (event id, subject, alternative subject, resource; the subscription filters), whose
/// entries PostgreSQL caps at about 2 700 bytes: an insert above that fails for the whole transaction, so the limit is
/// checked at the edge, in UTF-8 bytes, with room to spare.
/// </summary>
public static class InputLimits
{
    /// <summary>
    /// Most UTF-8 bytes of one text value: the event attributes id, source, subject, type, resource, resourceinstance,
    /// datacontenttype and dataschema; every subscription filter; every query parameter; the headers the API reads.
    /// </summary>
    public const int MaxTextBytes = 1024;

    /// <summary>Most UTF-8 bytes of an identity claim a consumer is made of (org, app, organisation number, system user).</summary>
    public const int MaxIdentityBytes = 256;

    /// <summary>Most characters of a subscription's endPoint (not indexed: endpoints are keyed by a hash of the URL).</summary>
    public const int MaxEndPointLength = 2048;

    /// <summary>Most values of a repeatable query parameter (<c>type</c>).</summary>
    public const int MaxRepeatedValues = 50;

    /// <summary>Deepest nesting of a JSON body (objects and arrays).</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>Largest JSON body of the subscription and redelivery endpoints, in bytes (413 above).</summary>
    public const int MaxRequestBodyBytes = 16 * 1024;
}
