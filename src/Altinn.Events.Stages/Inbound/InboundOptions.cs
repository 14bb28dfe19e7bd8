using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Stages.Inbound;

/// <summary>Settings of the inbound stage, bound from <c>Inbound</c>.</summary>
public sealed class InboundOptions
{
    public const string SectionName = "Inbound";

    /// <summary>Deliveries per message on the outbound queue (each reference is about 130 bytes; a message holds 64 KB).</summary>
    [Range(1, 400)]
    public int DeliveriesPerMessage { get; set; } = 200;
}
