namespace Altinn.Events.Client.AspNetCore;

/// <summary>
/// The log event ids of this package, one constant each, so an id is chosen here and nowhere else. The package logs in a
/// consumer's process, next to the service's own projects' ids in the sample and the tests, so it keeps to the ranges
/// below; <c>Foundation/LogEventIdTests</c> fails on an id used twice, outside these ranges, or not listed here. The
/// table of every project's ranges is in docs/architecture.md ("Log event ids").
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>8400-8479</term><description>the webhook receiver</description></item>
/// <item><term>8710-8719</term><description>the webhook handshake (OPTIONS)</description></item>
/// </list>
/// </remarks>
internal static class LogEventIds
{
    /// <summary>The ranges this package owns, inclusive.</summary>
    public static readonly IReadOnlyList<(int First, int Last)> Ranges = [(8400, 8479), (8710, 8719)];

    // the webhook receiver
    public const int Rejected = 8400;
    public const int Unreadable = 8401;
    public const int ValidationAnswered = 8402;
    public const int Duplicate = 8403;
    public const int HandlerFailed = 8404;
    public const int Handled = 8405;

    // the webhook handshake
    public const int HandshakeAnswered = 8710;
    public const int HandshakeRefused = 8711;
}
