using System.Net;
using System.Text.Json.Nodes;
using Altinn.Events.Cli.Generators;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;
using Altinn.Events.Persistence.Events;
using Dapper;

namespace Altinn.Events.IntegrationTests.Inbound;

/// <summary>
/// The benchmark data generator's subscriptions with issue 18's filters (type lists, trailing-wildcard prefixes,
/// CloudEvents filters): the rows are what the API stores for the same request, the shares hold, a seed gives the same
/// mix, and the inbound stage matches each variant as its request says.
/// </summary>
public sealed class GeneratedSubscriptionsTests(GeneratedSubscriptionsTests.GeneratedFixture fixture, SubscriptionsApiFixture api)
    : IClassFixture<GeneratedSubscriptionsTests.GeneratedFixture>, IClassFixture<SubscriptionsApiFixture>
{
    private const int Count = 20_000;
    private const int Seed = 11;

    private static readonly string[] Types = ["app.instance.created", "app.instance.process.movedTo.Task_1", "app.instance.process.completed"];

    /// <summary>
    /// Which of <see cref="Types"/> (created, movedTo.Task_1, completed) each variant lets through, written out by hand
    /// from the requests in <see cref="SubscriptionMix"/>.
    /// </summary>
    public static TheoryData<SubscriptionKind, int, bool[]> Expected => new()
    {
        { SubscriptionKind.TypeList, 0, [true, false, true] },
        { SubscriptionKind.TypeList, 1, [false, true, true] },
        { SubscriptionKind.TypeList, 2, [true, true, true] },
        { SubscriptionKind.TypePrefix, 0, [false, true, true] },
        { SubscriptionKind.TypePrefix, 1, [true, true, true] },
        { SubscriptionKind.TypePrefix, 2, [true, true, true] },
        { SubscriptionKind.Filters, 0, [true, true, true] },
        { SubscriptionKind.Filters, 1, [false, true, true] },
        { SubscriptionKind.Filters, 2, [false, true, true] },
        { SubscriptionKind.Filters, 3, [true, false, false] },
        { SubscriptionKind.Filters, 4, [true, false, true] },
        { SubscriptionKind.Filters, 5, [true, false, true] },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public async Task EveryVariant_IsStoredAsTheApiStoresTheSameRequest(SubscriptionKind kind, int variant, bool[] expected)
    {
        Assert.Equal(3, expected.Length);
        var (typeFilter, filters) = SubscriptionMix.Request(kind, variant, "ttd", "apps-test");
        var body = new JsonObject
        {
            ["endPoint"] = $"https://hooks.example/{Guid.NewGuid():N}",
            ["resourceFilter"] = "urn:altinn:resource:app_ttd_apps-test",
            ["subjectFilter"] = "/party/50001",
            ["typeFilter"] = typeFilter is null ? null : JsonNode.Parse(typeFilter),
            ["filters"] = filters is null ? null : JsonNode.Parse(filters),
        };
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var response = await client.PostAsync(SubscriptionBuilder.Path, new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<Guid>();

        var (types, json) = SubscriptionMix.Stored(kind, variant, "ttd", "apps-test");
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<Row>(
            "SELECT type_filter AS TypeFilter, filters::text AS Filters, @json::jsonb::text AS Generated FROM subscriptions WHERE id = @id", new { id, json });
        Assert.Equal(types, row.TypeFilter);
        Assert.Equal(row.Filters, row.Generated);
        Assert.Equal(kind == SubscriptionKind.Filters, row.Filters is not null);
    }

    [Fact]
    public async Task GeneratedRows_HoldTheShares_TheStoredForms_AndTheSameMixForTheSameSeed()
    {
        await using var connection = await fixture.Database.DataSource.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<Row>(
            $"SELECT {Columns} FROM subscriptions WHERE created = (SELECT min(created) FROM subscriptions)")).ToList();
        Assert.Equal(Count, rows.Count);

        var users = rows.Where(r => r.Subject is not null).ToList();
        var owners = rows.Where(r => r.Subject is null).ToList();
        Assert.Equal(Count / 1000, owners.Count);
        Assert.All(owners, o => Assert.True(o.TypeFilter is null && o.Filters is null));

        var prefixes = users.Count(r => r.TypeFilter is { } t && t.Any(e => e.EndsWith(".*", StringComparison.Ordinal)));
        var lists = users.Count(r => r.TypeFilter is { } t && !t.Any(e => e.EndsWith(".*", StringComparison.Ordinal)));
        var filtered = users.Count(r => r.Filters is not null);
        Assert.InRange(lists / (double)users.Count, 0.18, 0.22);
        Assert.InRange(prefixes / (double)users.Count, 0.085, 0.115);
        Assert.InRange(filtered / (double)users.Count, 0.18, 0.22);
        Assert.DoesNotContain(users, r => r.TypeFilter is not null && r.Filters is not null);

        // Every filtered row holds one variant's stored form for its own app (jsonb's text on both sides).
        var forms = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var resource in users.Where(r => r.Filters is not null).Select(r => r.Resource).Distinct())
        {
            var (org, app) = AppOf(resource);
            var generated = Enumerable.Range(0, SubscriptionMix.FilterTemplates.Count).Select(v => SubscriptionMix.Stored(SubscriptionKind.Filters, v, org, app).FiltersJson!).ToArray();
            forms[resource] = [.. await connection.QueryAsync<string>("SELECT f::jsonb::text FROM unnest(@generated) f", new { generated })];
        }

        Assert.All(users.Where(r => r.Filters is not null), r => Assert.Contains(r.Filters!, forms[r.Resource]));
        Assert.Contains(users, r => r.Filters is not null && r.Filters.Contains("\"not\"", StringComparison.Ordinal) && r.Filters.Contains("\"any\"", StringComparison.Ordinal));

        // The same seed again gives the same subscriptions, in the same order.
        await TestDataGenerator.GenerateSubscriptionsAsync(fixture.Database.DataSource, 2_000, Seed, CancellationToken.None);
        var again = (await connection.QueryAsync<Row>(
            $"SELECT {Columns} FROM subscriptions WHERE created = (SELECT max(created) FROM subscriptions) ORDER BY end_point COLLATE \"C\"")).ToList();
        var first = (await connection.QueryAsync<Row>(
            $"SELECT {Columns} FROM subscriptions WHERE created = (SELECT min(created) FROM subscriptions) AND split_part(end_point, '/', 4)::int < 2000 ORDER BY end_point COLLATE \"C\"")).ToList();
        Assert.Equal(2_000, again.Count);
        Assert.Equal(first.Select(Key), again.Select(Key));
        await connection.ExecuteAsync("DELETE FROM subscriptions WHERE created = (SELECT max(created) FROM subscriptions)");

        static string Key(Row r) =>
            $"{r.Consumer}|{r.Resource}|{r.Subject}|{string.Join(",", r.TypeFilter ?? [])}|{r.Filters}";
    }

    [Theory]
    [MemberData(nameof(Expected))]
    public async Task TheInboundStage_MatchesEachGeneratedVariant_AsItsRequestSays(SubscriptionKind kind, int variant, bool[] expected)
    {
        // Generated subscriptions of this variant (found by their stored form), then an event of each type built from them.
        await using var connection = await fixture.Database.DataSource.OpenConnectionAsync();
        var candidates = (await connection.QueryAsync<Row>(
            $"SELECT {Columns} FROM subscriptions WHERE subject_filter IS NOT NULL AND (type_filter IS NOT NULL OR filters IS NOT NULL)")).ToList();
        var picked = new List<(Guid Id, string Resource, string Subject)>();
        foreach (var c in candidates)
        {
            var (org, app) = AppOf(c.Resource);
            var (types, json) = SubscriptionMix.Stored(kind, variant, org, app);
            var same = json is null
                ? c.Filters is null && types!.SequenceEqual(c.TypeFilter ?? [])
                : c.Filters == await connection.ExecuteScalarAsync<string>("SELECT @json::jsonb::text", new { json });
            if (same)
            {
                picked.Add((c.Id, c.Resource, c.Subject!));
            }

            if (picked.Count == 3)
            {
                break;
            }
        }

        Assert.NotEmpty(picked);
        var events = new List<(Guid Subscription, int Type, NewEvent Event)>();
        foreach (var (id, resource, subject) in picked)
        {
            var (org, app) = AppOf(resource);
            var party = int.Parse(subject["/party/".Length..], System.Globalization.CultureInfo.InvariantCulture);
            for (var t = 0; t < Types.Length; t++)
            {
                var eventId = Guid.NewGuid().ToString();
                var source = $"https://{org}.apps.altinn.no/{org}/{app}/instances/{party}/{Guid.NewGuid()}";
                var cloudEvent = new JsonObject
                {
                    ["specversion"] = "1.0", ["id"] = eventId, ["source"] = source, ["type"] = Types[t], ["subject"] = subject,
                    ["resource"] = resource, ["resourceinstance"] = $"{party}/1", ["alternativesubject"] = "/person/01017012345",
                };
                events.Add((id, t, new NewEvent(eventId, source, resource, Types[t], subject, null, party, DateTimeOffset.UtcNow, cloudEvent.ToJsonString())));
            }
        }

        var refs = await fixture.StoreAsync([.. events.Select(e => e.Event)]);
        await fixture.SendInboundAsync(refs);
        await fixture.WaitForInboundAsync();

        var seqs = await connection.QueryAsync<(string Id, long Seq)>("SELECT id, seq FROM events WHERE id = ANY(@ids)", new { ids = events.Select(e => e.Event.Id).ToArray() });
        var seqOf = seqs.ToDictionary(s => s.Id, s => s.Seq);
        foreach (var (subscription, type, e) in events)
        {
            var recorded = (await fixture.DeliveriesAsync(seqOf[e.Id])).Any(d => d.SubscriptionId == subscription);
            Assert.True(expected[type] == recorded, $"{kind} {variant}: {Types[type]} should {(expected[type] ? string.Empty : "not ")}match subscription {subscription}");
        }
    }

    private const string Columns = "id AS Id, consumer AS Consumer, resource_filter AS Resource, subject_filter AS Subject, type_filter AS TypeFilter, filters::text AS Filters";

    // Dapper reads text[] only into settable properties.
    private sealed class Row
    {
        public Guid Id { get; set; }

        public string Consumer { get; set; } = string.Empty;

        public string Resource { get; set; } = string.Empty;

        public string? Subject { get; set; }

        public string[]? TypeFilter { get; set; }

        public string? Filters { get; set; }

        public string? Generated { get; set; }
    }

    private static (string Org, string App) AppOf(string resource)
    {
        var parts = resource["urn:altinn:resource:app_".Length..].Split('_', 2);
        return (parts[0], parts[1]);
    }

    /// <summary>The inbound stage over <see cref="Count"/> generated subscriptions in the default mix (seed <see cref="Seed"/>).</summary>
    public sealed class GeneratedFixture : InboundFixture
    {
        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await TestDataGenerator.GenerateSubscriptionsAsync(Database.DataSource, Count, Seed, CancellationToken.None);
        }
    }
}
