namespace Altinn.Events.Persistence;

/// <summary>
/// The log event ids of this project, one constant each, so an id is chosen here and nowhere else. Ids are unique
/// across the solution (both hosts log from several projects); each project owns the ranges below, and
/// <c>Foundation/LogEventIdTests</c> fails on an id used twice, outside its project's ranges, or not listed here.
/// The table of every project's ranges is in docs/architecture.md ("Log event ids").
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>2000-2099</term><description>migrations</description></item>
/// <item><term>3100-3199</term><description>event storage: partitions, group commit</description></item>
/// </list>
/// </remarks>
internal static class LogEventIds
{
    /// <summary>The ranges this project owns, inclusive.</summary>
    public static readonly IReadOnlyList<(int First, int Last)> Ranges = [(2000, 2099), (3100, 3199)];

    // migrations
    public const int MigrationApplied = 2001;
    public const int MigrationRewritten = 2002;

    // event storage: partitions, group commit
    public const int PartitionsDropped = 3101;
    public const int PartitionMaintenanceFailed = 3102;
    public const int GroupFailed = 3103;
}
