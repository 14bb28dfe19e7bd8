using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Publishing;

/// <summary>
/// Admission control for publishing, by bytes in flight (<see cref="PublishingOptions.MaxBytesInFlight"/>): a request
/// reserves its body's size before the body is read and keeps it until its events are committed or refused, so the
/// memory publishing holds is bounded however many clients send at once. When the budget is used up the request is
/// answered 503 at once; nothing of it was read, so nothing of it is stored.
/// </summary>
internal sealed class PublishAdmission(IOptions<PublishingOptions> options)
{
    private long _inFlight;

    /// <summary>Bytes reserved now.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Reserves <paramref name="bytes"/>; null when the budget cannot hold them (the request is refused).</summary>
    public Reservation? TryEnter(long bytes)
    {
        var after = Interlocked.Add(ref _inFlight, bytes);
        if (after > options.Value.MaxBytesInFlight && after != bytes)
        {
            Interlocked.Add(ref _inFlight, -bytes);
            return null;
        }

        return new Reservation(this, bytes);
    }

    /// <summary>A reservation: released on dispose, or when the write it was handed to completes (<see cref="ReleaseAfter"/>).</summary>
    internal sealed class Reservation(PublishAdmission admission, long bytes) : IDisposable
    {
        private int _released;
        private bool _handedOff;

        /// <summary>
        /// Keeps the bytes reserved until <paramref name="write"/> completes, even when the client gives up first: queued
        /// events stay in memory until their commit, so they count until then.
        /// </summary>
        public void ReleaseAfter(Task write)
        {
            _handedOff = true;
            _ = write.ContinueWith(static (_, state) => ((Reservation)state!).Release(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        public void Dispose()
        {
            if (!_handedOff)
            {
                Release();
            }
        }

        private void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Add(ref admission._inFlight, -bytes);
            }
        }
    }
}
