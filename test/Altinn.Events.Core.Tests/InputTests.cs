using System.Text;
using System.Text.Json;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Identity;
using Altinn.Events.Core.Input;
using Altinn.Events.Core.Subscriptions;

namespace Altinn.Events.Core.Tests;

public sealed class TextRulesTests
{
    [Theory]
    [InlineData("order.created", true)]
    [InlineData("café 😀 ☃", true)]
    [InlineData("", true)]
    [InlineData("a\0b", false)]
    [InlineData("line\nbreak", false)]
    [InlineData("tab\there", false)]
    [InlineData("del\u007f", false)]
    [InlineData("c1\u0085", false)]
    public void IsCleanText(string text, bool clean) => Assert.Equal(clean, TextRules.IsCleanText(text));

    // Built at run time: attribute arguments cannot carry unpaired surrogates (they are stored as UTF-8).
    [Fact]
    public void IsCleanText_RefusesUnpairedSurrogates()
    {
        Assert.False(TextRules.IsCleanText(new string([(char)0xD800])));
        Assert.False(TextRules.IsCleanText(new string(['x', (char)0xDC00, 'y'])));
        Assert.False(TextRules.IsCleanText(new string(['a', (char)0xD83D])));
        Assert.False(TextRules.IsCleanText(new string([(char)0xDE00, (char)0xD83D])));
        Assert.True(TextRules.IsCleanText(new string([(char)0xD83D, (char)0xDE00])));
    }

    [Fact]
    public void Problem_CountsUtf8BytesNotCharacters()
    {
        Assert.Null(TextRules.Problem(new string('a', InputLimits.MaxTextBytes), "id"));
        Assert.NotNull(TextRules.Problem(new string('a', InputLimits.MaxTextBytes + 1), "id"));

        // 400 characters of three bytes each: 1 200 bytes, over the limit though far fewer characters.
        var problem = TextRules.Problem(new string('☃', 400), "subject");
        Assert.Contains("'subject' may be at most 1024 bytes", problem);
        Assert.Null(TextRules.Problem(new string('☃', 341), "subject"));
    }

    [Fact]
    public void Problem_NamesTheField() =>
        Assert.Contains("'typeFilter' holds a control character", TextRules.Problem("a\0", "typeFilter"));

    [Fact]
    public void MaxTextBytes_LeavesRoomUnderTheBtreeEntryLimit() =>
        // PostgreSQL: an index entry of an 8 KB page holds at most 2 704 bytes; (text, seq) adds a header and 8 bytes.
        Assert.True(InputLimits.MaxTextBytes + 64 < 2704);
}

public sealed class JsonTextTests
{
    [Theory]
    [InlineData("""{"specversion":"1.0","id":"1"}""")]
    [InlineData("""[{"a":1},{"a":2}]""")]
    [InlineData("""{"a":{"b":1},"c":{"b":2}}""")]
    [InlineData("""{"data":"line\nbreak \u0000 \t and a pair \ud83d\ude00"}""")]
    [InlineData("""{"x":1e999999,"y":-0.0000000001,"z":123456789012345678901234567890}""")]
    [InlineData("\"just a string\"")]
    public void Check_AcceptsValidJson(string json) => Assert.Null(JsonText.Check(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("""{"specversion":"1.0","specversion":"1.0"}""", "specversion")]
    [InlineData("""{"a":1,"b":{"c":1,"c":2}}""", "b.c")]
    [InlineData("""[{"id":"1"},{"id":"2","id":"3"}]""", "[1].id")]
    [InlineData("""{"data":{"items":[1,{"k":1,"k":1}]}}""", "data.items[1].k")]
    [InlineData("""{"a":1,"\u0061":2}""", "a")]
    public void Check_RejectsDuplicateMemberNames(string json, string field)
    {
        var problem = JsonText.Check(Encoding.UTF8.GetBytes(json));

        Assert.NotNull(problem);
        Assert.Equal(field, problem.Field);
        Assert.Contains("more than once", problem.Message);
    }

    [Theory]
    [InlineData("""{"id":"\ud800"}""", "id")]
    [InlineData("""{"subject":"/party/1\udc00"}""", "subject")]
    [InlineData("""[{"id":"1"},{"data":{"x":["ok","\ud83d"]}}]""", "[1].data.x[1]")]
    [InlineData("""{"\ud800":1}""", "body")]
    public void Check_RejectsLoneSurrogateEscapes(string json, string field)
    {
        var problem = JsonText.Check(Encoding.UTF8.GetBytes(json));

        Assert.NotNull(problem);
        Assert.Equal(field, problem.Field);
        Assert.Contains("not Unicode text", problem.Message);
    }

    [Fact]
    public void Check_RejectsBytesThatAreNotUtf8()
    {
        byte[] json = [.. "{\"type\":\""u8.ToArray(), 0xff, 0xfe, .. "\"}"u8.ToArray()];

        var problem = JsonText.Check(json);

        Assert.Equal("type", problem?.Field);
    }

    [Theory]
    [InlineData("{\"a\":")]
    [InlineData("{\"a\":1,}")]
    [InlineData("{\"a\":\"raw\u0000control\"}")]
    [InlineData("{\"a\":1} trailing")]
    [InlineData("")]
    public void Check_RejectsWhatIsNotJson(string json) => Assert.Equal("body", JsonText.Check(Encoding.UTF8.GetBytes(json))?.Field);

    [Fact]
    public void Check_RejectsNestingDeeperThanTheLimit()
    {
        var deep = new string('[', InputLimits.MaxJsonDepth + 1) + new string(']', InputLimits.MaxJsonDepth + 1);
        var fits = new string('[', InputLimits.MaxJsonDepth) + new string(']', InputLimits.MaxJsonDepth);

        Assert.Equal("body", JsonText.Check(Encoding.UTF8.GetBytes(deep))?.Field);
        Assert.Null(JsonText.Check(Encoding.UTF8.GetBytes(fits)));
    }
}

public sealed class SourcePatternTests
{
    [Theory]
    [InlineData("https://ttd.apps.altinn.no/ttd/%")]
    [InlineData("%apps-test%")]
    [InlineData("a_b")]
    [InlineData(@"100\%")]
    [InlineData(@"snake\_case")]
    [InlineData(@"back\\slash")]
    [InlineData("")]
    public void Problem_AcceptsValidPatterns(string pattern) => Assert.Null(SourcePattern.Problem(pattern));

    [Theory]
    [InlineData(@"\")]
    [InlineData(@"abc\")]
    [InlineData(@"\a")]
    [InlineData(@"\\\")]
    public void Problem_RejectsAStrayEscape(string pattern) => Assert.NotNull(SourcePattern.Problem(pattern));
}

public sealed class CloudEventLimitsTests
{
    private static Dictionary<string, List<string>> Validate(string json, bool app = false)
    {
        var errors = new Dictionary<string, List<string>>();
        using var document = JsonDocument.Parse(json);
        if (app)
        {
            CloudEventValidator.ValidateApp(document.RootElement, string.Empty, errors);
        }
        else
        {
            CloudEventValidator.ValidateGeneric(document.RootElement, string.Empty, errors);
        }

        return errors;
    }

    private static string Event(string attribute, string jsonValue)
    {
        var attributes = new Dictionary<string, string>
        {
            ["specversion"] = "\"1.0\"",
            ["id"] = "\"e1\"",
            ["source"] = "\"https://example.com/a\"",
            ["type"] = "\"t\"",
            ["resource"] = "\"urn:altinn:resource:r1\"",
            ["subject"] = "\"/party/1\"",
        };
        attributes[attribute] = jsonValue;
        return "{" + string.Join(',', attributes.Select(a => $"\"{a.Key}\":{a.Value}")) + "}";
    }

    [Fact]
    public void AValidEvent_HasNoErrors() => Assert.Empty(Validate(Event("id", "\"e1\"")));

    [Theory]
    [InlineData("id")]
    [InlineData("subject")]
    [InlineData("type")]
    [InlineData("resourceinstance")]
    [InlineData("datacontenttype")]
    public void AttributeOverTheLimit_IsAnErrorOnIt(string attribute)
    {
        var errors = Validate(Event(attribute, "\"" + new string('x', InputLimits.MaxTextBytes + 1) + "\""));

        Assert.Contains("1024 bytes", Assert.Single(errors[attribute]));
    }

    [Fact]
    public void SourceOverTheLimit_IsAnErrorOnSource()
    {
        var errors = Validate(Event("source", "\"https://example.com/" + new string('a', InputLimits.MaxTextBytes) + "\""));

        Assert.True(errors.ContainsKey("source"));
    }

    [Theory]
    [InlineData("id", "\"a\\u0000b\"")]
    [InlineData("type", "\"a\\nb\"")]
    [InlineData("subject", "\"/party/1\\u001f\"")]
    [InlineData("id", "\"\\ud800\"")]
    [InlineData("myextension", "\"x\\u0000\"")]
    public void ControlCharactersAndLoneSurrogates_AreErrorsOnTheAttribute(string attribute, string jsonValue)
    {
        var errors = Validate(Event(attribute, jsonValue));

        Assert.True(errors.ContainsKey(attribute), string.Join("; ", errors.Keys));
    }

    [Fact]
    public void ControlCharactersInData_AreThePublishersOwn() =>
        Assert.Empty(Validate(Event("data", "{\"text\":\"two\\nlines \\u0000\"}")));

    [Fact]
    public void AnAppEventSubjectWithALoneSurrogate_IsOneErrorOnSubject()
    {
        var errors = Validate("""{"specversion":"1.0","source":"https://ttd.apps.altinn.no/ttd/a/instances/1/2","type":"t","subject":"\ud800"}""", app: true);

        Assert.Single(errors["subject"]);
    }
}

public sealed class SubscriptionTextRulesTests
{
    private static readonly Caller Org = new() { Kind = CallerKind.Org, Org = "ttd", Scopes = new HashSet<string> { Scopes.Subscribe } };

    private static SubscriptionCheck Check(string? typeFilter = null, string? sourceFilter = null, string? subjectFilter = null, string resource = "urn:altinn:resource:r1", string endPoint = "https://hooks.example.com/x") =>
        SubscriptionRules.Check(new SubscriptionInput(endPoint, sourceFilter, resource, subjectFilter, null, typeFilter is null ? null : System.Text.Json.JsonSerializer.SerializeToElement(typeFilter), null), Org, "altinn.no", allowHttpLoopback: false);

    [Fact]
    public void ANulInTheTypeFilter_IsAnErrorOnIt() =>
        Assert.Contains("control character", Check(typeFilter: "a\0b").Errors["typeFilter"][0]);

    [Fact]
    public void AFilterOverTheLimit_IsAnErrorOnIt()
    {
        Assert.Contains("1024 bytes", Check(typeFilter: new string('é', 513)).Errors["typeFilter"][0]);
        Assert.Contains("1024 bytes", Check(subjectFilter: "/party/" + new string('1', InputLimits.MaxTextBytes)).Errors["subjectFilter"][0]);
        Assert.True(Check(resource: "urn:altinn:resource:" + new string('r', InputLimits.MaxTextBytes)).Errors.ContainsKey("resourceFilter"));
        Assert.True(Check(sourceFilter: "https://example.com/" + new string('s', InputLimits.MaxTextBytes)).Errors.ContainsKey("sourceFilter"));
    }

    [Fact]
    public void AFilterAtTheLimit_Passes() =>
        Assert.True(Check(typeFilter: new string('t', InputLimits.MaxTextBytes)).IsValid);

    [Fact]
    public void AnEndPointWithALoneSurrogate_IsAnErrorOnIt() =>
        Assert.True(Check(endPoint: "https://hooks.example.com/\ud800").Errors.ContainsKey("endPoint"));
}
