using System.Collections.Concurrent;
using System.Net.Http.Json;
using Altinn.Events.Core.Authorization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Authorization.Register;

/// <summary>
/// The platform's lookups of authorized parties, on the register's base URL (<c>Register:BaseUrl</c>), one POST per
/// call with the keys in the body:
/// <list type="bullet">
/// <item><c>POST parties/rightholders</c> <c>{"partyIds":[..]}</c> → <c>{"rightHolders":[{"partyId":1,"subjects":["/user/1337"]}]}</c></item>
/// <item><c>POST parties/authorized</c> <c>{"subject":"/user/1337"}</c> → <c>{"partyIds":[..]}</c></item>
/// </list>
/// Answers are kept for <c>Register:AuthorizedPartiesCacheSeconds</c> (a few seconds: a grant or a withdrawal counts
/// within that), per party and per consumer, bounded in entries. A failure throws (the inbound stage retries the
/// message; a query answers 503): no answer is never read as "nobody".
/// </summary>
internal sealed class HttpAuthorizedParties(HttpClient httpClient, IOptions<RegisterOptions> options, TimeProvider time, ILogger<HttpAuthorizedParties> logger) : IAuthorizedParties
{
    /// <summary>Most cached entries of each kind; beyond it the cache starts again empty (cheap, and rare).</summary>
    internal const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<int, (DateTimeOffset Expires, IReadOnlyList<string> Holders)> _holders = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset Expires, IReadOnlyList<int> Parties)> _parties = new(StringComparer.Ordinal);

    private TimeSpan Lifetime => TimeSpan.FromSeconds(options.Value.AuthorizedPartiesCacheSeconds);

    public async Task<IReadOnlyDictionary<int, IReadOnlyList<string>>> GetRightHoldersAsync(IReadOnlyCollection<int> partyIds, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var found = new Dictionary<int, IReadOnlyList<string>>();
        var misses = new List<int>();
        foreach (var party in partyIds.Distinct())
        {
            if (_holders.TryGetValue(party, out var entry) && entry.Expires > now)
            {
                if (entry.Holders.Count > 0)
                {
                    found[party] = entry.Holders;
                }
            }
            else
            {
                misses.Add(party);
            }
        }

        if (misses.Count == 0)
        {
            return found;
        }

        var answer = await PostAsync<HolderLookup, HolderLookupResult>("parties/rightholders", new HolderLookup(misses), cancellationToken);
        var byParty = (answer.RightHolders ?? [])
            .Where(h => h.Subjects is not null)
            .GroupBy(h => h.PartyId)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.SelectMany(h => h.Subjects!).Distinct(StringComparer.Ordinal)]);
        Trim(_holders);
        var expires = time.GetUtcNow() + Lifetime;
        foreach (var party in misses)
        {
            var holders = byParty.TryGetValue(party, out var h) ? h : [];
            _holders[party] = (expires, holders);
            if (holders.Count > 0)
            {
                found[party] = holders;
            }
        }

        return found;
    }

    public async Task<IReadOnlyList<int>> GetPartiesAsync(string consumer, CancellationToken cancellationToken)
    {
        if (_parties.TryGetValue(consumer, out var entry) && entry.Expires > time.GetUtcNow())
        {
            return entry.Parties;
        }

        var answer = await PostAsync<PartiesLookup, PartiesLookupResult>("parties/authorized", new PartiesLookup(consumer), cancellationToken);
        IReadOnlyList<int> parties = [.. (answer.PartyIds ?? []).Distinct().Order()];
        Trim(_parties);
        _parties[consumer] = (time.GetUtcNow() + Lifetime, parties);
        return parties;
    }

    private static void Trim<TKey, TValue>(ConcurrentDictionary<TKey, TValue> cache)
        where TKey : notnull
    {
        if (cache.Count >= MaxEntries)
        {
            cache.Clear();
        }
    }

    private async Task<TResult> PostAsync<TBody, TResult>(string path, TBody body, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await httpClient.PostAsJsonAsync(path, body, HttpPartyRegister.JsonOptions, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                Log.RegisterFailed(logger, path, $"status {(int)response.StatusCode}");
                throw new HttpRequestException($"The register answered {(int)response.StatusCode} to {path}.", null, response.StatusCode);
            }

            return await response.Content.ReadFromJsonAsync<TResult>(HttpPartyRegister.JsonOptions, cancellationToken)
                ?? throw new HttpRequestException($"The register answered {path} with an empty body.");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (HttpRequestException)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.RegisterFailed(logger, path, ex.GetType().Name);
            throw new HttpRequestException($"The register call {path} failed ({ex.GetType().Name}).", ex);
        }
    }

    internal sealed record HolderLookup(List<int> PartyIds);

    internal sealed record HolderLookupResult(List<RightHolders>? RightHolders);

    internal sealed record RightHolders(int PartyId, List<string>? Subjects);

    internal sealed record PartiesLookup(string Subject);

    internal sealed record PartiesLookupResult(List<int>? PartyIds);
}
