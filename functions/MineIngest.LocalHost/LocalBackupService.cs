using MineIngest.Pipeline.Backup;

namespace MineIngest.LocalHost;

/// <summary>
/// The local host's scheduled backup, every LocalHost:BackupMinutes (60; 0 turns it off), the first one a period after
/// start. The Functions app has its timer (BackupSchedule). A failed backup is logged and tried at the next period.
/// </summary>
public sealed class LocalBackupService(BackupWriter writer, IConfiguration configuration, ILogger<LocalBackupService> logger) : BackgroundService
{
    public const string PeriodSetting = "LocalHost:BackupMinutes";

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var minutes = configuration.GetValue(PeriodSetting, 60.0);
        if (minutes <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(Math.Max(minutes, 0.05)));
        while (await timer.WaitForNextTickAsync(ct))
        {
            try
            {
                await writer.WriteAsync(writer.NewId(), ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Scheduled backup failed; the next period tries again");
            }
        }
    }
}
