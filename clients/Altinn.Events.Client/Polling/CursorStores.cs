using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Altinn.Events.Client;

/// <summary>
/// Keeps a poller's position (the opaque <c>cursor</c> of the service's <c>next</c> links) so a restarted consumer resumes
/// where it stopped. <see cref="AltinnEventsClient.PollAsync"/> saves a page's cursor once the caller has taken every
/// event of that page, so after a crash at most the events of one page come again; none is skipped.
/// </summary>
public interface ICursorStore
{
    /// <summary>The stored cursor of <paramref name="key"/>, or null to start from the query's <c>after</c>/<c>from</c>.</summary>
    ValueTask<string?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores the cursor of <paramref name="key"/> (durably, before returning, for a persistent store).</summary>
    ValueTask SetAsync(string key, string cursor, CancellationToken cancellationToken);
}

/// <summary>Cursors in memory (lost when the process ends).</summary>
public sealed class InMemoryCursorStore : ICursorStore
{
    private readonly ConcurrentDictionary<string, string> _cursors = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<string?> GetAsync(string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_cursors.TryGetValue(key, out var cursor) ? cursor : null);

    /// <inheritdoc />
    public ValueTask SetAsync(string key, string cursor, CancellationToken cancellationToken)
    {
        _cursors[key] = cursor;
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Cursors in files, one per key (named by the key's SHA-256) in a folder; each write goes to a temporary file that is
/// written through to disk and then renamed over the old one, so a crash leaves the old cursor or the new one, never half of one.
/// </summary>
public sealed class FileCursorStore : ICursorStore
{
    private readonly string _directory;

    /// <summary>A store in <paramref name="directory"/> (created when missing).</summary>
    public FileCursorStore(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = Directory.CreateDirectory(directory).FullName;
    }

    /// <inheritdoc />
    public async ValueTask<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return null;
        }

        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        return text.Length == 0 ? null : text;
    }

    /// <inheritdoc />
    public async ValueTask SetAsync(string key, string cursor, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(cursor);
        var path = PathOf(key);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous | FileOptions.WriteThrough))
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes(cursor), cancellationToken).ConfigureAwait(false);
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private string PathOf(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))) + ".cursor");
    }
}
