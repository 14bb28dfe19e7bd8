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

    private static SubscriptionFilter Filter(string? resource = null, string? source = null, string? subject = null, string? type = null, bool includeSubunits = false) =>
        new(resource, source, subject, type, includeSubunits);

    private static EventMatchKeys Keys(string source, string? subject = "/party/50001", string? alternativeParty = null, string? mainUnit = null, string type = "app.instance.created") =>
        new("urn:altinn:resource:app_ttd_apps-test", SubscriptionMatcher.SourcePrefixes(source), subject, alternativeParty, mainUnit, type);
}
