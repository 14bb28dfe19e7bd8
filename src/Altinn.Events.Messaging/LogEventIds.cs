namespace Altinn.Events.Messaging;

/// <summary>
/// The log event ids of this project, one constant each, so an id is chosen here and nowhere else. Ids are unique
/// across the solution (both hosts log from several projects); each project owns the ranges below, and
/// <c>Foundation/LogEventIdTests</c> fails on an id used twice, outside its project's ranges, or not listed here.
/// The table of every project's ranges is in docs/architecture.md ("Log event ids").
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>1000-1099</term><description>queue listener (1001-1019) and wake-ups (1020-1099)</description></item>
/// <item><term>4020-4029</term><description>the webhook client: addresses refused</description></item>
/// </list>
/// </remarks>
internal static class LogEventIds
{
    /// <summary>The ranges this project owns, inclusive.</summary>
    public static readonly IReadOnlyList<(int First, int Last)> Ranges = [(1000, 1099), (4020, 4029)];

    // queue listener (1001-1019) and wake-ups (1020-1099)
    public const int ListenerStarted = 1001;
    public const int ListenerStopped = 1002;
    public const int ReceiveFailed = 1003;
    public const int Draining = 1004;
    public const int TransientFailure = 1005;
    public const int MovedToPoison = 1006;
    public const int Released = 1007;
    public const int LeaseLost = 1008;
    public const int RenewFailed = 1009;
    public const int SettleFailed = 1010;
    public const int DependencyUnavailable = 1011;
    public const int NotifyFailed = 1020;
    public const int Listening = 1021;
    public const int ListenFailed = 1022;

    // the webhook client: addresses refused
    public const int WebhookAddressBlocked = 4020;
    public const int WebhookPortBlocked = 4021;
}
