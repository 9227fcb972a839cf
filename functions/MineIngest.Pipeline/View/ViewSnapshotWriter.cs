using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.View;

/// <summary>
/// When the mine view is written to storage as its snapshot (<see cref="ViewSnapshotStore"/>), for new instances to
/// start from: the view offers each state it publishes, and this writes the newest in the background when the view has
/// been still for a moment, at most once per ViewSnapshotSeconds, and never over a newer one another instance stored.
/// </summary>
public sealed class ViewSnapshotWriter(ViewSnapshotStore snapshots, StorageClients storage, Ingestion.WorkClaims work, IOptions<PipelineOptions> options,
    TimeProvider time, ILogger<MineView> logger)
{
    /// <summary>The view as the newest change left it, with its snapshot number; null until one did.</summary>
    private volatile StoredViewAt? _latest;
    private long _storedVersion;
    private DateTimeOffset _storedAt = DateTimeOffset.MinValue;
    private int _writing;

    private sealed record StoredViewAt(StoredView View, long Version);

    /// <summary>The view's state as published under snapshot number <paramref name="version"/>.</summary>
    public void Offer(StoredView view, long version) => _latest = new StoredViewAt(view, version);

    /// <summary>What is stored is this version already (the view started from it, and nothing changed since).</summary>
    public void AlreadyStored(long version) => Interlocked.Exchange(ref _storedVersion, version);

    /// <summary>
    /// Writes the snapshot in the background when the view changed since the last one this instance knows of, at most
    /// once per ViewSnapshotSeconds, after the view has been still for a moment and this instance has no chunk or page
    /// in hand (unless that goes on past two periods), and only when no newer snapshot is stored (another instance's).
    /// </summary>
    public void Schedule()
    {
        var every = TimeSpan.FromSeconds(options.Value.ViewSnapshotSeconds);
        if (every <= TimeSpan.Zero || _latest is not { } latest || latest.Version == Interlocked.Read(ref _storedVersion)) return;
        if (Interlocked.CompareExchange(ref _writing, 1, 0) != 0) return;
        _ = Task.Run(async () =>
        {
            var failed = false;
            var waitingSince = time.GetUtcNow();
            try
            {
                // Until what is stored is the newest: a change that came while a snapshot was being written is written next.
                while (_latest is { } pending && pending.Version != Interlocked.Read(ref _storedVersion))
                {
                    var now = time.GetUtcNow();
                    var due = _storedAt + every;
                    // Still for a moment (the newest change older than SnapshotQuiet, and this instance scoring nothing:
                    // a snapshot written beside a next round slowed it), or the period gone by twice.
                    var still = (now - pending.View.CheckedAt >= SnapshotQuiet && work.IdleFor(SnapshotQuiet)) || now - waitingSince >= 2 * every;
                    if (now >= due && still)
                    {
                        await WriteAsync(CancellationToken.None);
                        waitingSince = time.GetUtcNow();
                    }
                    else await Task.Delay(now < due ? due - now : SnapshotQuiet, time);
                }
            }
            catch (Exception ex)
            {
                failed = true;
                logger.LogWarning(ex, "The view's snapshot could not be written; the next change tries again");
            }
            finally
            {
                Volatile.Write(ref _writing, 0);
            }
            // A change noted between the loop's last look and the release above found a writer still running: take it up.
            if (!failed) Schedule();
        });
    }

    /// <summary>How long the view must be unchanged before a snapshot is written (a survey's chunks change it every few seconds).</summary>
    private static readonly TimeSpan SnapshotQuiet = TimeSpan.FromSeconds(5);

    /// <summary>Writes the view's newest state as the snapshot unless a newer one is stored; returns whether it wrote.</summary>
    public async Task<bool> WriteAsync(CancellationToken ct)
    {
        if (_latest is not { } latest || latest.Version == Interlocked.Read(ref _storedVersion)) return false;
        if (await snapshots.StoredCheckedAtAsync(ct) is { } stored && stored >= latest.View.CheckedAt)
        {
            // Another instance stored a newer one: nothing to write until this view changes again.
            Interlocked.Exchange(ref _storedVersion, latest.Version);
            return false;
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var bytes = await snapshots.WriteAsync(latest.View, storage.AllMines.Select(m => m.Province).ToList(), ct);
        Interlocked.Exchange(ref _storedVersion, latest.Version);
        _storedAt = time.GetUtcNow();
        logger.LogInformation("Mine view snapshot written: {Mines} mines, {Bytes} bytes, checked at {CheckedAt}, in {Ms} ms",
            latest.View.Mines.Count, bytes, latest.View.CheckedAt, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return true;
    }
}
