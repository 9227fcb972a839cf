using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MineIngest.Pipeline.Telemetry;

/// <summary>
/// What the pipeline tells an operator, as OpenTelemetry expects it from .NET: one <see cref="ActivitySource"/> and one
/// <see cref="Meter"/>, both named <see cref="Name"/>; the hosts choose the exporters (Azure Monitor in Azure, OTLP
/// locally). A survey is one trace: the read of its file, each chunk's scoring (the chunk message carries the trace
/// context) and its totals. Spans and metrics carry ids, counts and provinces, never a row's values; there are no
/// per-row spans or logs, so a survey's telemetry does not grow with its rows (20 chunk spans for 100,000 rows).
/// </summary>
public static class PipelineTelemetry
{
    public const string Name = "MineIngest";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    /// <summary>Rows by outcome (accepted, rejected, failed) and province: what the reports add up to.</summary>
    public static readonly Counter<long> Rows = Meter.CreateCounter<long>("mineingest.rows", "{row}", "Survey rows by outcome and province");

    public static readonly Histogram<double> ChunkDuration = Meter.CreateHistogram<double>("mineingest.chunk.duration", "s", "Time to validate, score and write one chunk");

    public static readonly Histogram<double> SurveySettleTime = Meter.CreateHistogram<double>("mineingest.survey.settle_time", "s", "From upload to a final report, per survey");

    public static readonly Counter<long> PoisonMessages = Meter.CreateCounter<long>("mineingest.poison.messages", "{message}", "Chunk messages that ran out of tries (their rows end failed)");

    public static readonly Counter<long> FilesWithoutEvent = Meter.CreateCounter<long>("mineingest.sweep.files_without_event", "{file}",
        "Uploads the sweep read because no BlobCreated event had brought them");

    public static readonly Histogram<double> ViewRefreshDuration = Meter.CreateHistogram<double>("mineingest.view.refresh.duration", "s", "One refresh of the API's view of the mines");

    public static readonly Counter<long> MinesRescored = Meter.CreateCounter<long>("mineingest.rescore.mines", "{mine}", "Mines scored again by re-scoring runs");

    /// <summary>What the sweep and the health check last found: unsettled surveys, the oldest one's age, sweeps in a row that found files without an event.</summary>
    private static long _unsettled, _oldestSeconds, _sweepsWithoutEvent;
    private static Func<double?>? _viewAge;

    static PipelineTelemetry()
    {
        Meter.CreateObservableGauge("mineingest.surveys.unsettled", () => Interlocked.Read(ref _unsettled), "{survey}", "Surveys read but not settled");
        Meter.CreateObservableGauge("mineingest.surveys.oldest_unsettled_age", () => Interlocked.Read(ref _oldestSeconds), "s", "Age of the oldest unsettled survey");
        Meter.CreateObservableGauge("mineingest.sweep.runs_without_event", () => Interlocked.Read(ref _sweepsWithoutEvent), "{run}",
            "Sweeps in a row that read files no event had brought (events are being lost when this stays up)");
        Meter.CreateObservableGauge("mineingest.view.age", () => _viewAge?.Invoke() ?? 0, "s", "Seconds since the API's view was last checked against storage");
    }

    public static void ObserveBacklog(int unsettled, double? oldestSeconds)
    {
        Interlocked.Exchange(ref _unsettled, unsettled);
        Interlocked.Exchange(ref _oldestSeconds, (long)(oldestSeconds ?? 0));
    }

    /// <summary>After a sweep: the upload folders of the files it read that no event had brought; counts the runs in a row that read any.</summary>
    public static void ObserveSweep(IReadOnlyCollection<string> foldersRead)
    {
        foreach (var folder in foldersRead) FilesWithoutEvent.Add(1, new KeyValuePair<string, object?>("province", folder));
        if (foldersRead.Count > 0) Interlocked.Increment(ref _sweepsWithoutEvent);
        else Interlocked.Exchange(ref _sweepsWithoutEvent, 0);
    }

    public static KeyValuePair<string, object?> Province(string province) => new("province", province);

    public static void ObserveViewAge(Func<double?> age) => _viewAge = age;

    public static void CountRows(string province, int accepted, int rejected, int failed)
    {
        var where = new KeyValuePair<string, object?>("province", province);
        if (accepted > 0) Rows.Add(accepted, new("outcome", "accepted"), where);
        if (rejected > 0) Rows.Add(rejected, new("outcome", "rejected"), where);
        if (failed > 0) Rows.Add(failed, new("outcome", "failed"), where);
    }

    /// <summary>The W3C traceparent of the current span, for a message that continues the trace elsewhere.</summary>
    public static string? CurrentTraceParent() => Activity.Current is { } a && a.Source == Source ? a.Id : null;

    /// <summary>A span that continues the trace a message carried (when it carried one), linked to the trigger's own span.</summary>
    public static Activity? StartFromMessage(string name, string? traceParent)
    {
        var links = Activity.Current is { } trigger ? new[] { new ActivityLink(trigger.Context) } : null;
        return traceParent is not null && ActivityContext.TryParse(traceParent, null, out var parent)
            ? Source.StartActivity(name, ActivityKind.Consumer, parent, links: links)
            : Source.StartActivity(name, ActivityKind.Consumer);
    }
}
