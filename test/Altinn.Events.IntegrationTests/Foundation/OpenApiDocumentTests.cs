using System.Text.Json;
using System.Text.Json.Nodes;
using Altinn.Events.IntegrationTests.Infrastructure;

namespace Altinn.Events.IntegrationTests.Foundation;

/// <summary>
/// The OpenAPI document is committed (docs/openapi/v1.json) and reviewed like code: a change to the HTTP surface
/// shows up as a diff. Run the tests with UPDATE_OPENAPI=1 to write the current document after an intended change.
/// </summary>
public sealed class OpenApiDocumentTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task ServedDocument_EqualsTheCommittedOne()
    {
        using var client = api.Client();
        var served = Normalize(await client.GetStringAsync("/swagger/v1/swagger.json"));
        var path = Path.Combine(RepositoryRoot(), "docs", "openapi", "v1.json");

        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, served);
        }

        Assert.True(File.Exists(path), $"{path} is missing; run the tests with UPDATE_OPENAPI=1 to write it.");
        var committed = Normalize(await File.ReadAllTextAsync(path));
        Assert.True(committed == served, "The API's OpenAPI document differs from docs/openapi/v1.json; review the change and run the tests with UPDATE_OPENAPI=1 to update it.");
    }

    [Fact]
    public async Task EveryOperation_HasANameSummaryTagAndResponses()
    {
        using var client = api.Client();
        var document = JsonNode.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"))!;

        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var where = $"{method.ToUpperInvariant()} {path}";
                Assert.False(string.IsNullOrEmpty((string?)operation!["operationId"]), $"{where} has no name");
                Assert.False(string.IsNullOrEmpty((string?)operation["summary"]), $"{where} has no summary");
                Assert.NotEmpty(operation["tags"]!.AsArray());
                Assert.True(operation["responses"]!.AsObject().Count > 1, $"{where} declares only one response");
            }
        }
    }

    private static string Normalize(string json) =>
        JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Altinn.Events.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (with Altinn.Events.sln) was not found above the test binaries.");
    }
}
