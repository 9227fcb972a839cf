using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Events;
using Spectre.Console;

namespace MineIngest.Cli;

/// <summary>
/// What became of files this province sent, learnt from its event stream rather than by asking the survey route again
/// and again. A file's events are taken off the stream once shown; other files' events are left there (hidden from
/// other readers for <see cref="HideOthersFor"/> while this one looks past them).
/// </summary>
public sealed class SurveyOutcomes(EventStream stream, ApiClient api, IAnsiConsole console, string province)
{
    public static readonly TimeSpan HideOthersFor = TimeSpan.FromSeconds(10);
    private const int Batch = 32;

    /// <summary>Waits for the file's survey.completed or survey.failed, showing its events as they come.</summary>
    public async Task<StreamEvent> WaitAsync(string blob, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var batch = await stream.ReceiveAsync(HideOthersFor, ct);
            foreach (var e in batch.Where(e => e.Data("blob") == blob))
            {
                console.WriteLine(EventStream.Describe(e));
                await stream.TakeOffAsync(e, ct);
                if (e.Event.Type is EventTypes.SurveyCompleted or EventTypes.SurveyFailed) return e;
            }
            if (DateTime.UtcNow > deadline)
                throw new CliException($"{blob} was uploaded, but its report was not ready within {timeout.TotalMinutes:0} minutes. Check later with: mineingest status {blob}");
            // A full batch may hide this file's events behind others: look further at once.
            if (batch.Count < Batch) await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    /// <summary>
    /// The report as a clerk reads it, from the final event; the rows with reasons are asked for once, only when the
    /// event says there are some to show. The exit code: rows rejected or failed, or all through.
    /// </summary>
    public async Task<int> ShowAsync(StreamEvent outcome, CancellationToken ct)
    {
        var blob = outcome.Data("blob")!;
        if (outcome.Event.Type == EventTypes.SurveyFailed)
        {
            console.MarkupLineInterpolated($"Survey [bold]{blob}[/] ({outcome.Data("survey")}): rejected");
            console.MarkupLineInterpolated($"[red]The whole file was rejected:[/] {outcome.Data("reason")}");
            console.MarkupLineInterpolated($"{outcome.Data("reasonFa")}");
            return ExitCodes.RowsRejected;
        }
        if (outcome.Count("rejected") + outcome.Count("failed") + outcome.Count("warnings") > 0)
            return Reports.ShowSurvey(console, await api.GetProvinceSurveyAsync(province, blob, ct));
        console.MarkupLineInterpolated($"Survey [bold]{blob}[/] ({outcome.Data("survey")}): completed");
        console.MarkupLineInterpolated($"rows {outcome.Count("rows")}, accepted {outcome.Count("accepted")}, rejected 0, failed 0, pending 0");
        return ExitCodes.AllWentThrough;
    }

    /// <summary>For the watch folder: shows the outcome of every sent file whose final event has come, and takes its events off.</summary>
    public async Task<int> ShowArrivedAsync(IReadOnlySet<string> sentBlobs, CancellationToken ct)
    {
        var shown = 0;
        while (true)
        {
            var batch = await stream.ReceiveAsync(HideOthersFor, ct);
            foreach (var e in batch.Where(e => e.Data("blob") is { } b && sentBlobs.Contains(b)))
            {
                console.WriteLine(EventStream.Describe(e));
                await stream.TakeOffAsync(e, ct);
                shown++;
            }
            if (batch.Count < Batch) return shown;
        }
    }
}
