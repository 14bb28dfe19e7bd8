namespace Altinn.Events.IntegrationTests.Infrastructure;

/// <summary>The servers scripts/test.sh started (or that the caller pointed it at).</summary>
public static class TestEnvironment
{
    public static string DatabaseAdminConnectionString => Require("EVENTS_TEST_DATABASE");

    public static string QueuesConnectionString => Require("EVENTS_TEST_QUEUES");

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests with scripts/test.sh, which starts PostgreSQL and Azurite and sets it.");
}
