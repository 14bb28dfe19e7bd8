using Altinn.Events.Api;
using Altinn.Events.Api.Analytics;
using Altinn.Events.Api.Errors;
using Altinn.Events.Api.Delivery;
using Altinn.Events.Authorization;
using Altinn.Events.Messaging;
using Altinn.Events.Persistence;
using Altinn.Events.Persistence.Register;
using Altinn.Events.Api.Identity;
using Altinn.Events.Api.Limits;
using Altinn.Events.Api.Links;
using Altinn.Events.Api.OpenApi;
using Altinn.Events.Api.Operations;
using Altinn.Events.Api.Portal;
using Altinn.Events.Api.Publishing;
using Altinn.Events.Api.Queries;
using Altinn.Events.Api.Retention;
using Altinn.Events.Api.SubscriberTools;
using Altinn.Events.Api.Subscriptions;
using Altinn.Events.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddEventsDatabase();
builder.Services.AddEventQueues();
builder.AddPublicLinks();
builder.AddEventsAuthentication();
builder.AddEventsAuthorization();
builder.Services.AddLocalRegister();
builder.AddPublishing();
builder.AddRetention();
builder.AddQueries();
builder.AddSubscriptions();
builder.AddErrorHandling();
builder.AddRateLimits();
builder.AddDelivery();
builder.AddSubscriberTools();
builder.AddPortal();
builder.AddAnalytics();
builder.AddOperations();
builder.AddOpenApiDocument();

var app = builder.Build();

app.UsePublicLinks();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseTextInputRules();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.MapDefaultEndpoints();
app.MapOpenApiDocument();
app.MapEventsApi();
app.MapOperations();
app.MapPortal();

app.Run();

/// <summary>The API's entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
