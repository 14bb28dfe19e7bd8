namespace Altinn.Events.Core.Authorization;

/// <summary>
/// Who holds rights for which party, in both directions: the reverse index behind subscriptions that cover every party
/// a consumer may act for (no subject filter), and behind queries without a party. It only narrows the candidates:
/// every event a consumer receives or reads is still decided by the <see cref="IAuthorizationDecider"/>, so the index
/// may hold more than the decision point permits, never less. Embedded: the local <c>party_roles</c> table (read
/// fresh); remote: the platform's lookups of authorized parties, cached for a few seconds.
/// </summary>
public interface IAuthorizedParties
{
    /// <summary>The consumers (<c>/user/1337</c>, <c>/organisation/991825827</c>, <c>/systemuser/{id}</c>) holding any right for each party; parties without any are left out.</summary>
    Task<IReadOnlyDictionary<int, IReadOnlyList<string>>> GetRightHoldersAsync(IReadOnlyCollection<int> partyIds, CancellationToken cancellationToken);

    /// <summary>The parties <paramref name="consumer"/> holds any right for, ascending.</summary>
    Task<IReadOnlyList<int>> GetPartiesAsync(string consumer, CancellationToken cancellationToken);

    /// <summary>The first <paramref name="limit"/> of <see cref="GetPartiesAsync(string, CancellationToken)"/>: enough to tell a consumer with many parties.</summary>
    async Task<IReadOnlyList<int>> GetPartiesAsync(string consumer, int limit, CancellationToken cancellationToken) =>
        [.. (await GetPartiesAsync(consumer, cancellationToken)).Take(limit)];

    /// <summary>
    /// Whether these rights are the ones the event store indexes by holder (the local register's roles, migration 0016): a
    /// query over every party of a consumer may then read the consumer's rows of that index instead of naming its parties.
    /// </summary>
    bool IndexedByHolder => false;
}
