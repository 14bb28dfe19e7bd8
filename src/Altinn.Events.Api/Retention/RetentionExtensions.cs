using Altinn.Events.Persistence.Events;

namespace Altinn.Events.Api.Retention;

internal static class RetentionExtensions
{
    /// <summary>
    /// How long events are kept: <c>Retention</c> options (validated at start) and the partition maintenance that creates
    /// the coming days' partitions and drops expired ones. The analytics aggregator deletes its roll-ups by the same
    /// <c>Retention:Days</c>.
    /// </summary>
    public static IHostApplicationBuilder AddRetention(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration("Retention").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddPartitionMaintenance();
        return builder;
    }
}
