using Altinn.Events.Client;
using Altinn.Events.Client.AspNetCore;
using Altinn.Events.Sample;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddAltinnEventsSample(builder.Configuration);
builder.Services.AddEventsWebhooks();

var app = builder.Build();
app.MapEventsWebhook("/hook", (cloudEvent, push, cancellationToken) =>
{
    SampleLog.Pushed(app.Logger, push.WebhookId, cloudEvent.Type, cloudEvent.Id, cloudEvent.GetResource());
    return Task.CompletedTask;
});
app.Run();
