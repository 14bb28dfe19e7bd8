extern alias stages;

using System.Text.Json;
using Altinn.Events.Api.Identity;
using Altinn.Events.Api.Publishing;
using Altinn.Events.Authorization;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging;
using Altinn.Events.Messaging.Listener;
using Altinn.Events.Persistence;
using Altinn.Events.Persistence.Events;
using Microsoft.Extensions.Configuration;
using StagesExtensions = stages::Altinn.Events.Stages.StagesExtensions;
using ValidationOptions = stages::Altinn.Events.Stages.Validation.ValidationOptions;

namespace Altinn.Events.IntegrationTests.Deploy;

/// <summary>
/// Every key in deploy/settings/app-settings.json (the file the Bicep templates load to set the apps' environment)
/// must bind to a real options property, so a renamed or misspelled setting fails here instead of being silently
/// ignored in Azure. deploy/verify-settings.sh then starts the published hosts with the same file.
/// </summary>
public sealed class DeploySettingsTests
{
    // Section -> the options type the hosts bind it to (the BindConfiguration calls in src/). Longest prefix wins;
    // '*' stands for one segment of any name (an issuer, a stage).
    private static readonly (string Section, Type Options)[] Bindings =
    [
        (DatabaseOptions.SectionName, typeof(DatabaseOptions)),
        (QueueOptions.SectionName, typeof(QueueOptions)),
        ($"{TokenIssuerOptions.SectionName}:*", typeof(TokenIssuerOptions)),
        (AuthorizationOptions.SectionName, typeof(AuthorizationOptions)),
        (RegisterOptions.SectionName, typeof(RegisterOptions)),
        (PlatformOptions.SectionName, typeof(PlatformOptions)),
        ("Publishing", typeof(PublishingOptions)),
        ("Publishing:Relay", typeof(RelayOptions)),
        ("Publishing:Writer", typeof(EventWriterOptions)),
        ("Retention", typeof(RetentionOptions)),
        ("Stages:*", typeof(QueueListenerOptions)),
        (SubscriptionOptions.SectionName, typeof(SubscriptionOptions)),
        (ValidationOptions.SectionName, typeof(ValidationOptions)),
        (Altinn.Events.Api.Operations.OperatorOptions.SectionName, typeof(Altinn.Events.Api.Operations.OperatorOptions)),
        (Altinn.Events.Api.Links.PublicUrlOptions.SectionName, typeof(Altinn.Events.Api.Links.PublicUrlOptions)),
        (Altinn.Events.Api.Queries.QueryOptions.SectionName, typeof(Altinn.Events.Api.Queries.QueryOptions)),
        (Altinn.Events.Api.Analytics.AnalyticsOptions.SectionName, typeof(Altinn.Events.Api.Analytics.AnalyticsOptions)),
    ];

    private static readonly Lazy<JsonElement> Settings = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "deploy", "settings", "app-settings.json"))).RootElement);

    public static TheoryData<string, string, string> EveryKey()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (where, key, value) in AllEntries())
        {
            data.Add(where, key, value);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryKey))]
    public void SettingsFile_Key_BindsToAnOptionsProperty(string where, string key, string value)
    {
        var problem = BindingProblem(key, SampleValue(key, value));

        Assert.True(problem is null, $"{where}: {key}: {problem}");
    }

    [Fact]
    public void BindingCheck_MisspelledOrUnknownKeys_AreReported()
    {
        Assert.NotNull(BindingProblem("Queues__ServiceUrl", "https://account.queue.core.windows.net"));
        Assert.NotNull(BindingProblem("Database__ConnectionStrings", "Host=x"));
        Assert.NotNull(BindingProblem("Telemetry__Enabled", "true"));
        Assert.NotNull(BindingProblem("Publishing__Relay__EventsPerMessage", "many"));
        Assert.Null(BindingProblem("Authentication__Issuers__any__Audiences__0", "aud"));
    }

    [Fact]
    public void SettingsFile_EachStageApp_RunsTheStageItIsNamedFor_AndTheHostKnowsItOrItIsPending()
    {
        var pending = Settings.Value.GetProperty("verification").GetProperty("stagesNotYetInCatalog")
            .EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.OrdinalIgnoreCase);

        foreach (var stage in Settings.Value.GetProperty("stages").EnumerateObject().Where(p => !p.Name.StartsWith('$')))
        {
            Assert.Equal(stage.Name, stage.Value.GetProperty("Stages__Run").GetString());
            Assert.True(
                StagesExtensions.Catalog.ContainsKey(stage.Name) || pending.Contains(stage.Name),
                $"The settings file deploys stage '{stage.Name}', which the stage host does not know and verification.stagesNotYetInCatalog does not list.");
        }
    }

    [Fact]
    public void SettingsFile_InfrastructureValues_AreOnesMainBicepProvides()
    {
        var main = File.ReadAllText(Path.Combine(RepoRoot(), "deploy", "bicep", "main.bicep"));

        foreach (var entry in Settings.Value.GetProperty("fromInfrastructure").EnumerateObject().Where(p => !p.Name.StartsWith('$')))
        {
            Assert.Contains($"{entry.Value.GetString()}: ", main, StringComparison.Ordinal);
        }
    }

    /// <summary>Null when the key binds; otherwise what is wrong.</summary>
    private static string? BindingProblem(string envKey, string value)
    {
        var key = envKey.Replace("__", ":", StringComparison.Ordinal);
        var binding = Bindings
            .Select(b => (b.Options, Prefix: MatchPrefix(b.Section, key)))
            .Where(b => b.Prefix is not null)
            .OrderByDescending(b => b.Prefix!.Length)
            .FirstOrDefault();

        if (key.Equals("Stages:Run", StringComparison.OrdinalIgnoreCase))
        {
            return null; // read directly by StagesExtensions.AddStages; its values are checked above.
        }

        if (binding.Prefix is null)
        {
            return "no options class binds this section";
        }

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [key] = value })
            .Build();
        try
        {
            configuration.GetSection(binding.Prefix).Get(binding.Options, o => o.ErrorOnUnknownConfiguration = true);
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return $"{binding.Options.Name} does not take it: {ex.Message}";
        }
    }

    /// <summary>The concrete section this binding covers in <paramref name="key"/> (wildcards filled in), or null.</summary>
    private static string? MatchPrefix(string section, string key)
    {
        var want = section.Split(':');
        var have = key.Split(':');
        if (have.Length <= want.Length)
        {
            return null;
        }

        for (var i = 0; i < want.Length; i++)
        {
            if (want[i] != "*" && !want[i].Equals(have[i], StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }

        return string.Join(':', have.Take(want.Length));
    }

    // Keys whose value the templates fill in at deploy time get a value of the right shape.
    private static string SampleValue(string key, string value) => key switch
    {
        "Queues__ServiceUri" => "https://account.queue.core.windows.net/",
        "Queues__ManagedIdentityClientId" => Guid.Empty.ToString(),
        "Database__ConnectionString" => "Host=db;Database=events",
        _ => value,
    };

    /// <summary>Every setting in the file, with where it sits (e.g. <c>environments.test.api</c>).</summary>
    private static IEnumerable<(string Where, string Key, string Value)> AllEntries()
    {
        var root = Settings.Value;
        var sections = new List<(string Where, JsonElement Values)> { ("all", root.GetProperty("all")), ("api", root.GetProperty("api")) };
        sections.AddRange(Children(root.GetProperty("stages"), "stages"));
        sections.AddRange(Children(root.GetProperty("jobs"), "jobs"));
        foreach (var (where, environment) in Children(root.GetProperty("environments"), "environments"))
        {
            sections.AddRange(Children(environment, where).Where(c => c.Where != $"{where}.stages"));
            if (environment.TryGetProperty("stages", out var stageOverrides))
            {
                sections.AddRange(Children(stageOverrides, $"{where}.stages"));
            }
        }

        foreach (var (where, values) in sections)
        {
            foreach (var p in values.EnumerateObject().Where(p => !p.Name.StartsWith('$')))
            {
                yield return (where, p.Name, p.Value.GetString()!);
            }
        }

        foreach (var name in new[] { "fromInfrastructure", "secrets" })
        {
            foreach (var p in root.GetProperty(name).EnumerateObject().Where(p => !p.Name.StartsWith('$')))
            {
                yield return (name, p.Name, string.Empty);
            }
        }
    }

    private static IEnumerable<(string Where, JsonElement Values)> Children(JsonElement element, string where) =>
        element.EnumerateObject()
            .Where(p => !p.Name.StartsWith('$') && p.Value.ValueKind == JsonValueKind.Object)
            .Select(p => ($"{where}.{p.Name}", p.Value));

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "deploy", "settings", "app-settings.json")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("deploy/settings/app-settings.json not found above " + AppContext.BaseDirectory);
    }
}
