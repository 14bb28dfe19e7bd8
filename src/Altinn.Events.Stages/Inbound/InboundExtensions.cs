using Altinn.Events.Authorization;
using Altinn.Events.Messaging;
using Altinn.Events.Persistence.Matching;
using Altinn.Events.Persistence.Register;

namespace Altinn.Events.Stages.Inbound;

internal static class InboundExtensions
{
    /// <summary>The inbound stage: a queue function on <c>events-inbound</c>, options from <c>Inbound</c>.</summary>
    public static IHostApplicationBuilder AddInboundStage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<InboundOptions>().BindConfiguration(InboundOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddMatchingStorage();
        builder.AddEventsAuthorization();
        builder.Services.AddLocalRegister();

        builder.Services.AddQueueFunction<InboundFunction>("inbound", q => q.InboundQueue);
        return builder;
    }
}
