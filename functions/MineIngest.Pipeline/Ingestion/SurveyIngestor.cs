using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using MineIngest.Domain;
using MineIngest.Domain.Reading;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.Telemetry;

namespace MineIngest.Pipeline.Ingestion;

/// <summary>
/// Reads an uploaded survey, records it, stages its rows in chunks and queues one message per chunk.
/// Safe to run again for the same blob: the survey id comes from the blob's name and content, and each step
/// is either repeated harmlessly or skipped once done.
/// </summary>
public sealed class SurveyIngestor(
    StorageClients storage, ReferenceData reference, WorkClaims claims, IOptions<PipelineOptions> options, IOptions<SurveyLimits> limits,
    Access.UploadSasIssuer uploads, Events.EventPublisher events, ChunkStaging staging, TimeProvider time, ILogger<SurveyIngestor> logger)
{
    public const string NationalFolder = "national";

    /// <summary>The upload folder a name stands for: a province's slug (by slug, English or Persian name) or "national"; null if none.</summary>
    public static string? UploadFolder(ReferenceData reference, string? name) =>
        TextFold.Key(name ?? "") == NationalFolder ? NationalFolder : reference.FindProvince(name)?.Slug;

    /// <summary>How often a file may fail to be read (storage or reader faults, not bad content) before it is rejected, visibly.</summary>
    public const int MaxReadAttempts = 3;

    /// <summary>
    /// Reads the file unless it was read or another instance is reading it. True when its survey is settled as far as
    /// reading goes (rejected, or its chunks queued); false when another instance holds it. The steps: find the
    /// survey's record; stop if it is settled or held; claim it; read and stage the rows under the claim; record it
    /// processing and queue its chunks.
    /// </summary>
    public async Task<bool> IngestAsync(BlobClient blob, CancellationToken ct)
    {
        var properties = (await blob.GetPropertiesAsync(cancellationToken: ct)).Value;
        var (contentHash, blobETag) = await SurveyIdentity.ContentHashAsync(blob, properties, limits.Value.MaxFileBytes, logger, ct);
        // The survey's trace: this read, each chunk's scoring (their messages carry it) and the totals.
        using var activity = PipelineTelemetry.Source.StartActivity("survey.read", ActivityKind.Consumer);
        var (surveyId, known) = await FindRecordAsync(blob.Name, contentHash, blobETag, properties.LastModified, ct);
        if (known is not null && await AlreadyHandledAsync(known, ct) is { } handled) return handled;

        var attempt = (known?.ReadAttempts ?? 0) + 1;
        var survey = new SurveyEntity
        {
            RowKey = surveyId,
            Blob = blob.Name,
            Folder = blob.Name.Split('/')[0],
            // A record made before this read keeps its time: the file as received (a restored upload is created anew).
            ReceivedAt = known?.ReceivedAt ?? properties.CreatedOn,
            BlobETag = blobETag.ToString(),
            ReadAttempts = attempt,
            TraceParent = activity?.Id,
            ReadingUntil = time.GetUtcNow() + ClaimLength,
            ReadBy = WorkClaims.Instance,
            // Events not yet sent stay with the record through every read of it.
            Outbox = known?.Outbox, OutboxSince = known?.OutboxSince, OutboxPending = known?.OutboxPending ?? false,
        };
        if (known is null)
        {
            // Written with the record that says the survey exists: a file never recorded was never received.
            var sentBy = await uploads.UploaderAsync(survey.Folder, blob.Name, ct);
            Events.EventOutbox.Add(survey, Events.PipelineEvents.Received(survey, properties.ContentLength, sentBy?.ToString()), time.GetUtcNow());
        }
        activity?.SetTag("mineingest.survey.id", surveyId).SetTag("mineingest.province", survey.Folder).SetTag("mineingest.blob", blob.Name)
            .SetTag("mineingest.bytes", properties.ContentLength);
        if (attempt > MaxReadAttempts)
        {
            // Each try failed on something other than the content (which would have rejected it at once): stop trying, visibly.
            logger.LogError("Survey {SurveyId} from {Blob} could not be read in {Attempts} tries: {LastError}", surveyId, blob.Name, MaxReadAttempts, known!.LastReadError);
            return await RejectAsync(survey, ClerkMessages.ReadFailedTooOften(MaxReadAttempts), known.ETag, ct);
        }
        if (await ClaimAsync(survey, known, ct) is not { } held) return false;
        await DeliverWhileHeldAsync(survey, ct);
        logger.LogInformation("Reading survey {SurveyId} from {Blob} ({Bytes} bytes, try {Attempt})", surveyId, blob.Name, properties.ContentLength, attempt);
        using var busy = claims.Busy();
        var (messages, outcome) = await ReadUnderClaimAsync(blob, properties, survey, held, activity, ct);
        return messages is null ? outcome : await RecordQueuedAsync(survey, messages, held.Value, activity, ct);
    }

    /// <summary>The survey this file makes, and its record if there is one.</summary>
    private async Task<(string SurveyId, SurveyEntity? Known)> FindRecordAsync(string blobName, string contentHash, ETag blobETag, DateTimeOffset lastModified,
        CancellationToken ct)
    {
        var surveyId = SurveyIdentity.Of(blobName, contentHash);
        var existing = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, surveyId, cancellationToken: ct);
        if (existing.HasValue && SurveyIdentity.SentAgainAfterWithdrawal(existing.Value!, blobETag, lastModified))
        {
            // The same file sent again once its survey was withdrawn is a new survey: named by this upload (its ETag) too.
            surveyId = SurveyIdentity.Of(blobName, contentHash + "\n" + blobETag);
            existing = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, surveyId, cancellationToken: ct);
        }
        return (surveyId, existing.HasValue ? existing.Value : null);
    }

    /// <summary>
    /// What to answer without reading, for a survey already on record: true when it was read (rejected, or its chunks
    /// queued: queued again when the host stopped before all were), false while another instance holds it; null when
    /// this instance may read it (a try before failed, or its reader's claim expired).
    /// </summary>
    private async Task<bool?> AlreadyHandledAsync(SurveyEntity known, CancellationToken ct)
    {
        if (known.Stage == SurveyStage.Rejected || known.Enqueued)
        {
            logger.LogInformation("Survey {SurveyId} from {Blob} was already read; nothing to do", known.RowKey, known.Blob);
            return true;
        }
        if (known.Stage == SurveyStage.Processing)
        {
            // Read before, but the host stopped before every chunk was queued: queue them again (scorers skip done chunks).
            await staging.EnqueueAsync(known, await staging.MessagesFromStagedAsync(known, ct), ct);
            return true;
        }
        if (IsBeingRead(known))
        {
            // Another instance holds it (a re-delivered event, a sweep): it finishes, or its claim expires and a sweep takes over.
            logger.LogInformation("Survey {SurveyId} from {Blob} is being read by another instance", known.RowKey, known.Blob);
            return false;
        }
        return null;
    }

    /// <summary>
    /// The claim: only one instance begins a read (a new record, or one whose reader's claim expired, on its ETag). The
    /// record's ETag as this instance holds it (renewed while it reads), or null when another instance came first.
    /// </summary>
    private async Task<StrongBox<ETag>?> ClaimAsync(SurveyEntity survey, SurveyEntity? known, CancellationToken ct)
    {
        try
        {
            return new StrongBox<ETag>(known is not null
                ? (await storage.SurveyTable.UpdateEntityAsync(survey, known.ETag, TableUpdateMode.Replace, ct)).Headers.ETag ?? ETag.All
                : (await storage.SurveyTable.AddEntityAsync(survey, ct)).Headers.ETag ?? ETag.All);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            logger.LogInformation("Survey {SurveyId} from {Blob}: another instance began reading it first", survey.RowKey, survey.Blob);
            return null;
        }
    }

    /// <summary>
    /// Reads and stages the rows while the claim is renewed. The chunk messages, or null with what to answer: the file
    /// rejected (true once recorded), the claim lost to another instance (false); any other fault escapes, so the
    /// trigger (or the next sweep) tries again.
    /// </summary>
    private async Task<(List<ChunkMessage>? Messages, bool Outcome)> ReadUnderClaimAsync(BlobClient blob, BlobProperties properties, SurveyEntity survey,
        StrongBox<ETag> held, Activity? activity, CancellationToken ct)
    {
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopRenewing = new CancellationTokenSource();
        var renewing = ReadingClaim.RenewAsync(storage, survey.RowKey, held, ClaimLength, lost, time, logger, stopRenewing.Token);
        async Task<bool> StillHeldAsync()
        {
            await stopRenewing.CancelAsync();
            await renewing;
            return !lost.IsCancellationRequested;
        }

        List<ChunkMessage> messages;
        try
        {
            if (!blob.Name.Contains('/') || UploadFolder(reference, survey.Folder) != survey.Folder)
            {
                throw new SurveyRejectedException(ClerkMessages.NotAProvinceFolder(survey.Folder));
            }
            if (properties.ContentLength > limits.Value.MaxFileBytes)
            {
                throw new SurveyRejectedException(ClerkMessages.FileTooLarge(limits.Value.MaxFileBytes / (1024 * 1024)));
            }
            await using var stream = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), lost.Token);
            messages = await staging.StageRowsAsync(stream, survey, lost.Token);
        }
        catch (SurveyRejectedException rejected)
        {
            logger.LogWarning("Survey {SurveyId} from {Blob} rejected: {Reason}", survey.RowKey, blob.Name, rejected.Message);
            activity?.SetTag("mineingest.rejected", true);
            return (null, await StillHeldAsync() && await RejectAsync(survey, rejected.Reason, held.Value, ct));
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            await StillHeldAsync();
            logger.LogWarning("Survey {SurveyId} from {Blob}: another instance took the read over; this one stops", survey.RowKey, blob.Name);
            return (null, false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Kept for the last try's log line; the exception escapes so the trigger (or the next sweep) tries again.
            if (await StillHeldAsync()) await ReadingClaim.TryNoteErrorAsync(storage, survey.RowKey, ex, held.Value, time, logger, ct);
            throw;
        }
        finally
        {
            await stopRenewing.CancelAsync();
            await renewing;
        }
        if (lost.IsCancellationRequested)
        {
            logger.LogWarning("Survey {SurveyId} from {Blob}: another instance took the read over; this one stops", survey.RowKey, blob.Name);
            return (null, false);
        }
        return (messages, true);
    }

    /// <summary>Records the survey processing, on the ETag this instance holds, and queues its chunks; false when another instance took it over.</summary>
    private async Task<bool> RecordQueuedAsync(SurveyEntity survey, List<ChunkMessage> messages, ETag held, Activity? activity, CancellationToken ct)
    {
        survey.Stage = SurveyStage.Processing;
        survey.Rows = messages.Sum(m => m.Rows);
        survey.Chunks = messages.Count;
        survey.ReadingUntil = null;
        // A file with no rows is complete once read: no chunk's totals will say so.
        if (survey.IsSettled()) Events.EventOutbox.Add(survey, Events.PipelineEvents.Completed(survey, 0, time.GetUtcNow()), time.GetUtcNow());
        ETag written;
        try
        {
            written = (await storage.SurveyTable.UpdateEntityAsync(survey, held, TableUpdateMode.Replace, ct)).Headers.ETag ?? ETag.All;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            logger.LogWarning("Survey {SurveyId} from {Blob}: another instance took the read over before it was recorded; this one stops", survey.RowKey, survey.Blob);
            return false;
        }
        if (survey.OutboxPending) await events.SendAsync(storage.SurveyTable, survey.PartitionKey, survey.RowKey, survey.Outbox, written, ct);
        await staging.EnqueueAsync(survey, messages, ct);
        activity?.SetTag("mineingest.rows", survey.Rows).SetTag("mineingest.chunks", survey.Chunks);
        logger.LogInformation("Survey {SurveyId} from {Blob}: {Rows} rows queued in {Chunks} chunks", survey.RowKey, survey.Blob, survey.Rows, survey.Chunks);
        return true;
    }

    /// <summary>
    /// Records the file rejected, on the ETag of the record this instance holds (a record another instance took over is
    /// left to it: false).
    /// </summary>
    private async Task<bool> RejectAsync(SurveyEntity survey, ClerkText reason, ETag held, CancellationToken ct)
    {
        survey.Stage = SurveyStage.Rejected;
        survey.Rows = 0;
        survey.Error = reason.English;
        survey.ErrorFa = reason.Persian;
        survey.ReadingUntil = null;
        Events.EventOutbox.Add(survey, Events.PipelineEvents.Failed(survey, time.GetUtcNow()), time.GetUtcNow());
        try
        {
            var written = (await storage.SurveyTable.UpdateEntityAsync(survey, held, TableUpdateMode.Replace, ct)).Headers.ETag ?? ETag.All;
            await events.SendAsync(storage.SurveyTable, survey.PartitionKey, survey.RowKey, survey.Outbox, written, ct);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            logger.LogWarning("Survey {SurveyId}: another instance took the read over before the rejection was recorded", survey.RowKey);
            return false;
        }
    }

    private TimeSpan ClaimLength => TimeSpan.FromSeconds(options.Value.ClaimSeconds);

    /// <summary>
    /// Sends the survey's events (its received event) as soon as it is claimed, but leaves the record alone: the claim
    /// holds its ETag. They come off the outbox with the record's next write under the claim; if this instance dies
    /// first, the next reader sends them again, with the same ids.
    /// </summary>
    private async Task DeliverWhileHeldAsync(SurveyEntity survey, CancellationToken ct)
    {
        if (!survey.OutboxPending) return;
        var delivered = await events.DeliverAsync(survey.Outbox, ct);
        survey.Outbox = Events.EventOutbox.Without(survey.Outbox, delivered);
        survey.OutboxPending = survey.Outbox is not null;
    }

    /// <summary>
    /// Whether a live instance is reading the survey's file: its claim is renewed (an older record without one: written
    /// within <see cref="PipelineOptions.RecoverAfterSeconds"/>).
    /// </summary>
    public bool IsBeingRead(SurveyEntity survey) =>
        survey.Stage == SurveyStage.Reading && (survey.ReadingUntil is { } until
            ? until > time.GetUtcNow()
            : survey.Timestamp is { } written && time.GetUtcNow() - written < TimeSpan.FromSeconds(options.Value.RecoverAfterSeconds));
}
