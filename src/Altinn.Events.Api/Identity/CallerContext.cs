using Altinn.Events.Core.Identity;

namespace Altinn.Events.Api.Identity;

/// <summary>The <see cref="Caller"/> of the current request, built once from the validated token.</summary>
public static class CallerContext
{
    internal const string RejectionKey = "altinn-events:caller-rejection";
    private const string CallerKey = "altinn-events:caller";

    /// <summary>The caller, or null when the request is anonymous or its token names no known identity.</summary>
    public static Caller? GetCaller(this HttpContext context)
    {
        if (context.Items.TryGetValue(CallerKey, out var cached))
        {
            return cached as Caller;
        }

        Caller? caller = null;
        if (context.User.Identity?.IsAuthenticated == true)
        {
            caller = CallerClaims.FromClaims(context.User, out var reason);
            context.Items[RejectionKey] = reason;
        }

        context.Items[CallerKey] = caller;
        return caller;
    }

    /// <summary>The caller of an endpoint that requires one (the authorization policy has already checked it exists).</summary>
    public static Caller RequireCaller(this HttpContext context) =>
        context.GetCaller() ?? throw new InvalidOperationException("The endpoint must require an authorization policy that ensures a caller.");
}
