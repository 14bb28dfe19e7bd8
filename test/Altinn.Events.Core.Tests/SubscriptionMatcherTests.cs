using Altinn.Events.Core.Matching;

namespace Altinn.Events.Core.Tests;

public sealed class SubscriptionMatcherTests
{
    private const string Source = "https://ttd.apps.altinn.no/ttd/apps-test/instances/50001/0b5c0fd4-4b2a-4c6e-9a1d-3c2b1a0f9e8d";

    [Fact]
    public void SourcePrefixes_OfAUrl_AreTheAuthorityAndEachPathBoundary()
    {
        Assert.Equal(
            [
                "https://ttd.apps.altinn.no",
                "https://ttd.apps.altinn.no/ttd",
                "https://ttd.apps.altinn.no/ttd/apps-test",
                "https://ttd.apps.altinn.no/ttd/apps-test/instances",
                "https://ttd.apps.altinn.no/ttd/apps-test/instances/50001",
                Source,
            ],
            SubscriptionMatcher.SourcePrefixes(Source));
    }

    [Theory]
    [InlineData("urn:altinn:party:123", new[] { "urn:altinn", "urn:altinn:party", "urn:altinn:party:123" })]
    [InlineData("/ttd/apps-test/instances/1", new[] { "/ttd", "/ttd/apps-test", "/ttd/apps-test/instances", "/ttd/apps-test/instances/1" })]
    [InlineData("https://host.example/", new[] { "https://host.example" })]
    [InlineData("https://host.example/a//b/?x=1", new[] { "https://host.example", "https://host.example/a", "https://host.example/a//b" })]
    public void SourcePrefixes_OfOtherShapes(string source, string[] expected)
    {
        Assert.Equal(expected, SubscriptionMatcher.SourcePrefixes(source));
    }

    [Theory]
    [InlineData("https://ttd.apps.altinn.no/ttd/apps-test", true)]
    [InlineData("https://ttd.apps.altinn.no/ttd", true)]
    [InlineData("https://ttd.apps.altinn.no/ttd/apps-tes", false)]
    [InlineData("https://ttd.apps.altinn.no/ttd/apps-test2", false)]
    [InlineData("https://ttd.apps.altinn.no/tt", false)]
    public void SourceFilter_MatchesOnlyAtPathBoundaries(string filter, bool matches)
    {
        Assert.Equal(matches, SubscriptionMatcher.Matches(Filter(source: filter), Keys(Source)));
    }

    [Fact]
    public void SourceFilter_NeverMatchesALongerAppNameWithTheSameStart()
    {
        var keys = Keys("https://ttd.apps.altinn.no/ttd/apps-test2/instances/1/x");

        Assert.False(SubscriptionMatcher.Matches(Filter(source: "https://ttd.apps.altinn.no/ttd/apps-test"), keys));
    }

    [Fact]
    public void SubjectFilter_MatchesSubjectOrAlternativeSubjectParty()
    {
        var keys = Keys(Source, subject: "/party/50001", alternativeParty: "/party/50002");

        Assert.True(SubscriptionMatcher.Matches(Filter(subject: "/party/50001"), keys));
        Assert.True(SubscriptionMatcher.Matches(Filter(subject: "/party/50002"), keys));
        Assert.False(SubscriptionMatcher.Matches(Filter(subject: "/party/50003"), keys));
    }

    [Fact]
    public void MainUnitSubscription_GetsSubunitEvents_OnlyWithIncludeSubunits()
    {
        var keys = Keys(Source, subject: "/party/50003", mainUnit: "/party/50002");

        Assert.True(SubscriptionMatcher.Matches(Filter(subject: "/party/50002", includeSubunits: true), keys));
        Assert.False(SubscriptionMatcher.Matches(Filter(subject: "/party/50002", includeSubunits: false), keys));
    }

    [Fact]
    public void ResourceAndTypeFilters_MustEqual_AndEveryFilterSetMustHold()
    {
        var keys = Keys(Source, type: "app.instance.created");

        Assert.True(SubscriptionMatcher.Matches(Filter(resource: "urn:altinn:resource:app_ttd_apps-test", type: "app.instance.created"), keys));
        Assert.False(SubscriptionMatcher.Matches(Filter(resource: "urn:altinn:resource:app_ttd_apps-test", type: "app.instance.completed"), keys));
        Assert.False(SubscriptionMatcher.Matches(Filter(resource: "urn:altinn:resource:app_ttd_other", source: "https://ttd.apps.altinn.no/ttd/apps-test"), keys));
        Assert.True(SubscriptionMatcher.Matches(Filter(), keys));
    }

    [Theory]
    [InlineData("app.instance.process.*", "app.instance.process.completed", true)]
    [InlineData("app.instance.process.*", "app.instance.process.a.b", true)]
    [InlineData("app.instance.process.*", "app.instance.processed", false)]
    [InlineData("app.instance.process.*", "app.instance.process", false)]
    [InlineData("app.instance.created", "app.instance.created", true)]
    [InlineData("app.instance.created", "app.instance.created.x", false)]
    public void TypeFilterEntries_AreExactOrPrefixesEndingInDotStar(string entry, string type, bool matches) =>
        Assert.Equal(matches, TypeFilters.Matches([entry], type));

    [Fact]
    public void ATypeFilterList_MatchesAnyEntry_AndNoneMatchesEveryType()
    {
        Assert.True(TypeFilters.Matches(["a.created", "b.*"], "b.deleted"));
        Assert.True(TypeFilters.Matches(["a.created", "b.*"], "a.created"));
        Assert.False(TypeFilters.Matches(["a.created", "b.*"], "c.created"));
        Assert.True(TypeFilters.Matches(null, "anything"));
    }

    [Theory]
    [InlineData("app.*.created")]
    [InlineData("*")]
    [InlineData(".*")]
    [InlineData("app.instance*")]
    public void AStarAnywhereButTheFinalDotStar_IsRefused(string entry) =>
        Assert.NotNull(TypeFilters.EntryProblem(entry));

    public static TheoryData<string, bool> Dialects => new()
    {
        { """[{"exact":{"type":"app.instance.created"}}]""", true },
        { """[{"exact":{"type":"app.instance"}}]""", false },
        { """[{"prefix":{"source":"https://ttd.apps"}}]""", true },
        { """[{"suffix":{"subject":"/50001"}}]""", true },
        { """[{"suffix":{"subject":"/5000"}}]""", false },
        { """[{"exact":{"myext":"yes"}}]""", true },
        { """[{"exact":{"missing":"yes"}}]""", false },
        { """[{"all":[{"exact":{"myext":"yes"}},{"prefix":{"type":"app."}}]}]""", true },
        { """[{"all":[{"exact":{"myext":"yes"}},{"prefix":{"type":"x."}}]}]""", false },
        { """[{"any":[{"exact":{"myext":"no"}},{"prefix":{"type":"app."}}]}]""", true },
        { """[{"any":[{"exact":{"myext":"no"}},{"prefix":{"type":"x."}}]}]""", false },
        { """[{"not":{"exact":{"myext":"no"}}}]""", true },
        { """[{"not":{"exact":{"myext":"yes"}}}]""", false },
        { """[{"exact":{"myext":"yes"}},{"not":{"suffix":{"type":".created"}}}]""", false },
        { """[{"exact":{"count":"3"}}]""", true },
    };

    [Theory]
    [MemberData(nameof(Dialects))]
    public void FilterDialects_HoldOverTheEventsAttributes(string filters, bool matches)
    {
        using var document = System.Text.Json.JsonDocument.Parse(filters);
        var errors = new Dictionary<string, string[]>();
        var parsed = CloudEventFilters.Parse(document.RootElement, "filters", errors);
        Assert.Empty(errors);
        using var cloudEvent = System.Text.Json.JsonDocument.Parse(
            """{"specversion":"1.0","id":"1","type":"app.instance.created","source":"https://ttd.apps.altinn.no/ttd/apps-test","subject":"/party/50001","myext":"yes","count":3,"data":{"myext":"no"}}""");
        var keys = Keys(Source) with { Attributes = CloudEventFilters.AttributesOf(cloudEvent.RootElement) };

        Assert.Equal(matches, SubscriptionMatcher.Matches(new SubscriptionFilter(null, null, null, null, false, parsed), keys));
        Assert.Equal(CloudEventFilters.ToJson(parsed!), CloudEventFilters.ToJson(CloudEventFilters.FromStored(CloudEventFilters.ToJson(parsed!))!));
    }

    [Theory]
    [InlineData("""{"exact":{"type":"x"}}""", "filters")]
    [InlineData("""[{"sql":"type = 'x'"}]""", "filters[0].sql")]
    [InlineData("""[{"exact":{"type":"x","source":"y"}}]""", "filters[0].exact")]
    [InlineData("""[{"exact":{"Type":"x"}}]""", "filters[0].exact")]
    [InlineData("""[{"exact":{"type":""}}]""", "filters[0].exact")]
    [InlineData("""[{"all":[]}]""", "filters[0].all")]
    [InlineData("""[{"not":{"prefix":{"type":1}}}]""", "filters[0].not.prefix")]
    [InlineData("""[{"exact":{"type":"x"},"prefix":{"type":"y"}}]""", "filters[0]")]
    public void MalformedFilters_AreErrorsNamingTheExpression(string filters, string field)
    {
        using var document = System.Text.Json.JsonDocument.Parse(filters);
        var errors = new Dictionary<string, string[]>();

        Assert.Null(CloudEventFilters.Parse(document.RootElement, "filters", errors));
        Assert.True(errors.ContainsKey(field), string.Join(", ", errors.Keys));
    }

    private static SubscriptionFilter Filter(string? resource = null, string? source = null, string? subject = null, string? type = null, bool includeSubunits = false) =>
        new(resource, source, subject, type is null ? null : [type], includeSubunits);

    private static EventMatchKeys Keys(string source, string? subject = "/party/50001", string? alternativeParty = null, string? mainUnit = null, string type = "app.instance.created") =>
        new("urn:altinn:resource:app_ttd_apps-test", SubscriptionMatcher.SourcePrefixes(source), subject, alternativeParty, mainUnit, type);
}
