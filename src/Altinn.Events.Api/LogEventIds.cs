namespace Altinn.Events.Api;

/// <summary>
/// The log event ids of this project, one constant each, so an id is chosen here and nowhere else. Ids are unique
/// across the solution (both hosts log from several projects); each project owns the ranges below, and
/// <c>Foundation/LogEventIdTests</c> fails on an id used twice, outside its project's ranges, or not listed here.
/// The table of every project's ranges is in docs/architecture.md ("Log event ids").
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>3200-3299</term><description>publishing: the outbox relay</description></item>
/// <item><term>3300-3399</term><description>errors: dependency outages</description></item>
/// <item><term>4000-4009</term><description>subscriptions</description></item>
/// <item><term>5050-5099</term><description>delivery: redelivery</description></item>
/// <item><term>6000-6099</term><description>operations: poison queues</description></item>
/// <item><term>8100-8149</term><description>subscriptions: changes</description></item>
/// <item><term>8500-8599</term><description>subscriber tools</description></item>
/// <item><term>8600-8699</term><description>analytics: the aggregator and its retention</description></item>
/// <item><term>8800-8809</term><description>queries: the holder indexer and its retention</description></item>
/// </list>
/// </remarks>
internal static class LogEventIds
{
    /// <summary>The ranges this project owns, inclusive.</summary>
    public static readonly IReadOnlyList<(int First, int Last)> Ranges = [(3200, 3299), (3300, 3399), (4000, 4009), (5050, 5099), (6000, 6099), (8100, 8149), (8500, 8599), (8600, 8699), (8800, 8809)];

    // publishing: the outbox relay
    public const int RelayFailed = 3201;
    public const int Resent = 3202;

    // errors: dependency outages
    public const int Unavailable = 3301;

    // subscriptions
    public const int Created = 4001;
    public const int Deleted = 4002;
    public const int EnqueueFailed = 4003;

    // delivery: redelivery
    public const int Redelivered = 5050;

    // operations: poison queues
    public const int Redriven = 6001;
    public const int Discarded = 6002;

    // subscriptions: changes
    public const int Changed = 8101;

    // subscriber tools
    public const int TestEventQueued = 8500;
    public const int TestEventMessageFailed = 8501;

    // analytics: the aggregator and its retention
    public const int AnalyticsCounted = 8600;
    public const int AnalyticsFailed = 8601;
    public const int AnalyticsRowsDeleted = 8602;

    // queries: the holder indexer and its retention
    public const int HolderIndexed = 8800;
    public const int HolderIndexFailed = 8801;
    public const int HolderRowsDeleted = 8802;
    public const int HolderWithdrawnDeleted = 8803;
}
