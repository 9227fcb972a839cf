
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Health;

namespace MineIngest.Pipeline.View;

/// <summary>
/// One refresh at a time of something read from storage, shared by everyone who needs it. A caller names the moment its
/// answer must have been checked at or after; it gets a completed task when the last successful refresh began then or
/// later, the running refresh when that one began then or later, or else the refresh that starts as soon as the running
/// one ends. So a thousand requests arriving together cost one refresh, and no request is answered from a check that
/// began before the moment it asked for. A refresh that failed counts as the answer for those who asked before it
/// began: they are not made to wait for another try at a storage that is away. Writes this instance made raise a floor
/// (<see cref="RequireAfter"/>): no caller is answered from a check begun before them, whatever it asked.
/// </summary>
public sealed class CoalescedRefresh(Func<Task> refresh, TimeProvider time)
{
    private readonly Lock _lock = new();
    private Task? _running;
    private DateTimeOffset _runningSince;
    private Task? _next;
    /// <summary>Ticks of the last successful refresh's start, 0 before the first: read without the lock by every answer.</summary>
    private long _checkedAtTicks;
    private (DateTimeOffset StartedAt, Exception Error)? _lastFailure;
    private long _floorTicks;

    /// <summary>When the last successful refresh began (everything on record then is in it), or null before the first.</summary>
    public DateTimeOffset? CheckedAt => Interlocked.Read(ref _checkedAtTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>
    /// Something this instance wrote was written before <paramref name="at"/>: from now on no caller is answered from a
    /// check begun before then, so the next answer includes it.
    /// </summary>
    public void RequireAfter(DateTimeOffset at)
    {
        var ticks = at.UtcTicks;
        for (var known = Interlocked.Read(ref _floorTicks); ticks > known; known = Interlocked.Read(ref _floorTicks))
            if (Interlocked.CompareExchange(ref _floorTicks, ticks, known) == known) return;
    }

    /// <summary>What a caller asking for <paramref name="since"/> needs: that, or the floor of this instance's writes.</summary>
    private DateTimeOffset Needed(DateTimeOffset since)
    {
        var floor = new DateTimeOffset(Interlocked.Read(ref _floorTicks), TimeSpan.Zero);
        return floor > since ? floor : since;
    }

    /// <summary>
    /// When the check that answers <paramref name="request"/> began and whether that is older than it allows. A plain
    /// request, with something loaded, at once from the last check: it never waits on storage. One that waits (no-cache,
    /// a view token), as <see cref="WaitAsync"/> says; with nothing loaded, for a check begun after it arrived (a failure
    /// of the background's first load is not its answer).
    /// </summary>
    public ValueTask<(DateTimeOffset CheckedAt, bool Stale)> ReadAsync(RequestFreshness request, TimeSpan wait, bool loaded, ILogger logger, string what,
        CancellationToken ct)
    {
        if (!request.Waits && loaded && CheckedAt is { } checkedAt) return ValueTask.FromResult((checkedAt, checkedAt < request.Since));
        var since = !loaded && request.Arrived > request.Since ? request.Arrived : request.Since;
        return new ValueTask<(DateTimeOffset, bool)>(WaitAsync(since, wait, loaded, logger, what, ct));
    }

    /// <summary>
    /// Waits for a check begun at or after <paramref name="since"/> (or the floor), at most <paramref name="wait"/> when
    /// there is something loaded to fall back on (the caller then serves it as stale). With nothing loaded yet there is
    /// nothing to serve: it waits for the refresh, and a storage fault reaches the caller. Returns when the last check
    /// began and whether that is older than was needed.
    /// </summary>
    public async Task<(DateTimeOffset CheckedAt, bool Stale)> WaitAsync(DateTimeOffset since, TimeSpan wait, bool loaded, ILogger logger, string what, CancellationToken ct)
    {
        since = Needed(since);
        var task = EnsureAsync(since);
        if (!task.IsCompletedSuccessfully)
        {
            if (!loaded) await task.WaitAsync(ct);
            else
            {
                try
                {
                    await task.WaitAsync(wait, ct);
                }
                catch (TimeoutException)
                {
                    logger.LogWarning("The {View} was not refreshed within {Seconds} s; answering from the check of {CheckedAt}", what, wait.TotalSeconds, CheckedAt);
                }
                catch (Exception ex) when (PipelineHealth.IsStorageFault(ex))
                {
                    logger.LogWarning("The {View} could not be refreshed ({Reason}); answering from the check of {CheckedAt}", what, ex.Message, CheckedAt);
                }
            }
        }
        var checkedAt = CheckedAt ?? DateTimeOffset.MinValue;
        return (checkedAt, checkedAt < since);
    }

    /// <summary>Completes when a refresh that began at or after <paramref name="since"/> (or the floor) has succeeded; faults when it failed.</summary>
    public Task EnsureAsync(DateTimeOffset since)
    {
        since = Needed(since);
        lock (_lock)
        {
            if (CheckedAt is { } checkedAt && checkedAt >= since) return Task.CompletedTask;
            if (_running is not null && _runningSince >= since) return _running;
            if (_lastFailure is { } failure && failure.StartedAt >= since) return Task.FromException(failure.Error);
            if (_running is null) return Start();
            // The running refresh began too early for this caller: the next one, begun when it ends, serves everyone waiting.
            return _next ??= _running.ContinueWith(_ =>
            {
                lock (_lock)
                {
                    _next = null;
                    return _running ?? Start();
                }
            }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>Under the lock.</summary>
    private Task Start()
    {
        var startedAt = time.GetUtcNow();
        _runningSince = startedAt;
        var task = RunAsync(startedAt);
        _running = task;
        // A caller that stopped waiting (it answered from the last view) leaves the failure to nobody: observe it here.
        _ = task.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return task;
    }

    private async Task RunAsync(DateTimeOffset startedAt)
    {
        // Off the caller's lock and thread: the refresh runs to its end even when every caller has stopped waiting.
        await Task.Yield();
        try
        {
            await refresh();
            lock (_lock)
            {
                if (startedAt.UtcTicks > Interlocked.Read(ref _checkedAtTicks)) Interlocked.Exchange(ref _checkedAtTicks, startedAt.UtcTicks);
                _lastFailure = null;
            }
        }
        catch (Exception ex)
        {
            lock (_lock) _lastFailure = (startedAt, ex);
            throw;
        }
        finally
        {
            lock (_lock) _running = null;
        }
    }
}
