using Microsoft.OpenApi;

namespace Altinn.Events.Api.OpenApi;

internal static class OpenApiExtensions
{
    public const string DocumentName = "v1";

    public static IHostApplicationBuilder AddOpenApiDocument(this IHostApplicationBuilder builder)
    {
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "Altinn Events",
                Version = DocumentName,
                Description = "Publish CloudEvents, query them with a cursor, and subscribe webhooks to them.",
            });
        });
        return builder;
    }

    /// <summary>The document at <c>/swagger/v1/swagger.json</c> and Swagger UI at <c>/swagger</c>.</summary>
    public static WebApplication MapOpenApiDocument(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(o => o.SwaggerEndpoint($"/swagger/{DocumentName}/swagger.json", "Altinn Events v1"));
        return app;
    }
}
