using Altinn.Events.Messaging;
using Altinn.Events.Persistence;
using Altinn.Events.ServiceDefaults;
using Altinn.Events.Stages;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddEventsDatabase();
builder.Services.AddEventQueues();
builder.AddStages();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();

/// <summary>The stage host's entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
