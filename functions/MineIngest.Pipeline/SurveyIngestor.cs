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

namespace MineIngest.Pipeline;

/// <summary>
/// Reads an uploaded survey, records it, stages its rows in chunks and queues one message per chunk.
/// Safe to run again for the same blob: the survey id comes from the blob's name and content, and each step
/// is either repeated harmlessly or skipped once done.
/// </summary>
public sealed class SurveyIngestor(
    StorageClients storage, ReferenceData reference, IOptions<PipelineOptions> options, IOptions<SurveyLimits> limits,
    TimeProvider time, ILogger<SurveyIngestor> logger)
{
    public const string NationalFolder = "national";

    /// <summary>The upload folder a name stands for: a province's slug (by slug, English or Persian name) or "national"; null if none.</summary>
    public static string? UploadFolder(ReferenceData reference, string? name) =>
        TextFold.Key(name ?? "") == NationalFolder ? NationalFolder : reference.FindProvince(name)?.Slug;

    public async Task IngestAsync(BlobClient blob, CancellationToken ct)
    {
        var properties = (await blob.GetPropertiesAsync(cancellationToken: ct)).Value;
        var contentHash = properties.ContentHash is { Length: > 0 } md5 ? Convert.ToHexString(md5) : await HashAsync(blob, ct);
        var surveyId = SurveyIdOf(blob.Name, contentHash);
        var surveys = storage.SurveyTable;

        var existing = await surveys.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, surveyId, cancellationToken: ct);
        if (existing.HasValue && existing.Value is { } known)
        {
            if (known.Stage == SurveyStage.Rejected || known.Enqueued)
            {
                logger.LogInformation("Survey {SurveyId} from {Blob} was already read; nothing to do", surveyId, blob.Name);
                return;
            }
            if (known.Stage == SurveyStage.Processing)
            {
                // Read before, but the host stopped before every chunk was queued: queue them again (scorers skip done chunks).
                await EnqueueAsync(known, await MessagesFromStagedChunksAsync(known, ct), ct);
                return;
            }
        }

        var survey = new SurveyEntity
        {
            RowKey = surveyId,
            Blob = blob.Name,
            Folder = blob.Name.Split('/')[0],
            ReceivedAt = properties.CreatedOn,
        };
        await surveys.UpsertEntityAsync(survey, TableUpdateMode.Replace, ct);
        logger.LogInformation("Reading survey {SurveyId} from {Blob} ({Bytes} bytes)", surveyId, blob.Name, properties.ContentLength);

        List<ChunkMessage> messages;
        try
        {
            if (!blob.Name.Contains('/') || UploadFolder(reference, survey.Folder) != survey.Folder)
            {
                throw new SurveyRejectedException(
                    $"The file was uploaded to \"{survey.Folder}\", which is not a province folder: upload it under the province's own folder " +
                    "(for example kerman/) or under national/.");
            }
            if (properties.ContentLength > limits.Value.MaxFileBytes)
            {
                throw new SurveyRejectedException(
                    $"The file is larger than {limits.Value.MaxFileBytes / (1024 * 1024)} MB, the limit for one survey. Split it into smaller files and upload each.");
            }
            await using var stream = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), ct);
            messages = await StageRowsAsync(stream, survey, ct);
        }
        catch (SurveyRejectedException rejected)
        {
            logger.LogWarning("Survey {SurveyId} from {Blob} rejected: {Reason}", surveyId, blob.Name, rejected.Message);
            survey.Stage = SurveyStage.Rejected;
            survey.Rows = 0;
            survey.Error = rejected.Message;
            await surveys.UpsertEntityAsync(survey, TableUpdateMode.Replace, ct);
            return;
        }

        survey.Stage = SurveyStage.Processing;
        survey.Rows = messages.Sum(m => m.Rows);
        survey.Chunks = messages.Count;
        await surveys.UpsertEntityAsync(survey, TableUpdateMode.Replace, ct);
        await EnqueueAsync(survey, messages, ct);
        logger.LogInformation("Survey {SurveyId} from {Blob}: {Rows} rows queued in {Chunks} chunks", surveyId, blob.Name, survey.Rows, survey.Chunks);
    }

    /// <summary>The same blob name with the same content is the same survey, however often it is delivered or uploaded.</summary>
    public static string SurveyIdOf(string blobName, string contentHash) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(blobName + "\n" + contentHash)))[..32];

    private static async Task<string> HashAsync(BlobClient blob, CancellationToken ct)
    {
        await using var stream = await blob.OpenReadAsync(cancellationToken: ct);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream, ct));
    }

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
        messages.Add(ChunkMessage.For(survey.RowKey, index, rows));
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
            messages.Add(ChunkMessage.For(survey.RowKey, index, (await storage.ReadChunkAsync(survey.RowKey, index, ct)).Rows));
        }
        return messages;
    }

    /// <summary>
    /// Queues again the chunks of surveys that have made no progress for a while. A host that is killed holds
    /// the messages it had received invisible for minutes; this brings their rows back sooner. Chunks already
    /// done are skipped, and a chunk scored twice counts once.
    /// </summary>
    public async Task RecoverStalledAsync(TimeSpan stalledFor, CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {SurveyEntity.Partition} and Stage eq {SurveyStage.Processing} and Enqueued eq {true}");
        await foreach (var survey in storage.SurveyTable.QueryAsync<SurveyEntity>(filter, cancellationToken: ct))
        {
            if (survey.Accepted + survey.Rejected + survey.Failed >= survey.Rows) continue;
            if (survey.Timestamp is { } changed && time.GetUtcNow() - changed < stalledFor) continue;
            var done = new HashSet<int>();
            await foreach (var result in storage.ChunkResults.QueryAsync<ChunkResultEntity>(
                               TableClient.CreateQueryFilter($"PartitionKey eq {survey.RowKey}"), select: ["RowKey"], cancellationToken: ct))
            {
                done.Add(int.Parse(result.RowKey, System.Globalization.CultureInfo.InvariantCulture));
            }
            var missing = await MessagesFromStagedChunksAsync(survey, ct, done);
            logger.LogWarning("Survey {SurveyId} made no progress for {Seconds} s: queueing its {Count} unfinished chunks again",
                survey.RowKey, stalledFor.TotalSeconds, missing.Count);
            await storage.SendChunksAsync(missing, ct);
            // Touch the survey so the next sweep waits another full period before queueing again.
            var touch = new TableEntity(SurveyEntity.Partition, survey.RowKey) { ["RecoveredAt"] = time.GetUtcNow() };
            await storage.SurveyTable.UpdateEntityAsync(touch, ETag.All, TableUpdateMode.Merge, ct);
        }
    }
}
