using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Altinn.Events.Core.Register;
using Microsoft.Extensions.Logging;

namespace Altinn.Events.Authorization.Register;

/// <summary>
/// The party register over HTTP (<c>Register:BaseUrl</c>), one POST per call with every key in the JSON body, so
/// person numbers never reach a URL or an access log:
/// <list type="bullet">
/// <item><c>POST parties/lookup</c> <c>{"personNumbers":[..],"organisationNumbers":[..],"partyIds":[..]}</c> → <c>{"parties":[Party..]}</c></item>
/// <item><c>POST parties/units</c> <c>{"mainUnitPartyIds":[..],"subunitPartyIds":[..]}</c> → <c>{"units":[{"mainUnitPartyId":1,"subunitPartyId":2}]}</c></item>
/// </list>
/// A failure throws <see cref="HttpRequestException"/> (a lookup has no safe default); it is logged without keys.
/// </summary>
internal sealed class HttpPartyRegister(HttpClient httpClient, ILogger<HttpPartyRegister> logger) : IPartyRegister
{
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<IReadOnlyDictionary<string, Party>> FindByPersonNumbersAsync(IReadOnlyCollection<string> personNumbers, CancellationToken cancellationToken)
    {
        var keys = personNumbers.Distinct().ToList();
        var parties = keys.Count == 0 ? [] : await LookupAsync(new PartyLookup(PersonNumbers: keys), cancellationToken);
        var wanted = keys.ToHashSet(StringComparer.Ordinal);
        return parties.Where(p => p.PersonNumber is not null && wanted.Contains(p.PersonNumber))
            .DistinctBy(p => p.PersonNumber).ToDictionary(p => p.PersonNumber!, StringComparer.Ordinal);
    }

    public async Task<IReadOnlyDictionary<string, Party>> FindByOrganisationNumbersAsync(IReadOnlyCollection<string> organisationNumbers, CancellationToken cancellationToken)
    {
        var keys = organisationNumbers.Distinct().ToList();
        var parties = keys.Count == 0 ? [] : await LookupAsync(new PartyLookup(OrganisationNumbers: keys), cancellationToken);
        var wanted = keys.ToHashSet(StringComparer.Ordinal);
        return parties.Where(p => p.OrganisationNumber is not null && wanted.Contains(p.OrganisationNumber))
            .DistinctBy(p => p.OrganisationNumber).ToDictionary(p => p.OrganisationNumber!, StringComparer.Ordinal);
    }

    public async Task<IReadOnlyDictionary<int, Party>> GetByPartyIdsAsync(IReadOnlyCollection<int> partyIds, CancellationToken cancellationToken)
    {
        var keys = partyIds.Distinct().ToList();
        var parties = keys.Count == 0 ? [] : await LookupAsync(new PartyLookup(PartyIds: keys), cancellationToken);
        var wanted = keys.ToHashSet();
        return parties.Where(p => wanted.Contains(p.PartyId)).DistinctBy(p => p.PartyId).ToDictionary(p => p.PartyId);
    }

    public async Task<IReadOnlyDictionary<int, IReadOnlyList<int>>> GetSubunitsAsync(IReadOnlyCollection<int> mainUnitPartyIds, CancellationToken cancellationToken)
    {
        var keys = mainUnitPartyIds.Distinct().ToList();
        var units = keys.Count == 0 ? [] : await UnitsAsync(new UnitLookup(MainUnitPartyIds: keys), cancellationToken);
        var wanted = keys.ToHashSet();
        return units.Where(u => wanted.Contains(u.MainUnitPartyId))
            .GroupBy(u => u.MainUnitPartyId)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<int>)[.. g.Select(u => u.SubunitPartyId).Distinct()]);
    }

    public async Task<IReadOnlyDictionary<int, int>> GetMainUnitsAsync(IReadOnlyCollection<int> subunitPartyIds, CancellationToken cancellationToken)
    {
        var keys = subunitPartyIds.Distinct().ToList();
        var units = keys.Count == 0 ? [] : await UnitsAsync(new UnitLookup(SubunitPartyIds: keys), cancellationToken);
        var wanted = keys.ToHashSet();
        return units.Where(u => wanted.Contains(u.SubunitPartyId)).DistinctBy(u => u.SubunitPartyId).ToDictionary(u => u.SubunitPartyId, u => u.MainUnitPartyId);
    }

    private async Task<List<Party>> LookupAsync(PartyLookup body, CancellationToken cancellationToken) =>
        (await PostAsync<PartyLookup, PartyLookupResult>("parties/lookup", body, cancellationToken)).Parties ?? [];

    private async Task<List<UnitLink>> UnitsAsync(UnitLookup body, CancellationToken cancellationToken) =>
        (await PostAsync<UnitLookup, UnitLookupResult>("parties/units", body, cancellationToken)).Units ?? [];

    private async Task<TResult> PostAsync<TBody, TResult>(string path, TBody body, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await httpClient.PostAsJsonAsync(path, body, JsonOptions, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                Log.RegisterFailed(logger, path, $"status {(int)response.StatusCode}");
                throw new HttpRequestException($"The register answered {(int)response.StatusCode} to {path}.", null, response.StatusCode);
            }

            return await response.Content.ReadFromJsonAsync<TResult>(JsonOptions, cancellationToken)
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
            // Timeouts, malformed bodies: one exception type for callers, and no keys in the message.
            Log.RegisterFailed(logger, path, ex.GetType().Name);
            throw new HttpRequestException($"The register call {path} failed ({ex.GetType().Name}).", ex);
        }
    }

    internal sealed record PartyLookup(List<string>? PersonNumbers = null, List<string>? OrganisationNumbers = null, List<int>? PartyIds = null);

    internal sealed record PartyLookupResult(List<Party>? Parties);

    internal sealed record UnitLookup(List<int>? MainUnitPartyIds = null, List<int>? SubunitPartyIds = null);

    internal sealed record UnitLookupResult(List<UnitLink>? Units);

    internal sealed record UnitLink(int MainUnitPartyId, int SubunitPartyId);
}
