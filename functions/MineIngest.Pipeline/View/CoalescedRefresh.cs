
namespace MineIngest.Pipeline.View;

/// <summary>
/// One refresh at a time of something read from storage, shared by everyone who needs it. A caller names the moment its
/// answer must have been checked at or after; it gets a completed task when the last successful refresh began then or
/// later, the running refresh when that one began then or later, or else the refresh that starts as soon as the running
/// one ends. So a thousand requests arriving together cost one refresh, and no request is answered from a check that
/// began before the moment it asked for. A refresh that failed counts as the answer for those who asked before it
/// began: they are not made to wait for another try at a storage that is away.
/// </summary>
public sealed class CoalescedRefresh(Func<DateTimeOffset, Task> refresh, TimeProvider time)
{
    private readonly Lock _lock = new();
    private Task? _running;
    private DateTimeOffset _runningSince;
    private Task? _next;
    private DateTimeOffset? _checkedAt;
    private (DateTimeOffset StartedAt, Exception Error)? _lastFailure;

    /// <summary>When the last successful refresh began (everything on record then is in it), or null before the first.</summary>
    public DateTimeOffset? CheckedAt
    {
        get { lock (_lock) return _checkedAt; }
    }

    /// <summary>Completes when a refresh that began at or after <paramref name="since"/> has succeeded; faults when it failed.</summary>
    public Task EnsureAsync(DateTimeOffset since)
    {
        lock (_lock)
        {
            if (_checkedAt is { } checkedAt && checkedAt >= since) return Task.CompletedTask;
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
            await refresh(startedAt);
            lock (_lock)
            {
                if (_checkedAt is null || startedAt > _checkedAt) _checkedAt = startedAt;
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
