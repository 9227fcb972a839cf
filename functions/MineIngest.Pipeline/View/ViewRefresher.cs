using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Health;
using MineIngest.Pipeline.Office;

namespace MineIngest.Pipeline.View;

/// <summary>
/// Loads the mine view as the instance starts (a new instance on Flex Consumption is started for a request), then keeps
/// it and the committee meetings checked against storage every MineViewRefreshSeconds; with a longer period, mines this
/// instance wrote are taken in as written between checks (at most every <see cref="WritesGap"/>). Plain requests are answered
/// from what it last checked and never wait for storage themselves. MineViewRefreshSeconds 0 leaves every check to the
/// requests.
/// </summary>
public sealed class ViewRefresher(MineView view, CommitteeStore committees, IOptions<PipelineOptions> options, TimeProvider time, ILogger<ViewRefresher> logger)
    : BackgroundService
{
    /// <summary>
    /// The least time between two changes of the view while this instance writes: each new snapshot costs its first
    /// readers a new summary of every mine. Taken in every quarter second, the summary's p99 during a round of 100,000
    /// was 109 ms and the round 5% slower; every second, 72 ms and no slower (docs/BENCHMARKS.md, section 11).
    /// </summary>
    public static readonly TimeSpan WritesGap = TimeSpan.FromSeconds(1);

    private readonly TaskCompletionSource _firstLoad = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes when the first load ended, loaded or not. The local host's sweep and queue polling wait for it (at most
    /// a few seconds): on two cores, their start beside the load made a new instance's first answer a second later.
    /// </summary>
    public Task FirstLoad => _firstLoad.Task;

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        try
        {
            await view.LoadedAsync(ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("The mine view could not be loaded at start ({Reason}); the first request loads it", ex.Message);
        }
        finally
        {
            _firstLoad.TrySetResult();
        }
        var period = TimeSpan.FromSeconds(options.Value.MineViewRefreshSeconds);
        if (period <= TimeSpan.Zero) return;
        var failing = false;
        long checkedAt = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (checkedAt == 0 || time.GetElapsedTime(checkedAt) >= period)
                {
                    checkedAt = time.GetTimestamp();
                    await Task.WhenAll(view.CheckNowAsync(ct), committees.CheckNowAsync(ct));
                    if (failing) logger.LogInformation("The views are checked against storage again");
                    failing = false;
                }
                // Woken by this instance's writes between checks: they are taken in as written, storage is not asked.
                else await view.TakeOwnWritesAsync(ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // Said once per outage: answers carry their age and "stale" meanwhile. Anything else is a fault of ours,
                // but the loop goes on: a view never checked again would be worse than the fault.
                if (ex is not (Azure.RequestFailedException or HttpRequestException) && !PipelineHealth.IsStorageFault(ex)) logger.LogError(ex, "The views' check failed");
                else if (!failing) logger.LogWarning("The views could not be checked against storage ({Reason}); answering from the last check until they can", ex.Message);
                failing = true;
            }
            try
            {
                await Task.Delay(WritesGap, time, ct);
                var left = period - time.GetElapsedTime(checkedAt);
                if (left > TimeSpan.Zero) await view.WrittenAsync(left, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
