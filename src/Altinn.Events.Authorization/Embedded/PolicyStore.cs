using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using System.Xml;
using Altinn.Authorization.ABAC.Utils;
using Altinn.Authorization.ABAC.Xacml;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Authorization.Embedded;

/// <summary>
/// The policy of each resource, read from <c>{PolicyFolder}/{resource id}.xml</c> and kept in a bounded cache
/// (<c>Authorization:PolicyCacheEntries</c>): a policy for <c>PolicyCacheSeconds</c>, a missing or unparseable one (a
/// deny) for <c>PolicyMissSeconds</c>, so resource names a caller makes up cannot grow memory and a policy added later
/// takes effect. A read that failed for a transient reason (an I/O error) denies this request only and is not kept.
/// </summary>
internal sealed partial class PolicyStore(IOptions<AuthorizationOptions> options, TimeProvider time, ILogger<PolicyStore> logger)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Policies and misses held now.</summary>
    internal int Count => _entries.Count;

    public XacmlPolicy? Get(string resourceId)
    {
        // The id becomes a file name: only plain names, never a path.
        if (!ResourceIdPattern().IsMatch(resourceId))
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (_entries.TryGetValue(resourceId, out var cached) && cached.Expires > now)
        {
            return cached.Policy;
        }

        var (policy, keep) = Load(resourceId);
        if (keep)
        {
            var settings = options.Value;
            MakeRoom(settings.PolicyCacheEntries, now);
            var lifetime = TimeSpan.FromSeconds(policy is null ? settings.PolicyMissSeconds : settings.PolicyCacheSeconds);
            _entries[resourceId] = new Entry(policy, now + lifetime);
        }

        return policy;
    }

    private (XacmlPolicy? Policy, bool Keep) Load(string resourceId)
    {
        var path = Path.Combine(options.Value.PolicyFolder, resourceId + ".xml");
        try
        {
            using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            return (XacmlParser.ParseXacmlPolicy(reader), true);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            Log.PolicyMissing(logger, resourceId);
            return (null, true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.PolicyReadFailed(logger, resourceId, ex.GetType().Name);
            return (null, false);
        }
        catch (Exception ex)
        {
            // Not a policy the engine can read (malformed XML, unsupported XACML): a deny until the file is fixed.
            Log.PolicyUnreadable(logger, ex, resourceId);
            return (null, true);
        }
    }

    /// <summary>Below the bound before adding: drop what expired, then the misses, then everything (rare: a burst of names).</summary>
    private void MakeRoom(int maxEntries, DateTimeOffset now)
    {
        if (_entries.Count < maxEntries)
        {
            return;
        }

        foreach (var (key, entry) in _entries)
        {
            if (entry.Expires <= now)
            {
                _entries.TryRemove(key, out _);
            }
        }

        if (_entries.Count >= maxEntries)
        {
            foreach (var (key, entry) in _entries)
            {
                if (entry.Policy is null)
                {
                    _entries.TryRemove(key, out _);
                }
            }
        }

        if (_entries.Count >= maxEntries)
        {
            _entries.Clear();
        }
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,199}$")]
    private static partial Regex ResourceIdPattern();

    private sealed record Entry(XacmlPolicy? Policy, DateTimeOffset Expires);
}
