using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Events;

namespace Altinn.Events.Core.Tests;

public sealed class QueryCursorTests
{
    private static readonly DateTimeOffset Noon = new(2024, 5, 12, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(123_456_789_012L)]
    [InlineData(long.MaxValue)]
    public void Encode_ThenDecode_GivesThePositionBack(long seq)
    {
        var position = new StorePosition(seq, Noon);

        var text = QueryCursor.Encode(position);

        Assert.Equal(position, QueryCursor.TryDecode(text));
        Assert.Matches("^[A-Za-z0-9_-]{23}$", text);
    }

    [Fact]
    public void Encode_TheStartWithNoFloor_RoundTrips() =>
        Assert.Equal(StorePosition.Start, QueryCursor.TryDecode(QueryCursor.Encode(StorePosition.Start)));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("not-a-cursor")]
    [InlineData("AQAAAAAAAAAB4sL8fwAAAAA")] // version 1, but a time no DateTimeOffset holds
    [InlineData("AgAAAAAAAAABCNzHdsJ6wAA")] // version 2
    [InlineData("AQAAAAAAAAAB+NzHdsJ6wAA")] // '+' is not base64url
    [InlineData("AQAAAAAAAAABCNzHdsJ6wAAA")] // too long
    public void TryDecode_AnythingElse_IsNull(string? text) => Assert.Null(QueryCursor.TryDecode(text));

    [Fact]
    public void TryDecode_ANegativeSequence_IsNull()
    {
        var text = QueryCursor.Encode(new StorePosition(-5, Noon));

        Assert.Null(QueryCursor.TryDecode(text));
    }

    [Fact]
    public void After_AnEvent_AllowsTheClockMarginBeforeItsTime()
    {
        var position = StorePosition.After(42, Noon);

        Assert.Equal(42, position.Seq);
        Assert.Equal(Noon - StorePosition.ClockMargin, position.Floor);
        Assert.Equal(DateTimeOffset.MinValue, StorePosition.After(1, DateTimeOffset.MinValue.AddMinutes(1)).Floor);
    }
}

public sealed class PageCursorTests
{
    private const int Budget = 1000;
    private static readonly DateTimeOffset Noon = new(2024, 5, 12, 12, 0, 0, TimeSpan.Zero);
    private static readonly StorePosition Start = new(5000, Noon);
    private static readonly StorePosition Head = StorePosition.After(9000, Noon.AddMinutes(10));

    [Fact]
    public void FullPage_ContinuesAfterItsLastEvent()
    {
        var last = StorePosition.After(5100, Noon);

        var (next, hasNext) = PageCursor.Next(new PageScan(Start, Head, 300, Exhausted: false, last, Full: true), Budget);

        Assert.Equal(last, next);
        Assert.True(hasNext);
    }

    [Fact]
    public void ReachedTheEnd_WithEvents_ContinuesFromTheEnd()
    {
        var (next, hasNext) = PageCursor.Next(new PageScan(Start, Head, 40, Exhausted: true, StorePosition.After(5100, Noon), Full: false), Budget);

        Assert.Equal(Head, next);
        Assert.True(hasNext);
    }

    [Fact]
    public void ReachedTheEnd_Empty_HasNoNext()
    {
        var (_, hasNext) = PageCursor.Next(new PageScan(Start, Head, 40, Exhausted: true, null, Full: false), Budget);

        Assert.False(hasNext);
    }

    [Fact]
    public void NothingNewSinceTheStart_StaysAtTheStart()
    {
        var (next, hasNext) = PageCursor.Next(new PageScan(Start, Start, 0, Exhausted: true, null, Full: false), Budget);

        Assert.Equal(Start, next);
        Assert.False(hasNext);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(999)]
    public void ReachedTheEnd_AnswersTheSame_WhateverWasHidden(int examined)
    {
        // A page that examined nothing and one that examined hidden rows up to the end are told apart by nothing.
        var empty = PageCursor.Next(new PageScan(Start, Head, 0, Exhausted: true, null, Full: false), Budget);

        Assert.Equal(empty, PageCursor.Next(new PageScan(Start, Head, examined, Exhausted: true, null, Full: false), Budget));
    }

    [Fact]
    public void BudgetSpent_ContinuesFromTheStartPlusTheBudget_NotFromAnyEventItSaw()
    {
        var (next, hasNext) = PageCursor.Next(new PageScan(Start, Head, Budget, Exhausted: false, null, Full: false), Budget);

        Assert.Equal(new StorePosition(Start.Seq + Budget, Start.Floor), next);
        Assert.True(hasNext);
    }

    [Fact]
    public void BudgetSpent_AfterReturningEventsBeyondTheBound_ContinuesAfterTheLastReturned()
    {
        var last = StorePosition.After(Start.Seq + Budget + 500, Noon);

        var (next, _) = PageCursor.Next(new PageScan(Start, Head, Budget, Exhausted: false, last, Full: false), Budget);

        Assert.Equal(last, next);
    }

    [Fact]
    public void BudgetSpent_AfterReturningEventsBeforeTheBound_ContinuesFromTheBound()
    {
        var (next, _) = PageCursor.Next(new PageScan(Start, Head, Budget, Exhausted: false, StorePosition.After(Start.Seq + 10, Noon), Full: false), Budget);

        Assert.Equal(Start.Seq + Budget, next.Seq);
    }

    [Fact]
    public void AScanThatStoppedEarly_WithoutReason_IsRefused() =>
        Assert.Throws<ArgumentException>(() => PageCursor.Next(new PageScan(Start, Head, Budget - 1, Exhausted: false, null, Full: false), Budget));
}

public sealed class WebhookIdTests
{
    private static readonly Guid Subscription = Guid.Parse("0190f0c1-4a2b-7c3d-9e8f-0123456789ab");

    [Fact]
    public void FirstDelivery_IsSubscriptionAndSeq_AsBefore() =>
        Assert.Equal("0190f0c1-4a2b-7c3d-9e8f-0123456789ab:42", WebhookIds.For(Subscription, 42, 0));

    [Fact]
    public void EachRedelivery_HasAnIdOfItsOwn()
    {
        var ids = Enumerable.Range(0, 4).Select(g => WebhookIds.For(Subscription, 42, g)).ToList();

        Assert.Equal(4, ids.Distinct().Count());
        Assert.Equal("0190f0c1-4a2b-7c3d-9e8f-0123456789ab:42:2", ids[2]);
    }

    [Fact]
    public void Batch_IdFollowsFromItsMembers_InAnyOrder_AndARedeliveryOfOneMemberMakesANewId()
    {
        var id = WebhookIds.ForBatch(Subscription, [(42, 0), (43, 0), (45, 0)]);

        Assert.StartsWith("0190f0c1-4a2b-7c3d-9e8f-0123456789ab:batch:42-45:", id, StringComparison.Ordinal);
        Assert.Equal(16, id.Split(':')[^1].Length);
        Assert.Equal(id, WebhookIds.ForBatch(Subscription, [(45, 0), (42, 0), (43, 0)]));
        Assert.NotEqual(id, WebhookIds.ForBatch(Subscription, [(42, 0), (43, 1), (45, 0)]));
        Assert.NotEqual(id, WebhookIds.ForBatch(Subscription, [(42, 0), (44, 0), (45, 0)]));
    }
}

public sealed class WebhookHandshakeTests
{
    [Theory]
    [InlineData("events.example", null, null)]
    [InlineData("EVENTS.example", "120", 120)]
    [InlineData("*", "*", null)]
    [InlineData(" * ", " 5 ", 5)]
    public void Consent_NamingUsOrAnyone_IsAccepted_WithTheRate(string allowedOrigin, string? allowedRate, int? expected)
    {
        Assert.Null(WebhookHandshake.Refusal("events.example", allowedOrigin, allowedRate, out var rate));
        Assert.Equal(expected, rate);
    }

    [Theory]
    [InlineData(null, null, "no WebHook-Allowed-Origin")]
    [InlineData("", null, "no WebHook-Allowed-Origin")]
    [InlineData("other.example", null, "does not name events.example")]
    [InlineData("*", "0", "WebHook-Allowed-Rate")]
    [InlineData("*", "-3", "WebHook-Allowed-Rate")]
    [InlineData("*", "fast", "WebHook-Allowed-Rate")]
    [InlineData("*", "1.5", "WebHook-Allowed-Rate")]
    public void NoConsent_OrABadRate_IsRefused_WithWhy(string? allowedOrigin, string? allowedRate, string reason)
    {
        Assert.Contains(reason, WebhookHandshake.Refusal("events.example", allowedOrigin, allowedRate, out var rate), StringComparison.Ordinal);
        Assert.Null(rate);
    }
}
