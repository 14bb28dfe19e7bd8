using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging;
using Altinn.Events.Messaging.Webhooks;
using Altinn.Events.Persistence.Subscriptions;

namespace Altinn.Events.Stages.Validation;

internal static class ValidationExtensions
{
    /// <summary>The validation stage: a queue function on <c>subscription-validation</c>, options from <c>Validation</c>.</summary>
    public static IHostApplicationBuilder AddValidationStage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ValidationOptions>().BindConfiguration(ValidationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSubscriptionOptions();
        builder.Services.AddWebhookClient();
        builder.Services.AddSubscriptionStore();
        builder.Services.AddQueueFunction<ValidationFunction>("validation", q => q.ValidationQueue);
        builder.Services.AddHostedService<ValidationSweeper>();
        return builder;
    }
}
