using MineIngest.Pipeline;
using MineIngest.Pipeline.Ingestion;

namespace MineIngest.LocalHost;

/// <summary>
/// The local host's way of finding uploads: the reconciliation sweep every few seconds (LocalHost:SweepSeconds).
/// It replaces the WebJobs blob trigger, whose container scan keeps only the newest Last-Modified it has seen (one-second
/// precision, so blobs committed in the same second were lost in bursts) and whose receipts aborted the process when
/// storage went away. A failing sweep is logged once per outage and tried again on the next tick; it never ends the host.
/// </summary>
public sealed class LocalSweepService(SurveySweep sweep, MineIngest.Pipeline.View.ViewRefresher views, IConfiguration configuration, ILogger<LocalSweepService> logger)
    : BackgroundService
{
    public const string PeriodSetting = "LocalHost:SweepSeconds";

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        // After the view's first load, or 5 s: a new instance answers first, then takes work.
        await views.FirstLoad.WaitAsync(TimeSpan.FromSeconds(5), ct).ContinueWith(_ => { }, TaskScheduler.Default);
        var period = TimeSpan.FromSeconds(Math.Clamp(configuration.GetValue(PeriodSetting, 2.0), 0.2, 300));
        using var timer = new PeriodicTimer(period);
        var outage = new OutageLog(logger, "Upload sweep");
        do
        {
            try
            {
                await sweep.RunAsync(ct);
                outage.Succeeded();
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                outage.Failed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(ct));
    }
}
