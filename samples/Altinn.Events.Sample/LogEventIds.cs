namespace Altinn.Events.Sample;

/// <summary>
/// The log event ids of the sample app, one constant each, inside its range (8480-8499), so they do not collide with the
/// client packages it uses; <c>Foundation/LogEventIdTests</c> fails on an id used twice, outside the range, or not
/// listed here. The table of every project's ranges is in docs/architecture.md ("Log event ids").
/// </summary>
internal static class LogEventIds
{
    /// <summary>The ranges the sample owns, inclusive.</summary>
    public static readonly IReadOnlyList<(int First, int Last)> Ranges = [(8480, 8499)];

    public const int Subscribed = 8480;
    public const int Unsubscribed = 8481;
    public const int Pushed = 8482;
    public const int Polled = 8483;
    public const int Published = 8484;
}
