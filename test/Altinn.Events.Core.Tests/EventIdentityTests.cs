using System.Text.Json;
using Altinn.Events.Core.Events;

namespace Altinn.Events.Core.Tests;

public sealed class EventIdentityTests
{
    private const string Resource = "urn:altinn:resource:ttd-events-test";

    [Fact]
    public void Key_DependsOnPublisherResourceSourceAndId()
    {
        var key = EventIdentity.Key("/org/ttd", Resource, "urn:a:1", "dup");

        Assert.Equal(key, EventIdentity.Key("/org/ttd", Resource, "urn:a:1", "dup"));
        Assert.NotEqual(key, EventIdentity.Key("/org/nav", Resource, "urn:a:1", "dup"));
        Assert.NotEqual(key, EventIdentity.Key("/org/ttd", "urn:altinn:resource:other", "urn:a:1", "dup"));
        Assert.NotEqual(key, EventIdentity.Key("/org/ttd", Resource, "urn:a:2", "dup"));
        Assert.NotEqual(key, EventIdentity.Key("/org/ttd", Resource, "urn:a:1", "dup2"));
    }

    [Fact]
    public void Key_PartsCannotBleedIntoEachOther()
    {
        // Without length prefixes these would concatenate to the same text.
        Assert.NotEqual(EventIdentity.Key("/org/a", "b", "urn:c", "d"), EventIdentity.Key("/org/ab", string.Empty, "urn:c", "d"));
        Assert.NotEqual(EventIdentity.Key("p", "r", "urn:x:1", "2"), EventIdentity.Key("p", "r", "urn:x:", "12"));
    }

    [Fact]
    public void ContentHash_IgnoresMemberOrderWhitespaceAndEscaping()
    {
        var a = Hash("""{"specversion":"1.0","id":"1","source":"urn:a","type":"t","data":{"x":1,"y":[1,"A"]}}""");
        var b = Hash("""
            { "type" : "t", "data": { "y": [ 1, "\u0041" ], "x": 1 },
              "source": "urn:a", "id": "1", "specversion": "1.0" }
            """);

        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData("""{"id":"1","source":"urn:a","type":"t2"}""")]
    [InlineData("""{"id":"1","source":"urn:a","type":"t","time":"2024-05-12T00:00:00Z"}""")]
    [InlineData("""{"id":"1","source":"urn:a","type":"t","data":null}""")]
    [InlineData("""{"id":"1","source":"urn:a","type":"t","data":1.0}""")]
    [InlineData("""{"id":"1","source":"urn:a","type":"t","data":[2,1]}""")]
    public void ContentHash_ChangesWithAnyValue(string other) =>
        Assert.NotEqual(Hash("""{"id":"1","source":"urn:a","type":"t"}"""), Hash(other));

    [Fact]
    public void ContentHash_OfTextThatCannotBeReEncoded_IsStillAHash()
    {
        var lone = Hash("""{"id":"\ud800","source":"urn:a","type":"t"}""");

        Assert.NotEqual(Guid.Empty, lone);
        Assert.Equal(lone, Hash("""{"id":"\ud800","source":"urn:a","type":"t"}"""));
    }

    private static Guid Hash(string json)
    {
        using var document = JsonDocument.Parse(json);
        return EventIdentity.ContentHash(document.RootElement);
    }
}
