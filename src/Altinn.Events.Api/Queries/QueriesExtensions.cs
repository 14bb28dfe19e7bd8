namespace Altinn.Events.Api.Queries;

internal static class QueriesExtensions
{
    /// <summary>The query endpoints' service and its <c>Queries</c> options (validated at start).</summary>
    public static IHostApplicationBuilder AddQueries(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<QueryOptions>().BindConfiguration(QueryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<EventQueryService>();
        return builder;
    }
}
