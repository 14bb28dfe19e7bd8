using System.Buffers.Binary;

namespace Altinn.Events.Core.Events;

/// <summary>
/// A position in the store's sequence: everything at or below <see cref="Seq"/> is behind it. <see cref="Floor"/> is a
/// registration time every event after the position was registered at or after, so a read from here can skip the day
/// partitions before it. Sequence numbers commit in order (the write lock), so a position never moves past an event
/// that commits later.
/// </summary>
/// <param name="Seq">The last sequence number behind the position (0: before every event).</param>
/// <param name="Floor">No event with a higher sequence number was registered before this.</param>
public readonly record struct StorePosition(long Seq, DateTimeOffset Floor)
{
    /// <summary>
    /// How far the clocks of two writers may disagree. Registration times ascend with seq within one writer; across
    /// writers an event with a higher seq may carry a registration time up to this much earlier.
    /// </summary>
    public static readonly TimeSpan ClockMargin = TimeSpan.FromMinutes(5);

    /// <summary>Before every event.</summary>
    public static StorePosition Start { get; } = new(0, DateTimeOffset.MinValue);

    /// <summary>Right after a stored event: the events after it were registered no earlier than its time less the margin.</summary>
    public static StorePosition After(long seq, DateTimeOffset registered) => new(seq, Earlier(registered, ClockMargin));

    /// <summary>Subtracts without running below <see cref="DateTimeOffset.MinValue"/>.</summary>
    public static DateTimeOffset Earlier(DateTimeOffset time, TimeSpan by) =>
        time - DateTimeOffset.MinValue <= by ? DateTimeOffset.MinValue : time - by;
}

/// <summary>
/// The opaque cursor of the query API's <c>next</c> links: a <see cref="StorePosition"/> (sequence number and
/// registration floor) as 22 base64url characters. It names a place in the store, never an event, so it is unambiguous
/// where event ids are not (an id is unique only per publisher, resource and source).
/// </summary>
public static class QueryCursor
{
    private const byte Version = 1;
    private const int Bytes = 1 + 8 + 8;

    public static string Encode(StorePosition position)
    {
        Span<byte> buffer = stackalloc byte[Bytes];
        buffer[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(buffer[1..], position.Seq);
        BinaryPrimitives.WriteInt64BigEndian(buffer[9..], position.Floor.UtcTicks);
        return Convert.ToBase64String(buffer).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The position, or null when <paramref name="text"/> is not a cursor this service made.</summary>
    public static StorePosition? TryDecode(string? text)
    {
        // 17 bytes are 23 base64 characters without padding.
        if (text is not { Length: 23 } || text.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            return null;
        }

        var base64 = text.Replace('-', '+').Replace('_', '/') + "=";
        Span<byte> buffer = stackalloc byte[Bytes + 1];
        if (!Convert.TryFromBase64String(base64, buffer, out var written) || written != Bytes || buffer[0] != Version)
        {
            return null;
        }

        var seq = BinaryPrimitives.ReadInt64BigEndian(buffer[1..]);
        var ticks = BinaryPrimitives.ReadInt64BigEndian(buffer[9..]);
        if (seq < 0 || ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return null;
        }

        return new StorePosition(seq, new DateTimeOffset(ticks, TimeSpan.Zero));
    }
}

/// <summary>What one bounded scan for a page found (see <see cref="PageCursor"/>).</summary>
/// <param name="Start">Where the page started.</param>
/// <param name="End">
/// The end of the store the scan may reach: the newest committed event when the scan began (or the end of a <c>to</c>
/// range), never beyond. The same for every caller at that moment, whatever they may see.
/// </param>
/// <param name="Examined">Store rows the scan looked at (what the budget counts).</param>
/// <param name="Exhausted">Whether the scan looked at every row up to <paramref name="End"/>.</param>
/// <param name="LastReturned">The last event the page returns, when it returns any.</param>
/// <param name="Full">Whether the page holds as many events as were asked for.</param>
public sealed record PageScan(StorePosition Start, StorePosition End, int Examined, bool Exhausted, StorePosition? LastReturned, bool Full);

/// <summary>
/// Where the next page starts, and whether there is one. The rule that keeps the cursor from telling a caller anything
/// about events it may not see: the next position is the last returned event (what the caller sees), the end of the
/// store (the same for everyone), or the start plus the scan budget (fixed); never the position of an event that was
/// left out.
/// </summary>
public static class PageCursor
{
    /// <summary>The position the next page starts from and whether to offer it.</summary>
    /// <param name="scan">What the scan found.</param>
    /// <param name="budget">Most rows one page may examine.</param>
    /// <returns>
    /// The next position; <c>HasNext</c> is false only when the page is empty and the scan reached the end (caught up:
    /// poll the same URL again later).
    /// </returns>
    public static (StorePosition Next, bool HasNext) Next(PageScan scan, int budget)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, 1);
        if (!scan.Full && !scan.Exhausted && scan.Examined < budget)
        {
            throw new ArgumentException("A scan that is neither full nor exhausted must have used its whole budget.", nameof(scan));
        }

        if (scan.Full && scan.LastReturned is { } last)
        {
            // The page is full: continue after its last event. Events examined beyond it were not skipped over yet.
            return (last, true);
        }

        if (scan.Exhausted)
        {
            // Every row up to the end was examined and every visible one returned: continue from the end.
            var end = scan.End.Seq > scan.Start.Seq ? scan.End : scan.Start;
            return (end, scan.LastReturned is not null);
        }

        // The budget ran out before the end. The rows examined have distinct sequence numbers above the start, so at least
        // `budget` of them lie in (start, start + budget]: that much is behind, whatever was hidden in it.
        var bound = new StorePosition(scan.Start.Seq + budget, scan.Start.Floor);
        var next = scan.LastReturned is { } returned && returned.Seq > bound.Seq ? returned : bound;
        return (next, true);
    }
}
