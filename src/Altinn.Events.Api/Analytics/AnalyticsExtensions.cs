using Altinn.Events.Persistence.Analytics;

namespace Altinn.Events.Api.Analytics;

internal static class AnalyticsExtensions
{
    /// <summary>The roll-ups' aggregator loop, their reader and their <c>Analytics</c> options; it deletes roll-ups by the <c>Retention</c> options of <c>AddRetention</c>.</summary>
    public static IHostApplicationBuilder AddAnalytics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AnalyticsOptions>().BindConfiguration(AnalyticsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AnalyticsStore>();
        builder.Services.AddSingleton<AnalyticsReader>();
        builder.Services.AddSingleton<AnalyticsRetention>();
        builder.Services.AddSingleton<AnalyticsService>();
        builder.Services.AddHostedService<AnalyticsAggregatorService>();
        return builder;
    }
}
