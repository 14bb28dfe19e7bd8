namespace Altinn.Events.Core.Delivery;

/// <summary>The Standard Webhooks message id (<c>webhook-id</c>) of a push.</summary>
public static class WebhookIds
{
    /// <summary>
    /// <c>{subscriptionId}:{seq}</c> for the first delivery of an event to a subscription, <c>{subscriptionId}:{seq}:{n}</c>
    /// for its n-th redelivery. Every retry of one delivery keeps its id, so receivers de-duplicate retries by it; a
    /// redelivery was asked for, so it is a new delivery with an id of its own, and receivers do not drop it.
    /// </summary>
    public static string For(Guid subscriptionId, long seq, int generation) =>
        generation == 0
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{subscriptionId}:{seq}")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{subscriptionId}:{seq}:{generation}");

    /// <summary>
    /// The id of a batched push: <c>{subscriptionId}:batch:{firstSeq}-{lastSeq}:{digest}</c>, the digest (16 hex digits of
    /// SHA-256) over every member's sequence number and redelivery generation. It follows from what the batch holds, so a
    /// retry of the same deliveries carries the same id and receivers de-duplicate it; a redelivery (a new generation)
    /// makes a new id. The part before the first <c>:</c> is the subscription, as for single pushes.
    /// </summary>
    public static string ForBatch(Guid subscriptionId, IReadOnlyList<(long Seq, int Generation)> members)
    {
        ArgumentOutOfRangeException.ThrowIfZero(members.Count);
        var ordered = members.OrderBy(m => m.Seq).ToList();
        var text = string.Join(',', ordered.Select(m => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{m.Seq}.{m.Generation}")));
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{subscriptionId}:batch:{ordered[0].Seq}-{ordered[^1].Seq}:{digest}");
    }
}
