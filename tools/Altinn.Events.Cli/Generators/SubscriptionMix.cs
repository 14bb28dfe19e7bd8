using System.Globalization;
using System.Text.Json;
using Altinn.Events.Core.Identity;
using Altinn.Events.Core.Subscriptions;

namespace Altinn.Events.Cli.Generators;

/// <summary>The kinds of end-user subscription the generator makes (issue 18's filters).</summary>
public enum SubscriptionKind
{
    /// <summary>No type filter and no <c>filters</c>: every event of the app about the party.</summary>
    Plain,

    /// <summary>A type filter listing exact types.</summary>
    TypeList,

    /// <summary>A type filter with a trailing-wildcard prefix (<c>app.instance.process.*</c>), alone or beside an exact type.</summary>
    TypePrefix,

    /// <summary><c>filters</c> in the CloudEvents Subscriptions API dialects (exact, prefix, suffix, all, any, not), nested.</summary>
    Filters,
}

/// <summary>
/// The shares of the generated end-user subscriptions that carry each of issue 18's filters (the rest are
/// <see cref="SubscriptionKind.Plain"/>), with the request bodies they stand for. Which kind and which variant a row gets
/// comes from the generator's seeded <see cref="Random"/>, so a seed gives the same rows. What is stored is what the API
/// stores for that request: the input goes through <see cref="SubscriptionRules.Check"/> and the draft's
/// <see cref="SubscriptionDraft.TypeFilter"/> (distinct, in ordinal order) and <see cref="SubscriptionDraft.FiltersJson"/>
/// are written, as <c>SubscriptionStore</c> writes them.
/// </summary>
/// <remarks>
/// The generated events' types are <c>app.instance.created</c>, <c>app.instance.process.movedTo.Task_1</c> and
/// <c>app.instance.process.completed</c>; each variant below lets some of them through and not others, so filters are
/// evaluated both ways (about two in three events of a filtered subscription's app and party match it).
/// </remarks>
public sealed record SubscriptionMix(double TypeListShare, double TypePrefixShare, double FiltersShare)
{
    /// <summary>20 % type lists, 10 % prefixes, 20 % <c>filters</c>, half of them plain.</summary>
    public static SubscriptionMix Default { get; } = new(0.2, 0.1, 0.2);

    /// <summary>Only plain subscriptions (no type filter, no filters), as before issue 18.</summary>
    public static SubscriptionMix None { get; } = new(0, 0, 0);

    /// <summary>Type filters as a client sends them (a JSON array), by variant.</summary>
    public static IReadOnlyList<string> TypeLists { get; } =
    [
        """["app.instance.process.completed","app.instance.created"]""",
        """["app.instance.process.movedTo.Task_1","app.instance.process.completed"]""",
        """["app.instance.created","app.instance.process.completed","app.instance.process.movedTo.Task_1","app.instance.deleted"]""",
    ];

    /// <summary>Type filters with a trailing-wildcard prefix, by variant.</summary>
    public static IReadOnlyList<string> TypePrefixes { get; } =
    [
        """["app.instance.process.*"]""",
        """["app.instance.process.*","app.instance.created"]""",
        """["app.instance.*"]""",
    ];

    /// <summary>
    /// <c>filters</c> as a client sends them, by variant; <c>{org}</c> and <c>{app}</c> stand for the subscription's app.
    /// The event attributes they read are the ones a generated or benchmark event carries.
    /// </summary>
    public static IReadOnlyList<string> FilterTemplates { get; } =
    [
        """[{"prefix":{"source":"https://{org}.apps.altinn.no/{org}/{app}/instances/"}}]""",
        """[{"any":[{"exact":{"type":"app.instance.process.completed"}},{"suffix":{"type":".Task_1"}}]}]""",
        """[{"all":[{"prefix":{"type":"app.instance."}},{"not":{"exact":{"type":"app.instance.created"}}}]}]""",
        """[{"exact":{"type":"app.instance.created"}},{"suffix":{"resource":"_{app}"}}]""",
        """[{"not":{"any":[{"exact":{"type":"app.instance.process.movedTo.Task_1"}},{"prefix":{"alternativesubject":"/organisation/"}}]}}]""",
        """[{"all":[{"exact":{"specversion":"1.0"}},{"any":[{"suffix":{"type":"completed"}},{"not":{"prefix":{"type":"app.instance.process."}}}]}]}]""",
    ];

    private static readonly Caller GeneratedUser = new() { Kind = CallerKind.User, UserId = 1, AuthenticationLevel = 2 };

    public SubscriptionMix Validated()
    {
        if (TypeListShare < 0 || TypePrefixShare < 0 || FiltersShare < 0 || TypeListShare + TypePrefixShare + FiltersShare > 1)
        {
            throw new ArgumentException($"The shares of type lists ({TypeListShare}), type prefixes ({TypePrefixShare}) and filters ({FiltersShare}) must each be at least 0 and add up to at most 1.");
        }

        return this;
    }

    /// <summary>The kind of the next subscription and its variant, from <paramref name="random"/> (two draws, always).</summary>
    public (SubscriptionKind Kind, int Variant) Pick(Random random)
    {
        var x = random.NextDouble();
        var v = random.Next(60); // 60: a multiple of every variant count
        if (x < TypeListShare)
        {
            return (SubscriptionKind.TypeList, v % TypeLists.Count);
        }

        if (x < TypeListShare + TypePrefixShare)
        {
            return (SubscriptionKind.TypePrefix, v % TypePrefixes.Count);
        }

        return x < TypeListShare + TypePrefixShare + FiltersShare ? (SubscriptionKind.Filters, v % FilterTemplates.Count) : (SubscriptionKind.Plain, 0);
    }

    /// <summary>The <c>typeFilter</c> and <c>filters</c> of the request body a subscription of this kind and variant has, for the app.</summary>
    public static (string? TypeFilter, string? Filters) Request(SubscriptionKind kind, int variant, string org, string app) => kind switch
    {
        SubscriptionKind.TypeList => (TypeLists[variant], null),
        SubscriptionKind.TypePrefix => (TypePrefixes[variant], null),
        SubscriptionKind.Filters => (null, FilterTemplates[variant].Replace("{org}", org, StringComparison.Ordinal).Replace("{app}", app, StringComparison.Ordinal)),
        _ => (null, null),
    };

    /// <summary>
    /// What the API stores for a subscription of this kind and variant to <paramref name="org"/>/<paramref name="app"/>:
    /// the request through <see cref="SubscriptionRules.Check"/>, then the draft's type filter and filters JSON.
    /// </summary>
    public static (string[]? TypeFilter, string? FiltersJson) Stored(SubscriptionKind kind, int variant, string org, string app)
    {
        var (typeFilter, filters) = Request(kind, variant, org, app);
        using var types = typeFilter is null ? null : JsonDocument.Parse(typeFilter);
        using var expressions = filters is null ? null : JsonDocument.Parse(filters);
        var input = new SubscriptionInput(
            "https://hooks.example.com/generated",
            null,
            $"urn:altinn:resource:app_{org}_{app}",
            string.Create(CultureInfo.InvariantCulture, $"/party/{TestDataGenerator.FirstParty}"),
            null,
            types?.RootElement,
            null,
            expressions?.RootElement);
        var check = SubscriptionRules.Check(input, GeneratedUser, "altinn.no", allowHttpLoopback: false);
        if (check.Draft is not { } draft)
        {
            throw new InvalidOperationException($"The generated subscription ({kind} {variant}) is not one the API accepts: {string.Join("; ", check.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")))}{check.Forbidden}");
        }

        return (draft.TypeFilter is null ? null : [.. draft.TypeFilter], draft.FiltersJson);
    }
}
