namespace Altinn.Events.Core.Analytics;

/// <summary>The app process events the analytics follow, by type.</summary>
public static class ProcessEventTypes
{
    public const string Created = "app.instance.created";
    public const string Completed = "app.instance.process.completed";
    public const string MovedToPrefix = "app.instance.process.movedTo.";

    /// <summary>The step an event type is: a task (<c>movedTo.{task}</c>), <see cref="InstanceTimeline.CompletedStep"/>, or null.</summary>
    public static string? StepOf(string type)
    {
        if (string.Equals(type, Completed, StringComparison.Ordinal))
        {
            return InstanceTimeline.CompletedStep;
        }

        return type.StartsWith(MovedToPrefix, StringComparison.Ordinal) && type.Length > MovedToPrefix.Length ? type[MovedToPrefix.Length..] : null;
    }
}

/// <summary>What an instance adds to one roll-up row: a count per day, or a duration bucket per day.</summary>
/// <param name="Metric"><c>created</c>, <c>completed</c>, <c>task:{task}</c> (counts, durations) or <c>completion</c> (durations).</param>
/// <param name="Day">The UTC day the figure belongs to (of the step's time, not its arrival).</param>
/// <param name="Bucket">The <see cref="DurationHistogram"/> bucket for durations; -1 for counts.</param>
public readonly record struct Contribution(string Metric, DateOnly Day, short Bucket)
{
    public const short CountBucket = -1;

    public bool IsCount => Bucket == CountBucket;
}

/// <summary>One process step of an instance: entering a task, or completing (<see cref="InstanceTimeline.CompletedStep"/>).</summary>
public readonly record struct ProcessStep(DateTimeOffset Time, string Step);

/// <summary>
/// The process events of one app instance seen so far, ordered by their <c>time</c> (not by arrival), and what they add
/// to the roll-ups. Adding a late event may change earlier figures (the duration of the task it interrupts, the day an
/// instance first reached a task): the aggregator takes the difference of <see cref="Contributions"/> before and after,
/// so the roll-ups always equal what the events as a whole say, whatever order they arrived in.
/// Rules: an instance is created at its earliest <c>app.instance.created</c>; it reaches a task at its earliest
/// <c>movedTo.{task}</c> (counted once however often it returns); a task lasts from entering it to the next step in time
/// (each visit counted); completion lasts from creation to the earliest <c>process.completed</c>. Steps with the same time
/// and step are one step (a re-sent event with a new id adds nothing).
/// </summary>
public sealed class InstanceTimeline
{
    /// <summary>The step name of <c>app.instance.process.completed</c> (a task name is never empty).</summary>
    public const string CompletedStep = "";

    public const string CreatedMetric = "created";
    public const string CompletedMetric = "completed";
    public const string CompletionMetric = "completion";
    public const string TaskMetricPrefix = "task:";

    private readonly List<ProcessStep> _steps;

    public InstanceTimeline(DateTimeOffset? created = null, IEnumerable<ProcessStep>? steps = null)
    {
        Created = created;
        _steps = [.. (steps ?? []).Distinct().Order(StepOrder.Instance)];
    }

    public DateTimeOffset? Created { get; private set; }

    public IReadOnlyList<ProcessStep> Steps => _steps;

    /// <summary>The latest time seen, for retention.</summary>
    public DateTimeOffset? LastTime => _steps.Count > 0 ? (Created is { } c && c > _steps[^1].Time ? c : _steps[^1].Time) : Created;

    /// <summary>Adds an event of the instance; false when it changes nothing the analytics follow.</summary>
    public bool Add(string type, DateTimeOffset time)
    {
        if (string.Equals(type, ProcessEventTypes.Created, StringComparison.Ordinal))
        {
            if (Created is { } created && created <= time)
            {
                return false;
            }

            Created = time;
            return true;
        }

        if (ProcessEventTypes.StepOf(type) is not { } step)
        {
            return false;
        }

        var item = new ProcessStep(time, step);
        var index = _steps.BinarySearch(item, StepOrder.Instance);
        if (index >= 0)
        {
            return false;
        }

        _steps.Insert(~index, item);
        return true;
    }

    public IEnumerable<Contribution> Contributions()
    {
        if (Created is { } created)
        {
            yield return new Contribution(CreatedMetric, Day(created), Contribution.CountBucket);
        }

        var reached = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < _steps.Count; i++)
        {
            var step = _steps[i];
            if (reached.Add(step.Step))
            {
                yield return new Contribution(step.Step == CompletedStep ? CompletedMetric : TaskMetricPrefix + step.Step, Day(step.Time), Contribution.CountBucket);
                if (step.Step == CompletedStep && Created is { } start && step.Time >= start)
                {
                    yield return new Contribution(CompletionMetric, Day(step.Time), DurationHistogram.Bucket(step.Time - start));
                }
            }

            if (step.Step != CompletedStep && i + 1 < _steps.Count)
            {
                yield return new Contribution(TaskMetricPrefix + step.Step, Day(step.Time), DurationHistogram.Bucket(_steps[i + 1].Time - step.Time));
            }
        }
    }

    /// <summary>The change to the roll-ups from <paramref name="before"/> to <paramref name="after"/>, zero entries left out.</summary>
    public static Dictionary<Contribution, int> Difference(IEnumerable<Contribution> before, IEnumerable<Contribution> after)
    {
        var diff = new Dictionary<Contribution, int>();
        foreach (var c in after)
        {
            diff[c] = diff.GetValueOrDefault(c) + 1;
        }

        foreach (var c in before)
        {
            diff[c] = diff.GetValueOrDefault(c) - 1;
        }

        foreach (var zero in diff.Where(d => d.Value == 0).Select(d => d.Key).ToList())
        {
            diff.Remove(zero);
        }

        return diff;
    }

    public static DateOnly Day(DateTimeOffset time) => DateOnly.FromDateTime(time.UtcDateTime);

    private sealed class StepOrder : IComparer<ProcessStep>
    {
        public static readonly StepOrder Instance = new();

        public int Compare(ProcessStep x, ProcessStep y)
        {
            var byTime = x.Time.UtcTicks.CompareTo(y.Time.UtcTicks);
            return byTime != 0 ? byTime : string.CompareOrdinal(x.Step, y.Step);
        }
    }
}
