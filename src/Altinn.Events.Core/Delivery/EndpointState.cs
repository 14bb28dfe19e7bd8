namespace Altinn.Events.Core.Delivery;

/// <summary>Values of <c>endpoints.state</c>: the health of a webhook URL, shared by every outbound instance.</summary>
public static class EndpointState
{
    /// <summary>Pushes succeed (also: no row).</summary>
    public const string Healthy = "healthy";

    /// <summary>Some pushes failed lately, fewer in a row than <c>Outbound:OpenAfter</c>.</summary>
    public const string Failing = "failing";

    /// <summary>Nothing is pushed but one probe per retry step; deliveries wait parked.</summary>
    public const string Open = "open";

    /// <summary>Every value, as in the <c>endpoints</c> check constraint.</summary>
    public static readonly IReadOnlyList<string> All = [Healthy, Failing, Open];
}
