namespace Altinn.Events.Authorization;

/// <summary>
/// The log event ids of this project, one constant each, so an id is chosen here and nowhere else. Ids are unique
/// across the solution (both hosts log from several projects); each project owns the ranges below, and
/// <c>Foundation/LogEventIdTests</c> fails on an id used twice, outside its project's ranges, or not listed here.
/// The table of every project's ranges is in docs/architecture.md ("Log event ids").
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>3000-3099</term><description>policies, the remote PDP, the register, tokens</description></item>
/// </list>
/// </remarks>
internal static class LogEventIds
{
    /// <summary>The ranges this project owns, inclusive.</summary>
    public static readonly IReadOnlyList<(int First, int Last)> Ranges = [(3000, 3099)];

    // policies, the remote PDP, the register, tokens
    public const int PolicyMissing = 3001;
    public const int PolicyUnreadable = 3002;
    public const int EvaluationFailed = 3003;
    public const int UnsupportedResource = 3004;
    public const int UnsupportedConsumer = 3005;
    public const int PolicyReadFailed = 3006;
    public const int RemoteFailed = 3010;
    public const int RegisterFailed = 3011;
    public const int TokenFailed = 3020;
}
