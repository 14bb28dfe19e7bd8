namespace Altinn.Events.Api.Queries;

internal static class QueriesExtensions
{
    public static IHostApplicationBuilder AddQueries(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EventQueryService>();
        return builder;
    }
}
