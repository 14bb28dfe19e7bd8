using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using System.Xml;
using Altinn.Authorization.ABAC.Xacml;
using Altinn.Authorization.ABAC.Utils;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Authorization.Embedded;

/// <summary>
/// The policy of each resource, read from <c>{PolicyFolder}/{resource id}.xml</c> once and kept. A missing or
/// unreadable policy is remembered as null, so it is denied without touching the disk again.
/// </summary>
internal sealed partial class PolicyStore(IOptions<AuthorizationOptions> options, ILogger<PolicyStore> logger)
{
    private readonly ConcurrentDictionary<string, Lazy<XacmlPolicy?>> _policies = new(StringComparer.Ordinal);

    public XacmlPolicy? Get(string resourceId)
    {
        // The id becomes a file name: only plain names, never a path.
        if (!ResourceIdPattern().IsMatch(resourceId))
        {
            return null;
        }

        return _policies.GetOrAdd(resourceId, id => new Lazy<XacmlPolicy?>(() => Load(id))).Value;
    }

    private XacmlPolicy? Load(string resourceId)
    {
        var path = Path.Combine(options.Value.PolicyFolder, resourceId + ".xml");
        if (!File.Exists(path))
        {
            Log.PolicyMissing(logger, resourceId);
            return null;
        }

        try
        {
            using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            return XacmlParser.ParseXacmlPolicy(reader);
        }
        catch (Exception ex)
        {
            Log.PolicyUnreadable(logger, ex, resourceId);
            return null;
        }
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,199}$")]
    private static partial Regex ResourceIdPattern();
}
