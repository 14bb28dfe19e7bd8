namespace Altinn.Events.Api.Errors;

internal static class ErrorsExtensions
{
    /// <summary>Maps the exceptions a client can meet to problem details (the rest stay 500s, logged).</summary>
    public static IHostApplicationBuilder AddErrorHandling(this IHostApplicationBuilder builder)
    {
        builder.Services.AddExceptionHandler<DependencyUnavailableHandler>();
        return builder;
    }
}
