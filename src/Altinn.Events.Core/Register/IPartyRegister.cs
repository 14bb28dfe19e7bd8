namespace Altinn.Events.Core.Register;

/// <summary>
/// Person numbers and organisation numbers to parties and back, and main units to subunits. Batched:
/// every call takes many keys and answers with those it found (unknown keys are left out).
/// Person numbers are personal data: implementations never put them in a URL or a log line.
/// </summary>
public interface IPartyRegister
{
    Task<IReadOnlyDictionary<string, Party>> FindByPersonNumbersAsync(IReadOnlyCollection<string> personNumbers, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<string, Party>> FindByOrganisationNumbersAsync(IReadOnlyCollection<string> organisationNumbers, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<int, Party>> GetByPartyIdsAsync(IReadOnlyCollection<int> partyIds, CancellationToken cancellationToken);

    /// <summary>The subunits' party ids of each given main unit.</summary>
    Task<IReadOnlyDictionary<int, IReadOnlyList<int>>> GetSubunitsAsync(IReadOnlyCollection<int> mainUnitPartyIds, CancellationToken cancellationToken);

    /// <summary>The main unit's party id of each given subunit (parties that are not subunits are left out).</summary>
    Task<IReadOnlyDictionary<int, int>> GetMainUnitsAsync(IReadOnlyCollection<int> subunitPartyIds, CancellationToken cancellationToken);
}

public enum PartyType
{
    Person,
    Organisation,
}

/// <summary>A party: a person or an organisation (a main unit or a subunit).</summary>
public sealed record Party(int PartyId, PartyType Type, string Name, string? PersonNumber, string? OrganisationNumber, int? MainUnitPartyId);
