using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MineIngest.Pipeline.View;

/// <summary>
/// Loads the mine view as the instance starts, so that its first request does not wait for the load (a new instance
/// on Flex Consumption is started for a request). A failure is left to the first request, which tries again.
/// </summary>
public sealed class MineViewWarmUp(MineView view, ILogger<MineViewWarmUp> logger) : BackgroundService
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes when the first load ended, loaded or not. The local host's sweep and queue polling wait for it (at most
    /// a few seconds): on two cores, their start beside the load made a new instance's first answer a second later.
    /// </summary>
    public Task Done => _done.Task;

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
            _done.TrySetResult();
        }
    }
}
