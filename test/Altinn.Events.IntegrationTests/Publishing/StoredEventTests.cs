using System.Text.Json;
using Altinn.Events.Api.Publishing;
using Altinn.Events.Core.Events;

namespace Altinn.Events.IntegrationTests.Publishing;

/// <summary>
/// The publish path writes plain events straight from the parsed JSON (issue 20). What it stores must be exactly what
/// the CloudEvents SDK stored before (decode, fill in a missing time, encode), byte for byte, and every event that is
/// not plain must be left to the SDK.
/// </summary>
public sealed class StoredEventTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 19, 30, 0, 123, TimeSpan.Zero);

    public static TheoryData<string> PlainEvents() =>
    [
        """{"specversion":"1.0","id":"a1","source":"https://x.example/orders/1","type":"t","resource":"urn:altinn:resource:ttd-test","time":"2026-01-01T12:00:00Z"}""",
        // No time (the service fills it in), data without a content type (the SDK defaults it), attributes in any order.
        """{"type":"t","data":{"b":[1,2.5,true,null],"a":"x"},"resource":"urn:altinn:resource:ttd-test","id":"a2","specversion":"1.0","source":"urn:isbn:123"}""",
        // Data with non-ASCII text, escapes and characters the default encoder escapes; whitespace everywhere.
        "{ \"specversion\" : \"1.0\", \"id\":\"a3\",\n \"source\":\"https://x.example/a+b?c=<d>&e='f'\", \"type\":\"t\", \"resource\":\"urn:altinn:resource:ttd-test\",\n \"subject\":\"/party/50001\", \"alternativesubject\":\"/person/01017012345\", \"datacontenttype\":\"application/json\", \"data\":{\"name\":\"Bjørn Ærlig \\u00e6 \\\"q\\\" <b>\",\"n\":1e3} }",
        // Times with an offset and with more digits than milliseconds; an extension attribute; a string as data.
        """{"specversion":"1.0","id":"a4","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test","time":"2026-01-01T12:00:00.1234567+02:00","myext":"v","data":"text"}""",
        """{"specversion":"1.0","id":"a5","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test","time":"2026-01-01T12:00:00.5-05:30","data":[1,{"x":{}}]}""",
    ];

    [Theory]
    [MemberData(nameof(PlainEvents))]
    public void PlainEvent_IsStoredExactlyAsTheSdkStoresIt(string json)
    {
        using var document = JsonDocument.Parse(json);
        var element = document.RootElement;
        var errors = new Dictionary<string, List<string>>();
        CloudEventValidator.ValidateGeneric(element, string.Empty, errors);
        Assert.Empty(errors);
        var content = EventIdentity.ContentHash(element);

        var plain = StoredEvent.TryPlain(element, "ttd", content, Now);

        var cloudEvent = CloudEventReader.Decode(element, out var error);
        Assert.Null(error);
        cloudEvent!.Time ??= Now;
        Assert.NotNull(plain);
        Assert.Equal(CloudEventReader.Encode(cloudEvent), plain.CloudEvent);
        Assert.Equal(cloudEvent.Id, plain.Id);
        Assert.Equal(cloudEvent.Source!.OriginalString, plain.Source);
        Assert.Equal((string)cloudEvent["resource"]!, plain.Resource);
        Assert.Equal(cloudEvent.Type, plain.Type);
        Assert.Equal(cloudEvent.Subject, plain.Subject);
        Assert.Equal(cloudEvent["alternativesubject"] as string, plain.AlternativeSubject);
        Assert.Equal(Subjects.PartyId(cloudEvent.Subject), plain.PartyId);
        Assert.Equal(cloudEvent.Time!.Value.ToUniversalTime(), plain.Time);
        Assert.Equal(TimeSpan.Zero, plain.Time!.Value.Offset);
        Assert.Equal("ttd", plain.Publisher);
        Assert.Equal(content, plain.ContentHash);
    }

    public static TheoryData<string> NotPlainEvents() =>
    [
        // The SDK turns these into other JSON (a Boolean or number extension becomes a string) or checks them by its rules.
        """{"specversion":"1.0","id":"b1","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test","flag":true}""",
        """{"specversion":"1.0","id":"b2","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test","count":5}""",
        """{"specversion":"1.0","id":"b3","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test","dataschema":"https://x.example/schema"}""",
        """{"specversion":"1.0","id":"b4","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test","data_base64":"AAEC"}""",
        """{"specversion":"1.0","id":"b5","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test","datacontenttype":"text/plain","data":"x"}""",
        """{"specversion":"1.0","id":"b6","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test","data":null}""",
        """{"specversion":"1.0","id":"b7","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test","subject":null}""",
        // Non-ASCII or escaped attribute text: the SDK's string rules (noncharacters among them) decide.
        """{"specversion":"1.0","id":"b8","source":"https://x.example/","type":"tø","resource":"urn:altinn:resource:ttd-test"}""",
        """{"specversion":"1.0","id":"b\ufffe","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test"}""",
        // A time the validator takes but the SDK's parser refuses (a lowercase t): the SDK's answer (400) stays.
        """{"specversion":"1.0","id":"b10","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test","time":"2026-01-01t12:00:00Z"}""",
        // A name given twice.
        """{"specversion":"1.0","id":"b9","source":"https://x.example/","type":"t","type":"u","resource":"urn:altinn:resource:ttd-test"}""",
        """{"id":"b11","specversion":"1.0","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test","id":"b12"}""",
        // A name written with an escape (the same name as "id" once decoded).
        """{"specversion":"1.0","\u0069d":"b13","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test"}""",
        // More members than a plain event has (24): left to the SDK.
        """{"specversion":"1.0","id":"b14","source":"https://x.example/","type":"t","resource":"urn:altinn:resource:ttd-test",""" +
            string.Join(",", Enumerable.Range(0, 20).Select(i => $"\"ext{i}\":\"v\"")) + "}",
    ];

    [Theory]
    [MemberData(nameof(NotPlainEvents))]
    public void OtherEvents_AreLeftToTheSdk(string json)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Null(StoredEvent.TryPlain(document.RootElement, "ttd", Guid.NewGuid(), Now));
    }
}
