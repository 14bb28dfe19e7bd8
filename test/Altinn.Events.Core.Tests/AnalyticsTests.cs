using Altinn.Events.Core.Analytics;

namespace Altinn.Events.Core.Tests;

public sealed class DurationHistogramTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.999)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(59.0)]
    [InlineData(3600.0)]
    [InlineData(86_400.0 * 90)]
    public void EveryDuration_LiesInItsBucket_AndTheReportedValueIsWithinNinePercent(double seconds)
    {
        var bucket = DurationHistogram.Bucket(TimeSpan.FromSeconds(seconds));

        Assert.InRange(seconds, DurationHistogram.LowerSeconds(bucket), DurationHistogram.UpperSeconds(bucket) - 1e-9);
        if (seconds >= 1)
        {
            var reported = DurationHistogram.RepresentativeSeconds(bucket);
            Assert.InRange(reported / seconds, 1 / 1.0906, 1.0906);
        }
    }

    [Fact]
    public void Buckets_AreFourPerDoubling()
    {
        Assert.Equal(0, DurationHistogram.Bucket(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(1, DurationHistogram.Bucket(TimeSpan.FromSeconds(1)));
        Assert.Equal(5, DurationHistogram.Bucket(TimeSpan.FromSeconds(2)));
        Assert.Equal(9, DurationHistogram.Bucket(TimeSpan.FromSeconds(4)));
    }

    [Fact]
    public void Percentile_IsTheNearestRank_InBuckets()
    {
        // 10 durations: 9 of about 10 s, 1 of about 1000 s.
        var ten = DurationHistogram.Bucket(TimeSpan.FromSeconds(10));
        var thousand = DurationHistogram.Bucket(TimeSpan.FromSeconds(1000));
        (short, long)[] buckets = [(thousand, 1), (ten, 9)];

        Assert.InRange(DurationHistogram.PercentileSeconds(buckets, 0.5)!.Value, 10 / 1.1, 10 * 1.1);
        Assert.InRange(DurationHistogram.PercentileSeconds(buckets, 0.9)!.Value, 10 / 1.1, 10 * 1.1);
        Assert.InRange(DurationHistogram.PercentileSeconds(buckets, 0.95)!.Value, 1000 / 1.1, 1000 * 1.1);
        Assert.Null(DurationHistogram.PercentileSeconds([], 0.5));
    }
}

public sealed class InstanceTimelineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void InOrder_CountsTasksOnceAndEachVisitsDuration()
    {
        var timeline = new InstanceTimeline();
        timeline.Add(ProcessEventTypes.Created, T0);
        timeline.Add("app.instance.process.movedTo.Task_1", T0.AddMinutes(1));
        timeline.Add("app.instance.process.movedTo.Task_2", T0.AddMinutes(3));
        timeline.Add("app.instance.process.movedTo.Task_1", T0.AddMinutes(4));
        timeline.Add(ProcessEventTypes.Completed, T0.AddMinutes(10));

        var c = timeline.Contributions().ToList();

        Assert.Single(c, x => x is { Metric: "created", IsCount: true });
        Assert.Single(c, x => x is { Metric: "task:Task_1", IsCount: true });
        Assert.Single(c, x => x is { Metric: "completed", IsCount: true });
        Assert.Equal(
            [DurationHistogram.Bucket(TimeSpan.FromMinutes(2)), DurationHistogram.Bucket(TimeSpan.FromMinutes(6))],
            c.Where(x => x is { Metric: "task:Task_1", IsCount: false }).Select(x => x.Bucket).Order());
        Assert.Equal(DurationHistogram.Bucket(TimeSpan.FromMinutes(10)), Assert.Single(c, x => x.Metric == "completion").Bucket);
    }

    [Fact]
    public void ALateStep_ReplacesTheDurationItSplits()
    {
        var timeline = new InstanceTimeline();
        timeline.Add("app.instance.process.movedTo.Task_1", T0);
        timeline.Add(ProcessEventTypes.Completed, T0.AddMinutes(30));
        var before = timeline.Contributions().ToList();

        Assert.True(timeline.Add("app.instance.process.movedTo.Task_2", T0.AddMinutes(10)));
        var diff = InstanceTimeline.Difference(before, timeline.Contributions());

        Assert.Equal(-1, diff[new Contribution("task:Task_1", InstanceTimeline.Day(T0), DurationHistogram.Bucket(TimeSpan.FromMinutes(30)))]);
        Assert.Equal(1, diff[new Contribution("task:Task_1", InstanceTimeline.Day(T0), DurationHistogram.Bucket(TimeSpan.FromMinutes(10)))]);
        Assert.Equal(1, diff[new Contribution("task:Task_2", InstanceTimeline.Day(T0), DurationHistogram.Bucket(TimeSpan.FromMinutes(20)))]);
        Assert.Equal(1, diff[new Contribution("task:Task_2", InstanceTimeline.Day(T0), Contribution.CountBucket)]);
        Assert.Equal(4, diff.Count);
    }

    [Fact]
    public void TheSameStepAgain_AndOtherTypes_ChangeNothing()
    {
        var timeline = new InstanceTimeline();
        Assert.True(timeline.Add("app.instance.process.movedTo.Task_1", T0));
        Assert.False(timeline.Add("app.instance.process.movedTo.Task_1", T0));
        Assert.False(timeline.Add("app.instance.process.movedTo.", T0));
        Assert.False(timeline.Add("app.instance.data.changed", T0));
        Assert.True(timeline.Add(ProcessEventTypes.Created, T0.AddMinutes(1)));
        Assert.False(timeline.Add(ProcessEventTypes.Created, T0.AddMinutes(2)));
        Assert.True(timeline.Add(ProcessEventTypes.Created, T0));
        Assert.Equal(T0, timeline.Created);
    }
}
