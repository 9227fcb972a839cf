using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Ingestion;

/// <summary>What one sweep saw and did; the newest is kept in the survey table for /api/health.</summary>
public sealed record SweepReport(DateTimeOffset At, int Blobs, int WithoutReport, int Read, int Failed, int StalledRequeued);

/// <summary>
/// The reconciliation sweep: one listing of <c>surveys/</c> compared with the survey table, so that every uploaded
/// file ends in a report even when its BlobCreated event never came (Event Grid subscription created later, an event
/// dead-lettered, a blob trigger that missed it). It reads the files with no survey record, reads again those stuck
/// before their chunks were queued, and queues again the chunks of stalled surveys. Ingestion is idempotent by survey
/// id, so sweeps on several instances at once, or racing the blob trigger, do no harm.
/// </summary>
public sealed class SurveySweep(
    StorageClients storage, SurveyIngestor ingestor, StalledSurveys stalled, ReportRetention retention, Rescoring rescoring, Withdrawals withdrawals, WorkClaims claims,
    Events.EventPublisher events, IOptions<PipelineOptions> options, TimeProvider time, ILogger<SurveySweep> logger)
{
    public const string StatusPartition = "sweep";
    private const string StatusRow = "last";
    private const int ReadsAtOnce = 4;
    /// <summary>
    /// Files read between two listings at most: a run that read a whole burst (hundreds of files) before listing again
    /// held back the takeover of files whose reader died (38 s in a burst of 300 on three hosts).
    /// </summary>
    private const int ReadsPerRun = 8 * ReadsAtOnce;

    /// <summary>Blob versions (name and ETag) whose survey is queued or rejected: a later listing skips them without asking the table.</summary>
    private readonly ConcurrentDictionary<string, byte> _settled = new(StringComparer.Ordinal);
    private DateTimeOffset _stalledCheckedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _retentionCheckedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _eventsCheckedAt = DateTimeOffset.MinValue;
    /// <summary>Retention is in days: once an hour is soon enough, and keeps the idle sweep at one request.</summary>
    private static readonly TimeSpan RetentionEvery = TimeSpan.FromHours(1);
    private SweepReport? _saved;

    public async Task<SweepReport> RunAsync(CancellationToken ct)
    {
        // A trace of its own, like each re-scoring page: the surveys it reads start theirs.
        using var activity = Telemetry.PipelineTelemetry.Source.StartActivity("sweep.run");
        // Azurite may have started empty, or after this host (a no-op once it succeeded).
        await storage.EnsureCreatedAsync(ct);
        var requeued = 0;
        var listed = 0;
        var withoutReport = 0;
        var failed = 0;
        var read = new ConcurrentBag<string>();
        var tried = new HashSet<string>(StringComparer.Ordinal);
        for (var more = true; more;)
        {
            // Work whose holder died is sent again seconds after its claim expired (one query of a small table), and
            // files whose reader died come first: checked again after every ReadsPerRun files, so a burst being read
            // does not hold them back. Each file at most once a run.
            requeued += await claims.ReclaimExpiredAsync(ct);
            (listed, var toRead) = await ListUnsettledAsync(ct);
            if (tried.Count == 0) withoutReport = toRead.Count;
            toRead = toRead.Where(b => !tried.Contains(b.Name)).ToList();
            more = toRead.Count > ReadsPerRun;
            if (more) toRead = toRead[..ReadsPerRun];
            tried.UnionWith(toRead.Select(b => b.Name));
            failed += await ReadAsync(toRead, read, ct);
        }
        if (withoutReport > 0)
            logger.LogInformation("Sweep: {Blobs} files listed, {WithoutReport} without a settled survey, {Read} read, {Failed} failed",
                listed, withoutReport, read.Count, failed);

        // Events whose writer died before sending them (or whose stream did not answer): sent with their ids, looked for
        // as often as they may be left (three small queries; not at every sweep, which runs every 2 s locally).
        if (time.GetUtcNow() - _eventsCheckedAt >= events.SendLeftAfter)
        {
            await events.SendLeftAsync(ct);
            _eventsCheckedAt = time.GetUtcNow();
        }

        var recoverAfter = TimeSpan.FromSeconds(options.Value.RecoverAfterSeconds);
        if (time.GetUtcNow() - _stalledCheckedAt >= recoverAfter / 2)
        {
            requeued += await stalled.RecoverAsync(recoverAfter, ct);
            await rescoring.RecoverStalledAsync(recoverAfter, ct);
            await withdrawals.RecoverStalledAsync(recoverAfter, ct);
            _stalledCheckedAt = time.GetUtcNow();
        }

        if (time.GetUtcNow() - _retentionCheckedAt >= RetentionEvery)
        {
            await retention.PurgeAsync(ct);
            _retentionCheckedAt = time.GetUtcNow();
        }

        var report = new SweepReport(time.GetUtcNow(), listed, withoutReport, read.Count, failed, requeued);
        activity?.SetTag("mineingest.blobs", listed).SetTag("mineingest.read", read.Count).SetTag("mineingest.requeued", requeued);
        Telemetry.PipelineTelemetry.ObserveSweep(read);
        await SaveAsync(report, ct);
        return report;
    }

    /// <summary>One listing of <c>surveys/</c>: how many files, and those to read (files whose reader died first).</summary>
    private async Task<(int Listed, List<BlobItem> ToRead)> ListUnsettledAsync(CancellationToken ct)
    {
        var listed = 0;
        var unsettled = new List<BlobItem>();
        await foreach (var blob in storage.Surveys.GetBlobsAsync(cancellationToken: ct))
        {
            listed++;
            if (!_settled.ContainsKey(VersionKey(blob))) unsettled.Add(blob);
        }
        return (listed, unsettled.Count == 0 ? [] : await WithoutSettledSurveyAsync(unsettled, ct));
    }

    /// <summary>Reads the files, <see cref="ReadsAtOnce"/> at a time; returns how many failed (the next sweep tries them again).</summary>
    private async Task<int> ReadAsync(List<BlobItem> toRead, ConcurrentBag<string> read, CancellationToken ct)
    {
        var failed = 0;
        await Parallel.ForEachAsync(toRead, new ParallelOptions { MaxDegreeOfParallelism = ReadsAtOnce, CancellationToken = ct }, async (blob, token) =>
        {
            try
            {
                // Held by another instance: not settled here, so this sweep looks again if that instance dies.
                if (!await ingestor.IngestAsync(storage.Surveys.GetBlobClient(blob.Name), token)) return;
                _settled.TryAdd(VersionKey(blob), 0);
                read.Add(blob.Name.Split('/')[0]);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next sweep tries again; after SurveyIngestor.MaxReadAttempts the file is rejected with a message.
                Interlocked.Increment(ref failed);
                logger.LogWarning(ex, "Sweep: reading {Blob} failed; the next sweep tries again", blob.Name);
            }
        });
        return failed;
    }

    /// <summary>The newest sweep's report as saved (by any instance), or null before the first.</summary>
    public async Task<SweepReport?> LastAsync(CancellationToken ct)
    {
        var saved = await storage.SurveyTable.GetEntityIfExistsAsync<TableEntity>(StatusPartition, StatusRow, cancellationToken: ct);
        if (!saved.HasValue || saved.Value is not { } e) return null;
        return new SweepReport(e.GetDateTimeOffset("At") ?? DateTimeOffset.MinValue, e.GetInt32("Blobs") ?? 0, e.GetInt32("WithoutReport") ?? 0,
            e.GetInt32("Read") ?? 0, e.GetInt32("Failed") ?? 0, e.GetInt32("StalledRequeued") ?? 0);
    }

    private static string VersionKey(BlobItem blob) => blob.Name + "\n" + blob.Properties.ETag;

    /// <summary>
    /// The listed blobs whose survey is unknown, or known but stuck before its chunks were queued. One query of the
    /// survey partition answers for all of them.
    /// </summary>
    private async Task<List<BlobItem>> WithoutSettledSurveyAsync(List<BlobItem> blobs, CancellationToken ct)
    {
        var known = new Dictionary<string, SurveyEntity>(StringComparer.Ordinal);
        await foreach (var survey in storage.SurveyTable.QueryAsync<SurveyEntity>(
                           TableClient.CreateQueryFilter($"PartitionKey eq {SurveyEntity.Partition}"),
                           select: [nameof(SurveyEntity.RowKey), nameof(SurveyEntity.Timestamp), nameof(SurveyEntity.Stage), nameof(SurveyEntity.Enqueued),
                               nameof(SurveyEntity.WithdrawRequestedAt), nameof(SurveyEntity.BlobETag), nameof(SurveyEntity.ReadingUntil)], cancellationToken: ct))
        {
            known[survey.RowKey] = survey;
        }

        var toRead = new List<BlobItem>();
        var takeovers = new List<BlobItem>();
        foreach (var blob in blobs)
        {
            // Without Content-MD5 the id needs the content: let the ingestor compute it (and store it on the blob).
            if (blob.Properties.ContentHash is not { Length: > 0 } md5) { toRead.Add(blob); continue; }
            var id = SurveyIdentity.Of(blob.Name, Convert.ToHexString(md5));
            if (!known.TryGetValue(id, out var survey)) toRead.Add(blob);
            else if (blob.Properties.ETag is { } etag && blob.Properties.LastModified is { } written && SurveyIdentity.SentAgainAfterWithdrawal(survey, etag, written))
                toRead.Add(blob); // the ingestor names it anew
            else if (survey.Stage == SurveyStage.Rejected || survey.Enqueued) _settled.TryAdd(VersionKey(blob), 0);
            else if (!ingestor.IsBeingRead(survey)) takeovers.Add(blob); // reading began, then the reader died (its claim expired)
        }
        // Files whose reader died first: they have waited longest.
        return [.. takeovers, .. toRead];
    }

    /// <summary>
    /// Saves the report when it says something new, or every 10 minutes as a sign of life. Not more: on Azurite any
    /// write makes it save its whole table store to disk, seconds of CPU once it holds 100,000 mines.
    /// </summary>
    private async Task SaveAsync(SweepReport report, CancellationToken ct)
    {
        if (_saved is { } saved && saved with { At = report.At } == report && report.At - saved.At < TimeSpan.FromMinutes(10)) return;
        var entity = new TableEntity(StatusPartition, StatusRow)
        {
            ["At"] = report.At, ["Blobs"] = report.Blobs, ["WithoutReport"] = report.WithoutReport, ["Read"] = report.Read,
            ["Failed"] = report.Failed, ["StalledRequeued"] = report.StalledRequeued,
        };
        await storage.SurveyTable.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct);
        _saved = report;
    }
}
