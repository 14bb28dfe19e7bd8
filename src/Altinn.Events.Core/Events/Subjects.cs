using System.Globalization;

namespace Altinn.Events.Core.Events;

/// <summary>Subjects of the form <c>/party/{id}</c>.</summary>
public static class Subjects
{
    private const string PartyPrefix = "/party/";

    public static string ForParty(int partyId) => PartyPrefix + partyId.ToString(CultureInfo.InvariantCulture);

    public static int? PartyId(string? subject) =>
        subject is not null && subject.StartsWith(PartyPrefix, StringComparison.Ordinal)
        && int.TryParse(subject.AsSpan(PartyPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : null;
}
