namespace Altinn.Events.Core.Analytics;

/// <summary>
/// Log-spaced duration buckets, so percentiles can be kept incrementally as counts per bucket. Bucket 0 holds durations
/// under one second; bucket b (1 and up) holds [2^((b-1)/4), 2^(b/4)) seconds: four buckets per doubling, each about 19 %
/// wider than the one before. A percentile is reported as the geometric middle of the bucket the rank falls in, so it is
/// within a factor 2^(1/8) (about 9 %) of the exact value; under a second it is reported as 0.5 s.
/// </summary>
public static class DurationHistogram
{
    /// <summary>Buckets per doubling of the duration.</summary>
    public const int BucketsPerDoubling = 4;

    /// <summary>The highest bucket: 2^(MaxBucket/4) seconds is over 500 years, far past any retention.</summary>
    public const short MaxBucket = 140;

    public static short Bucket(TimeSpan duration)
    {
        var seconds = duration.TotalSeconds;
        if (seconds < 1)
        {
            return 0;
        }

        var bucket = 1 + (int)Math.Floor(BucketsPerDoubling * Math.Log2(seconds) + 1e-9);
        return (short)Math.Min(bucket, MaxBucket);
    }

    /// <summary>The bucket's lower edge in seconds (0 for bucket 0).</summary>
    public static double LowerSeconds(short bucket) => bucket <= 0 ? 0 : Math.Pow(2, (bucket - 1) / (double)BucketsPerDoubling);

    /// <summary>The bucket's upper edge in seconds (exclusive).</summary>
    public static double UpperSeconds(short bucket) => bucket <= 0 ? 1 : Math.Pow(2, bucket / (double)BucketsPerDoubling);

    /// <summary>The value reported for a percentile that falls in the bucket: its geometric middle (0.5 s for bucket 0).</summary>
    public static double RepresentativeSeconds(short bucket) => bucket <= 0 ? 0.5 : Math.Sqrt(LowerSeconds(bucket) * UpperSeconds(bucket));

    /// <summary>
    /// The nearest-rank percentile <paramref name="quantile"/> (0 &lt; q ≤ 1) of the counts per bucket, in seconds; null
    /// when there are none. The rank is ceil(q × n): the value is the bucket holding that many of the smallest durations.
    /// </summary>
    public static double? PercentileSeconds(IEnumerable<(short Bucket, long Count)> buckets, double quantile)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(quantile);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quantile, 1);
        var ordered = buckets.Where(b => b.Count > 0).OrderBy(b => b.Bucket).ToList();
        var total = ordered.Sum(b => b.Count);
        if (total == 0)
        {
            return null;
        }

        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        foreach (var (bucket, count) in ordered)
        {
            seen += count;
            if (seen >= rank)
            {
                return RepresentativeSeconds(bucket);
            }
        }

        return RepresentativeSeconds(ordered[^1].Bucket);
    }
}
