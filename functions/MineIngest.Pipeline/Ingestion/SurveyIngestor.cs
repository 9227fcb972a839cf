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
    StorageClients storage, ReferenceData reference, WorkClaims claims, SurveyTotals totals, IOptions<PipelineOptions> options, IOptions<SurveyLimits> limits,
    Access.UploadSasIssuer uploads, Events.EventPublisher events, TimeProvider time, ILogger<SurveyIngestor> logger)
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
        var (contentHash, blobETag) = await ContentHashAsync(blob, properties, ct);
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
        var surveyId = SurveyIdOf(blobName, contentHash);
        var existing = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, surveyId, cancellationToken: ct);
        if (existing.HasValue && SentAgainAfterWithdrawal(existing.Value!, blobETag, lastModified))
        {
            // The same file sent again once its survey was withdrawn is a new survey: named by this upload (its ETag) too.
            surveyId = SurveyIdOf(blobName, contentHash + "\n" + blobETag);
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
            await EnqueueAsync(known, await MessagesFromStagedChunksAsync(known, ct), ct);
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
        var renewing = RenewReadingClaimAsync(survey.RowKey, held, lost, stopRenewing.Token);
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
            messages = await StageRowsAsync(stream, survey, lost.Token);
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
            if (await StillHeldAsync()) await TryNoteReadErrorAsync(survey.RowKey, ex, held.Value, ct);
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
        await EnqueueAsync(survey, messages, ct);
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

    /// <summary>
    /// Renews the reading claim every third of its length, on the record's ETag; when that fails because the record
    /// changed (another instance took the file over after a pause longer than the claim), <paramref name="lost"/> is cancelled.
    /// </summary>
    private async Task RenewReadingClaimAsync(string surveyId, StrongBox<ETag> held, CancellationTokenSource lost, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(ClaimLength / 3, time, stop);
                var renewal = new TableEntity(SurveyEntity.Partition, surveyId) { [nameof(SurveyEntity.ReadingUntil)] = time.GetUtcNow() + ClaimLength };
                try
                {
                    held.Value = (await storage.SurveyTable.UpdateEntityAsync(renewal, held.Value, TableUpdateMode.Merge, stop)).Headers.ETag ?? held.Value;
                }
                catch (RequestFailedException ex) when (ex.Status is 404 or 412)
                {
                    await lost.CancelAsync();
                    return;
                }
                catch (RequestFailedException ex)
                {
                    logger.LogWarning("Could not renew the reading claim of survey {SurveyId}: {Reason}", surveyId, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Notes why the read failed and gives the claim up, so the next try need not wait for it to expire.</summary>
    private async Task TryNoteReadErrorAsync(string surveyId, Exception error, ETag held, CancellationToken ct)
    {
        try
        {
            var note = new TableEntity(SurveyEntity.Partition, surveyId)
            {
                [nameof(SurveyEntity.LastReadError)] = $"{error.GetType().Name}: {error.Message}", [nameof(SurveyEntity.ReadingUntil)] = time.GetUtcNow(),
            };
            await storage.SurveyTable.UpdateEntityAsync(note, held, TableUpdateMode.Merge, ct);
        }
        catch (Exception noteError) when (noteError is RequestFailedException or AggregateException or HttpRequestException)
        {
            logger.LogDebug(noteError, "Could not note the read error of survey {SurveyId}", surveyId);
        }
    }

    /// <summary>
    /// The content's MD5 in hex. A blob committed from blocks (large or browser uploads) has none: compute it and store
    /// it on the blob (only if the blob is still the one measured), so that the sweep can tell this survey from its
    /// listing alone. A file over the size limit is not read at all: its ETag stands in (it is rejected unread).
    /// </summary>
    private async Task<(string Hash, ETag BlobETag)> ContentHashAsync(BlobClient blob, BlobProperties properties, CancellationToken ct)
    {
        if (properties.ContentHash is { Length: > 0 } stored) return (Convert.ToHexString(stored), properties.ETag);
        if (properties.ContentLength > limits.Value.MaxFileBytes) return ("etag-" + properties.ETag, properties.ETag);
        byte[] md5;
        await using (var stream = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), ct))
        {
            md5 = await MD5.HashDataAsync(stream, ct);
        }
        var etag = properties.ETag;
        try
        {
            etag = (await blob.SetHttpHeadersAsync(new BlobHttpHeaders
            {
                ContentHash = md5,
                ContentType = properties.ContentType,
                ContentEncoding = properties.ContentEncoding,
                ContentLanguage = properties.ContentLanguage,
                ContentDisposition = properties.ContentDisposition,
                CacheControl = properties.CacheControl,
            }, new BlobRequestConditions { IfMatch = properties.ETag }, ct)).Value.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 403 or 409 or 412)
        {
            // Replaced meanwhile (that upload is a survey of its own) or not ours to change: the id stands as computed.
            logger.LogInformation("Could not store the content hash on {Blob}: {Reason}", blob.Name, ex.ErrorCode);
        }
        return (Convert.ToHexString(md5), etag);
    }

    /// <summary>
    /// Whether the blob of a withdrawn survey is another upload (the same file sent again), not the one that was read:
    /// its ETag differs from the one the survey was read from (surveys read before that was kept: written after the withdrawal).
    /// </summary>
    public static bool SentAgainAfterWithdrawal(SurveyEntity survey, ETag blobETag, DateTimeOffset blobLastModified) =>
        survey.WithdrawRequestedAt is { } withdrawn && (survey.BlobETag is { } read ? read != blobETag.ToString() : blobLastModified > withdrawn);

    /// <summary>The same blob name with the same content is the same survey, however often it is delivered or uploaded.</summary>
    public static string SurveyIdOf(string blobName, string contentHash) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(blobName + "\n" + contentHash)))[..32];

    private async Task<List<ChunkMessage>> StageRowsAsync(Stream stream, SurveyEntity survey, CancellationToken ct)
    {
        var rowsPerChunk = options.Value.RowsPerChunk;
        var duplicates = new DuplicateTracker(reference);
        var messages = new List<ChunkMessage>();
        var chunk = new List<ChunkRow>(rowsPerChunk);
        // The readers are synchronous; uploads of full chunks overlap with reading the next ones.
        var uploads = new List<Task>();
        using (var reader = SurveyReader.Open(stream, survey.Blob, limits.Value))
        {
            survey.Headers = SurveyHeaders.ToJson(reader.Headers);
            foreach (var row in reader.ReadRows())
            {
                ct.ThrowIfCancellationRequested();
                chunk.Add(new ChunkRow(row.RowNumber, row.Values, duplicates.Check(row)));
                if (chunk.Count == rowsPerChunk)
                {
                    uploads.Add(UploadChunkAsync(survey, messages, chunk, ct));
                    chunk = new List<ChunkRow>(rowsPerChunk);
                    if (uploads.Count >= 4) { await Task.WhenAll(uploads); uploads.Clear(); }
                }
            }
        }
        if (chunk.Count > 0) uploads.Add(UploadChunkAsync(survey, messages, chunk, ct));
        await Task.WhenAll(uploads);
        return messages;
    }

    private Task UploadChunkAsync(SurveyEntity survey, List<ChunkMessage> messages, List<ChunkRow> rows, CancellationToken ct)
    {
        var index = messages.Count;
        messages.Add(ChunkMessage.For(survey, index, rows));
        var document = new ChunkDocument(survey.RowKey, survey.Blob, survey.Folder, survey.ReceivedAt, rows);
        return storage.Chunks.GetBlobClient(ChunkDocument.BlobName(survey.RowKey, index))
            .UploadAsync(BinaryData.FromObjectAsJson(document, PipelineJson.Options), overwrite: true, ct);
    }

    private async Task EnqueueAsync(SurveyEntity survey, IEnumerable<ChunkMessage> messages, CancellationToken ct)
    {
        await storage.SendChunksAsync(messages, ct);
        survey.Enqueued = true;
        // Merge only the flag: scorers may already be writing the survey's totals.
        var flag = new TableEntity(SurveyEntity.Partition, survey.RowKey) { [nameof(SurveyEntity.Enqueued)] = true };
        await storage.SurveyTable.UpdateEntityAsync(flag, ETag.All, TableUpdateMode.Merge, ct);
    }

    private async Task<List<ChunkMessage>> MessagesFromStagedChunksAsync(SurveyEntity survey, CancellationToken ct, ISet<int>? skip = null)
    {
        var messages = new List<ChunkMessage>();
        for (var index = 0; index < survey.Chunks; index++)
        {
            if (skip?.Contains(index) == true) continue;
            messages.Add(ChunkMessage.For(survey, index, (await storage.ReadChunkAsync(survey.RowKey, index, ct)).Rows));
        }
        return messages;
    }

    /// <summary>
    /// Queues again the chunks of surveys that have made no progress for a while. A host that is killed holds
    /// the messages it had received invisible for minutes; this brings their rows back sooner. Chunks already
    /// done are skipped, and a chunk scored twice counts once. Returns how many chunks were queued again.
    /// </summary>
    public async Task<int> RecoverStalledAsync(TimeSpan stalledFor, CancellationToken ct)
    {
        var requeued = 0;
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {SurveyEntity.Partition} and Stage eq {SurveyStage.Processing} and Enqueued eq {true}");
        await foreach (var survey in storage.SurveyTable.QueryAsync<SurveyEntity>(filter, cancellationToken: ct))
        {
            if (survey.RowsPending() == 0) continue;
            if (survey.Timestamp is { } changed && time.GetUtcNow() - changed < stalledFor) continue;
            // Done chunks, and chunks whose claim is renewed.
            var done = new HashSet<int>();
            await foreach (var result in storage.ChunkResults.QueryAsync<ChunkResultEntity>(
                               TableClient.CreateQueryFilter($"PartitionKey eq {survey.RowKey}"), select: ["RowKey"], cancellationToken: ct))
            {
                done.Add(int.Parse(result.RowKey, System.Globalization.CultureInfo.InvariantCulture));
            }
            if (Enumerable.Range(0, survey.Chunks).All(done.Contains))
            {
                // Every chunk done, the totals behind: the last scorer died between its result and the totals.
                await totals.RefreshAsync(survey.RowKey, ct);
                continue;
            }
            // A chunk whose claim is renewed is slow, not stalled: sending it again would double a live instance's work.
            foreach (var key in await claims.LiveKeysAsync(PipelineOptions.ChunkQueue, survey.RowKey + "-", ct))
                if (int.TryParse(key.AsSpan(survey.RowKey.Length + 1), System.Globalization.CultureInfo.InvariantCulture, out var held)) done.Add(held);
            if (Enumerable.Range(0, survey.Chunks).All(done.Contains)) continue;
            var missing = await MessagesFromStagedChunksAsync(survey, ct, done);
            logger.LogWarning("Survey {SurveyId} made no progress for {Seconds} s: queueing its {Count} unfinished chunks again",
                survey.RowKey, stalledFor.TotalSeconds, missing.Count);
            await storage.SendChunksAsync(missing, ct);
            requeued += missing.Count;
            // Touch the survey so the next sweep waits another full period before queueing again.
            var touch = new TableEntity(SurveyEntity.Partition, survey.RowKey) { ["RecoveredAt"] = time.GetUtcNow() };
            await storage.SurveyTable.UpdateEntityAsync(touch, ETag.All, TableUpdateMode.Merge, ct);
        }
        return requeued;
    }
}
