namespace Altinn.Events.Client;

/// <summary>How <see cref="AltinnEventsClient.PollAsync"/> runs.</summary>
public sealed record PollOptions
{
    /// <summary>Where the position is kept between runs; null: only in memory for this enumeration.</summary>
    public ICursorStore? CursorStore { get; init; }

    /// <summary>The key in <see cref="CursorStore"/>; default <see cref="EventQuery.CursorKey"/>. Give each consumer of the same query its own.</summary>
    public string? CursorKey { get; init; }

    /// <summary>How long to wait before polling again once caught up (a page without <c>next</c>).</summary>
    public TimeSpan CaughtUpDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>End the enumeration once caught up instead of waiting for more (batch jobs, tests).</summary>
    public bool StopWhenCaughtUp { get; init; }
}

/// <summary>One page of a query.</summary>
/// <param name="Events">The events, oldest first.</param>
/// <param name="NextCursor">The cursor of the following page (from the <c>next</c> header); null when caught up. A page may be empty and still have one: follow it at once.</param>
public sealed record EventPage(IReadOnlyList<CloudNative.CloudEvents.CloudEvent> Events, string? NextCursor);
