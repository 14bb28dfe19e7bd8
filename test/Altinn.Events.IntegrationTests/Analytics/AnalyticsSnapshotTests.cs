using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Events;

namespace Altinn.Events.IntegrationTests.Analytics;

/// <summary>The API host with an aggregator that counts in batches of 7 events, as often as it can.</summary>
public sealed class SmallBatchAnalyticsApiFixture : ApiFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Analytics:PollInterval"] = "00:00:00.010";
        settings["Analytics:BatchSize"] = "7";
    }
}

/// <summary>
/// An app's figures are read in one snapshot: while the aggregator commits hundreds of small batches, every answer of
/// <c>GET /analytics/app/{org}/{app}</c> counts as many <c>created</c> and <c>completed</c> events per hour as it counts
/// instances created and completed, and as many <c>movedTo.Task_1</c> events as instances reaching Task_1.
/// </summary>
public sealed class AnalyticsSnapshotTests(SmallBatchAnalyticsApiFixture api) : IClassFixture<SmallBatchAnalyticsApiFixture>
{
    private const string App = "urn:altinn:resource:app_ttd_apps-test";
    private const int Instances = 1_500;
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task EveryAnswer_DuringCatchUp_CountsEventsAndInstancesOfTheSameMoment()
    {
        // 1 500 instances of three steps each, stored in one transaction: the aggregator then needs about 640 batches.
        var now = DateTimeOffset.UtcNow;
        var events = new List<NewEvent>();
        for (var i = 0; i < Instances; i++)
        {
            var source = $"https://ttd.apps.altinn.no/ttd/apps-test/instances/50001/{Guid.NewGuid()}";
            foreach (var (type, offset) in new[] { ("app.instance.created", 0), ("app.instance.process.movedTo.Task_1", 1), ("app.instance.process.completed", 2) })
            {
                var json = $$"""{"specversion":"1.0","id":"{{Guid.NewGuid()}}","type":"{{type}}","source":"{{source}}"}""";
                events.Add(new NewEvent(Guid.NewGuid().ToString(), source, App, type, "/party/50001", null, 50001, now.AddMilliseconds(offset), json, "/app/ttd/apps-test"));
            }
        }

        await using (var connection = await api.Database.DataSource.OpenConnectionAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await EventStore.InsertAsync(connection, transaction, events, TimeProvider.System, CancellationToken.None);
            await transaction.CommitAsync();
        }

        using var owner = api.Client(TestTokens.ForOrg("ttd"));
        var path = $"/events/api/v1/analytics/app/ttd/apps-test?interval=hour&from={Uri.EscapeDataString(now.AddHours(-2).ToString("O"))}";
        var midway = 0;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        Figures figures;
        do
        {
            var response = await owner.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            figures = (await response.Content.ReadFromJsonAsync<Figures>(JsonOptions))!;
            var created = figures.Events.Where(e => e.Type == "app.instance.created").Sum(e => e.Count);
            var moved = figures.Events.Where(e => e.Type == "app.instance.process.movedTo.Task_1").Sum(e => e.Count);
            var completed = figures.Events.Where(e => e.Type == "app.instance.process.completed").Sum(e => e.Count);
            var reached = figures.Funnel.Where(f => f.Task == "Task_1").Sum(f => f.Instances);
            Assert.True(
                created == figures.InstancesCreated && completed == figures.InstancesCompleted && moved == reached,
                $"Events counted: {created} created, {moved} Task_1, {completed} completed; instances: {figures.InstancesCreated} created, {reached} reaching Task_1, {figures.InstancesCompleted} completed.");
            if (figures.InstancesCompleted is > 0 and < Instances)
            {
                midway++;
            }
        }
        while (figures.InstancesCompleted < Instances && DateTime.UtcNow < deadline);

        Assert.Equal(Instances, figures.InstancesCompleted);

        // The answers above were read while batches were being committed, or the test proved nothing.
        Assert.True(midway >= 20, $"Only {midway} answers were read while the aggregator was catching up.");
    }

    public sealed record TypeCount(string Type, DateTimeOffset Start, long Count);

    public sealed record Funnel(string Task, long Instances);

    public sealed record Figures(List<TypeCount> Events, long InstancesCreated, long InstancesCompleted, List<Funnel> Funnel);
}
