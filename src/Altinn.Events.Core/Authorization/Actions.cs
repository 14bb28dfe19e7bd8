namespace Altinn.Events.Core.Authorization;

/// <summary>The actions the contract authorizes.</summary>
public static class Actions
{
    public const string Publish = "publish";
    public const string Subscribe = "subscribe";
    public const string Read = "read";

    /// <summary>
    /// The one rule for what a consumer needs to receive events of <paramref name="resource"/>: <c>read</c> on an app
    /// resource (<see cref="AppResources.IsApp"/>), <c>subscribe</c> on anything else. SQL that must agree with it takes
    /// <see cref="AppResources.SqlLike"/> and <see cref="AppResources.SqlNotLike"/> as parameters.
    /// </summary>
    public static string For(string resource) => AppResources.IsApp(resource) ? Read : Subscribe;
}
