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
            o.OperationFilter<ResponsesByStatus>();
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

    /// <summary>
    /// Responses in status code order: they come from group conventions, handler signatures (<c>Results&lt;...&gt;</c>)
    /// and explicit declarations, and the committed document should not change when only that order does.
    /// </summary>
    private sealed class ResponsesByStatus : Swashbuckle.AspNetCore.SwaggerGen.IOperationFilter
    {
        public void Apply(OpenApiOperation operation, Swashbuckle.AspNetCore.SwaggerGen.OperationFilterContext context)
        {
            if (operation.Responses is not { Count: > 1 } responses)
            {
                return;
            }

            var ordered = responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
            responses.Clear();
            foreach (var (status, response) in ordered)
            {
                responses.Add(status, response);
            }
        }
    }
}
