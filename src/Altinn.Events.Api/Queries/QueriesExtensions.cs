using Altinn.Events.Persistence.Events;

namespace Altinn.Events.Api.Queries;

internal static class QueriesExtensions
{
    /// <summary>
    /// The query endpoints' service and its <c>Queries</c> options (validated at start), and the holder indexer with its
    /// <c>HolderIndex</c> options; it deletes expired rows by the <c>Retention</c> options of <c>AddRetention</c>.
    /// </summary>
    public static IHostApplicationBuilder AddQueries(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<QueryOptions>().BindConfiguration(QueryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<HolderIndexOptions>().BindConfiguration(HolderIndexOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<EventQueryService>();
        builder.Services.AddSingleton<HolderIndexStore>();
        builder.Services.AddHostedService<HolderIndexerService>();
        return builder;
    }
}
