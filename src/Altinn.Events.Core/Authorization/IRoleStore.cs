namespace Altinn.Events.Core.Authorization;

/// <summary>
/// The role codes subjects hold for parties, which the embedded decision point decides on. Persistence implements it
/// over the local <c>party_roles</c> table.
/// </summary>
public interface IRoleStore
{
    /// <summary>The role codes of each (subject, party) pair asked for, in one query; pairs without roles are left out.</summary>
    Task<IReadOnlyDictionary<(string Subject, int PartyId), IReadOnlyList<string>>> GetRolesAsync(
        IReadOnlyCollection<(string Subject, int PartyId)> pairs, CancellationToken cancellationToken);
}
