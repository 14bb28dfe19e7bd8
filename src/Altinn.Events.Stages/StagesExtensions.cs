using Altinn.Events.Stages.Inbound;
using Altinn.Events.Stages.Outbound;
using Altinn.Events.Stages.Validation;

namespace Altinn.Events.Stages;

/// <summary>
/// Chooses which stages this process runs: <c>Stages:Run</c> is a comma-separated list of stage names
/// (for example <c>--Stages:Run=inbound</c> on the command line, or <c>Stages__Run=inbound,outbound</c>
/// in the environment); empty or absent runs every stage.
/// </summary>
public static class StagesExtensions
{
    /// <summary>Every stage this host knows, by name, with the registration that wires it up.</summary>
    internal static readonly IReadOnlyDictionary<string, Action<IHostApplicationBuilder>> Catalog =
        new Dictionary<string, Action<IHostApplicationBuilder>>(StringComparer.OrdinalIgnoreCase)
        {
            ["inbound"] = b => b.AddInboundStage(),
            ["outbound"] = b => b.AddOutboundStage(),
            ["validation"] = b => b.AddValidationStage(),
        };

    public static IHostApplicationBuilder AddStages(this IHostApplicationBuilder builder)
    {
        foreach (var stage in SelectedStages(builder.Configuration["Stages:Run"]))
        {
            Catalog[stage](builder);
        }

        return builder;
    }

    internal static IReadOnlyList<string> SelectedStages(string? setting)
    {
        var requested = (setting ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (requested.Length == 0)
        {
            return [.. Catalog.Keys];
        }

        var unknown = requested.Where(r => !Catalog.ContainsKey(r)).ToArray();
        if (unknown.Length > 0)
        {
            throw new InvalidOperationException(
                $"Stages:Run names unknown stage(s) {string.Join(", ", unknown)}; known stages are {string.Join(", ", Catalog.Keys)}.");
        }

        return [.. requested.Distinct(StringComparer.OrdinalIgnoreCase)];
    }
}
