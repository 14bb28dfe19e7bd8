namespace Altinn.Events.Core;

/// <summary>Tags that split liveness (<c>/health</c>) from readiness (<c>/health/ready</c>).</summary>
public static class HealthTags
{
    public const string Ready = "ready";
}
