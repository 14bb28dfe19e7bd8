using System.Globalization;
using System.Xml;
using Altinn.Events.Api.Endpoints;
using Altinn.Events.Persistence.Operations;
using Azure;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Altinn.Events.Api.Operations;

internal static class OperatorEndpoints
{
    private const string DefaultOlderThan = "PT5M";
    private const int OverdueCap = 100_000;
    private const int OldestListed = 20;
    private const int EndpointsListed = 100;
    private static readonly TimeSpan MaxOlderThan = TimeSpan.FromDays(90);

    public static IEndpointRouteBuilder MapOperatorEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/operator")
            .RequireAuthorization(OperationsExtensions.Policy)
            .WithTags("Operator")
            .AddEndpointFilter(DependencyFilter)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/queues", ListQueuesAsync)
            .WithName("OperatorListQueues")
            .WithSummary("Every queue the service uses and its poison queue, with approximate message counts")
            .WithDescription("Operators only (app role Events.Operator). The count is the storage service's approximation and includes messages that are invisible while a stage works on them.");

        group.MapGet("/queues/{queue}/messages", PeekAsync)
            .WithName("OperatorPeekMessages")
            .WithSummary("The first visible messages of a queue, read without taking them")
            .WithDescription("Parameter max (1-32, default 32). Each message has its id, when it was inserted, its dequeue count and body; on a poison queue also the envelope's reason, failure time and original message, and whether redrive can send it back.");

        group.MapPost("/queues/{queue}/redrive", RedriveAsync)
            .WithName("OperatorRedrive")
            .WithSummary("Moves poison messages back to their queue with their original body")
            .WithDescription("Poison queues only. Body {\"messageIds\": [...]} or {\"max\": n} (1-1000; no body: 32). Sends each envelope's original body to the main queue and deletes the poison message only after the send succeeded (a failure between leaves a duplicate, never a loss). Messages that are not envelopes, and failed deliveries of the outbound stage (redeliver those per subscription), are skipped and stay.")
            .Accepts<OperatorActionRequest>("application/json");

        group.MapPost("/queues/{queue}/discard", DiscardAsync)
            .WithName("OperatorDiscard")
            .WithSummary("Deletes poison messages for good")
            .WithDescription("Poison queues only. Body {\"messageIds\": [...]} (from a peek) or {\"max\": n} (1-1000, from the front of the queue). Other messages stay and are visible again at once.")
            .Accepts<OperatorActionRequest>("application/json");

        group.MapGet("/backlog", BacklogAsync)
            .WithName("OperatorBacklog")
            .WithSummary("Stuck work: outbox depth and age, deliveries overdue past a threshold, failing and open endpoints")
            .WithDescription("Parameter olderThan (ISO 8601 duration, default PT5M, at most 90 days): deliveries not settled whose due time passed more than that ago, counted by status (at most 100 000 counted) with the oldest listed. Endpoints that are failing or open come with their parked deliveries.");
        return app;
    }

    private static async Task<Ok<OperatorQueueList>> ListQueuesAsync(QueueOperations queues, CancellationToken cancellationToken) =>
        TypedResults.Ok(new OperatorQueueList(await queues.ListAsync(cancellationToken)));

    private static async Task<Results<Ok<OperatorMessagePage>, ValidationProblem, ProblemResult<NotFound404>>> PeekAsync(
        string queue, string? max, QueueOperations queues, CancellationToken cancellationToken)
    {
        if (queues.Find(queue) is not { } known)
        {
            return UnknownQueue(queue, queues);
        }

        var count = QueueOperations.PeekLimit;
        if (max is not null && (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > QueueOperations.PeekLimit))
        {
            return Problems.Invalid("max", $"max must be a whole number from 1 to {QueueOperations.PeekLimit}.");
        }

        var messages = await queues.PeekAsync(known, count, cancellationToken);
        if (messages is null)
        {
            return Problems.NotFound($"Queue '{queue}' has not been created.", "Queue not found");
        }

        return TypedResults.Ok(new OperatorMessagePage(queue, messages));
    }

    private static Task<Results<Ok<RedriveResponse>, ValidationProblem, JsonBodyProblem, ProblemResult<NotFound404>>> RedriveAsync(
        string queue, HttpContext context, QueueOperations queues, CancellationToken cancellationToken) =>
        ActAsync(queue, context, queues, QueueOperations.PeekLimit, queues.RedriveAsync, cancellationToken);

    private static Task<Results<Ok<DiscardResponse>, ValidationProblem, JsonBodyProblem, ProblemResult<NotFound404>>> DiscardAsync(
        string queue, HttpContext context, QueueOperations queues, CancellationToken cancellationToken) =>
        ActAsync(queue, context, queues, null, queues.DiscardAsync, cancellationToken);

    /// <summary>Redrive and discard alike: read which messages of which poison queue, then act on them.</summary>
    private static async Task<Results<Ok<T>, ValidationProblem, JsonBodyProblem, ProblemResult<NotFound404>>> ActAsync<T>(
        string queue,
        HttpContext context,
        QueueOperations queues,
        int? defaultMax,
        Func<KnownQueue, IReadOnlySet<string>?, int, CancellationToken, Task<T>> act,
        CancellationToken cancellationToken)
    {
        var action = await ReadActionAsync(queue, context, queues, defaultMax, cancellationToken);
        if (action.Invalid is not null)
        {
            return action.Invalid;
        }

        if (action.Body is not null)
        {
            return action.Body;
        }

        if (action.Unknown is not null)
        {
            return action.Unknown;
        }

        return TypedResults.Ok(await act(action.Queue!, action.Ids, action.Max, cancellationToken));
    }

    private static async Task<Results<Ok<BacklogResponse>, ValidationProblem>> BacklogAsync(
        string? olderThan, BacklogStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var text = olderThan ?? DefaultOlderThan;
        TimeSpan threshold;
        try
        {
            threshold = XmlConvert.ToTimeSpan(text);
        }
        catch (FormatException)
        {
            return Problems.Invalid("olderThan", "olderThan must be an ISO 8601 duration such as PT5M or P1DT2H.");
        }
        catch (OverflowException)
        {
            return Problems.Invalid("olderThan", "olderThan is too large.");
        }

        if (threshold < TimeSpan.Zero || threshold > MaxOlderThan)
        {
            return Problems.Invalid("olderThan", "olderThan must be from PT0S to P90D.");
        }

        var now = time.GetUtcNow();
        var before = now - threshold;
        var backlog = await store.ReadAsync(before, OverdueCap, OldestListed, EndpointsListed, cancellationToken);
        var outbox = backlog.Outbox;
        return TypedResults.Ok(new BacklogResponse(
            now,
            new OutboxView(outbox.Depth, outbox.OldestSeq, outbox.OldestRegistered, outbox.OldestRegistered is { } r ? Seconds(now - r) : null),
            new OverdueView(
                XmlConvert.ToString(threshold),
                before,
                backlog.Overdue.Sum(o => o.Count),
                backlog.OverdueCapped,
                [.. backlog.Overdue.Select(o => new OverdueStatusView(o.Status, o.Count, o.OldestDue))],
                [.. backlog.Oldest.Select(d => new OverdueDeliveryView(d.SubscriptionId, d.Seq, d.Registered, d.Status, d.Due, Seconds(now - d.Due), d.Attempts, d.FirstFailedAt))]),
            [.. backlog.Endpoints.Select(e => new EndpointView(
                e.Id, e.EndPoint, e.State, e.ConsecutiveFailures, e.FailingSince, e.OpenedAt, e.NextProbeAt, e.LastError, e.ParkedDeliveries, e.Subscriptions))]));
    }

    /// <summary>The queue (a poison queue), and which of its messages: ids, or else up to max.</summary>
    private static async Task<ActionTarget> ReadActionAsync(
        string queue, HttpContext context, QueueOperations queues, int? defaultMax, CancellationToken cancellationToken)
    {
        if (queues.Find(queue) is not { } known)
        {
            return new ActionTarget(Unknown: UnknownQueue(queue, queues));
        }

        if (!known.IsPoison)
        {
            return new ActionTarget(Invalid: Problems.Invalid("queue", $"'{queue}' is not a poison queue; only poison queues ({queue}-poison) are re-driven or discarded."));
        }

        OperatorActionRequest? request = null;
        if (context.Request.ContentLength is not 0 && (context.Request.ContentLength is > 0 || context.Request.HasJsonContentType()))
        {
            (request, var error) = await JsonBody.ReadAsync<OperatorActionRequest>(context.Request, "The request is not valid.", cancellationToken);
            if (error is not null)
            {
                return new ActionTarget(Body: error);
            }
        }

        if (request?.MessageIds is { } ids)
        {
            if (request.Max is not null)
            {
                return new ActionTarget(Invalid: Problems.Invalid("max", "Give messageIds or max, not both."));
            }

            if (ids.Count is 0 or > QueueOperations.ActionLimit || ids.Any(string.IsNullOrWhiteSpace))
            {
                return new ActionTarget(Invalid: Problems.Invalid("messageIds", $"messageIds must hold 1 to {QueueOperations.ActionLimit} message ids from a peek."));
            }

            return new ActionTarget(known, ids.ToHashSet(StringComparer.Ordinal), ids.Count);
        }

        var max = request?.Max ?? defaultMax;
        if (max is null)
        {
            return new ActionTarget(Invalid: Problems.Invalid("messageIds", "Give messageIds (from a peek) or max (how many from the front of the queue)."));
        }

        if (max is < 1 or > QueueOperations.ActionLimit)
        {
            return new ActionTarget(Invalid: Problems.Invalid("max", $"max must be from 1 to {QueueOperations.ActionLimit}."));
        }

        return new ActionTarget(known, null, max.Value);
    }

    /// <summary>A storage or database outage is a 503 the operator can retry, not a 500.</summary>
    private static async ValueTask<object?> DependencyFilter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (RequestFailedException ex) when (ex.Status is 0 or >= 500)
        {
            return Unavailable("The queue service is unavailable");
        }
        catch (NpgsqlException)
        {
            return Unavailable("The database is unavailable");
        }
        catch (HttpRequestException)
        {
            return Unavailable("The queue service is unavailable");
        }
    }

    private static ProblemHttpResult Unavailable(string title)
    {
        return TypedResults.Problem("Nothing was changed that is not reported; try again shortly.", statusCode: StatusCodes.Status503ServiceUnavailable, title: title);
    }

    private static ProblemResult<NotFound404> UnknownQueue(string queue, QueueOperations queues) => Problems.NotFound(
        $"There is no queue '{queue}' in this service. Known queues: {string.Join(", ", queues.Known().Select(q => q.Name))}.",
        "Unknown queue");

    private static double Seconds(TimeSpan span) => Math.Round(span.TotalSeconds, 3);

    private sealed record ActionTarget(KnownQueue? Queue = null, IReadOnlySet<string>? Ids = null, int Max = 0, ValidationProblem? Invalid = null, JsonBodyProblem? Body = null, ProblemResult<NotFound404>? Unknown = null);
}
