namespace Altinn.Events.Stages;

/// <summary>
/// The log event ids of this project, one constant each, so an id is chosen here and nowhere else. Ids are unique
/// across the solution (both hosts log from several projects); each project owns the ranges below, and
/// <c>Foundation/LogEventIdTests</c> fails on an id used twice, outside its project's ranges, or not listed here.
/// The table of every project's ranges is in docs/architecture.md ("Log event ids").
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>4010-4019</term><description>endpoint validation</description></item>
/// <item><term>5000-5049</term><description>outbound pushes</description></item>
/// <item><term>6100-6199</term><description>inbound matching</description></item>
/// <item><term>8700-8709</term><description>outbound: batched pushes, allowed rate</description></item>
/// <item><term>8720-8799</term><description>validation: the OPTIONS handshake</description></item>
/// </list>
/// </remarks>
internal static class LogEventIds
{
    /// <summary>The ranges this project owns, inclusive.</summary>
    public static readonly IReadOnlyList<(int First, int Last)> Ranges = [(4010, 4019), (5000, 5049), (6100, 6199), (8700, 8709), (8720, 8799)];

    // endpoint validation
    public const int Validated = 4010;
    public const int ValidationFunctionAttemptFailed = 4011;
    public const int ValidationFunctionGaveUp = 4012;
    public const int SubscriptionGone = 4013;
    public const int Stale = 4014;
    public const int Resent = 4015;
    public const int SweepFailed = 4016;

    // outbound pushes
    public const int Delivered = 5000;
    public const int OutboundAttemptFailed = 5001;
    public const int OutboundGaveUp = 5002;
    public const int Gone = 5003;
    public const int Skipped = 5004;
    public const int NotQueued = 5005;
    public const int EndpointOpen = 5006;
    public const int Disabled = 5007;
    public const int PushFailed = 5008;
    public const int SchedulerFailed = 5009;
    public const int Probing = 5010;
    public const int Draining = 5011;
    public const int Drained = 5012;
    public const int RecordRetried = 5013;

    // inbound matching
    public const int Matched = 6101;

    // outbound: batched pushes, allowed rate
    public const int BatchPushed = 8700;
    public const int RateDeferred = 8701;

    // validation: the OPTIONS handshake
    public const int HandshakeRefused = 8720;
}
