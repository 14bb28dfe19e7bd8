using System.Net;
using System.Text;
using Altinn.Events.Api.Publishing;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Events;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Altinn.Events.IntegrationTests.Limits;

/// <summary>Holds writes at a gate the test opens, then passes them on to the real group-commit writer.</summary>
public sealed class GatedWriter(IEventWriter inner) : IEventWriter
{
    private TaskCompletionSource _gate = Opened();
    private int _waiting;

    public int Waiting => Volatile.Read(ref _waiting);

    public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _gate.TrySetResult();

    public async Task<WriteResult> WriteAsync(IReadOnlyList<NewEvent> events, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _gate.Task;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        return await inner.WriteAsync(events, cancellationToken);
    }

    private static TaskCompletionSource Opened()
    {
        var gate = new TaskCompletionSource();
        gate.SetResult();
        return gate;
    }
}

/// <summary>The API with the smallest bytes-in-flight budget (64 KB) and a gated writer.</summary>
public sealed class SmallAdmissionFixture : ApiFixture
{
    public GatedWriter Writer => (GatedWriter)Factory.Services.GetRequiredService<IEventWriter>();

    internal PublishAdmission Admission => Factory.Services.GetRequiredService<PublishAdmission>();

    protected override void Configure(Dictionary<string, string?> settings) => settings["Publishing:MaxBytesInFlight"] = "65536";

    protected override void ConfigureServices(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<IEventWriter>(sp => new GatedWriter(sp.GetRequiredService<GroupCommitEventWriter>())));
}

/// <summary>
/// Admission control by bytes in flight: a publish the budget cannot hold is a 503 with Retry-After before its body is
/// read, nothing of it is stored, and bytes stay reserved until their events are committed (even if the client left).
/// </summary>
public sealed class AdmissionTests(SmallAdmissionFixture api) : IClassFixture<SmallAdmissionFixture>
{
    private const string Events = "/events/api/v1/events";

    [Fact]
    public async Task APublishTheBudgetCannotHold_Is503WithRetryAfter_StoresNothing_AndIsAcceptedOnceTheFirstCommitted()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var first = Large();
        var second = Large();
        api.Writer.Close();
        try
        {
            var firstCall = client.PostAsync(Events, Body(first));
            await WaitAsync(() => api.Writer.Waiting == 1);

            var refused = await client.PostAsync(Events, Body(second));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            Assert.Equal(0, await CountAsync(second.Id));

            api.Writer.Open();
            Assert.Equal(HttpStatusCode.OK, (await firstCall).StatusCode);
            Assert.Equal(1, await CountAsync(first.Id));
        }
        finally
        {
            api.Writer.Open();
        }

        await WaitAsync(() => api.Admission.InFlight == 0);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(Events, Body(second))).StatusCode);
        Assert.Equal(1, await CountAsync(second.Id));
    }

    [Fact]
    public async Task AClientThatGivesUp_KeepsItsBytesReserved_UntilItsEventsAreCommitted()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var abandoned = Large();
        api.Writer.Close();
        try
        {
            using var giveUp = new CancellationTokenSource();
            var call = client.PostAsync(Events, Body(abandoned), giveUp.Token);
            await WaitAsync(() => api.Writer.Waiting == 1);
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

            // Its events still wait for their commit in memory, so they still count.
            Assert.True(api.Admission.InFlight > 0);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostAsync(Events, Body(Large()))).StatusCode);
        }
        finally
        {
            api.Writer.Open();
        }

        await WaitAsync(() => api.Admission.InFlight == 0);
        Assert.Equal(1, await CountAsync(abandoned.Id));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(Events, Body(Large()))).StatusCode);
    }

    // About 40 KB: one fits the 64 KB budget, two do not.
    private static EventBuilder Large() => EventBuilder.Generic().With("data", new string('d', 40_000));

    private static StringContent Body(EventBuilder e) => new(e.Json(), Encoding.UTF8, "application/cloudevents+json");

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(10);
        }
    }

    private async Task<long> CountAsync(string id)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM events WHERE id = @id", new { id });
    }
}
