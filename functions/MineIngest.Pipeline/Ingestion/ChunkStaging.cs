using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using MineIngest.Domain;
using MineIngest.Domain.Reading;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Ingestion;

/// <summary>A survey's rows staged in blobs of <see cref="PipelineOptions.RowsPerChunk"/> rows, and one queue message per chunk.</summary>
public sealed class ChunkStaging(StorageClients storage, ReferenceData reference, IOptions<PipelineOptions> options, IOptions<SurveyLimits> limits)
{
    /// <summary>Reads the rows and stages them in chunk blobs (four uploads at a time beside the reading); the chunks' messages.</summary>
    public async Task<List<ChunkMessage>> StageRowsAsync(Stream stream, SurveyEntity survey, CancellationToken ct)
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

    /// <summary>Queues the chunks and flags the survey queued.</summary>
    public async Task EnqueueAsync(SurveyEntity survey, IEnumerable<ChunkMessage> messages, CancellationToken ct)
    {
        await storage.SendChunksAsync(messages, ct);
        survey.Enqueued = true;
        // Merge only the flag: scorers may already be writing the survey's totals.
        var flag = new TableEntity(SurveyEntity.Partition, survey.RowKey) { [nameof(SurveyEntity.Enqueued)] = true };
        await storage.SurveyTable.UpdateEntityAsync(flag, ETag.All, TableUpdateMode.Merge, ct);
    }

    /// <summary>The messages of a survey's staged chunks (those in <paramref name="skip"/> left out), read back from their blobs.</summary>
    public async Task<List<ChunkMessage>> MessagesFromStagedAsync(SurveyEntity survey, CancellationToken ct, ISet<int>? skip = null)
    {
        var messages = new List<ChunkMessage>();
        for (var index = 0; index < survey.Chunks; index++)
        {
            if (skip?.Contains(index) == true) continue;
            messages.Add(ChunkMessage.For(survey, index, (await storage.ReadChunkAsync(survey.RowKey, index, ct)).Rows));
        }
        return messages;
    }
}
