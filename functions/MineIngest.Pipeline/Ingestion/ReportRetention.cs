using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Ingestion;

/// <summary>
/// Keeps a report's rows only as long as they can be downloaded as rows to fix (<see cref="UploadOptions.ReportRetentionDays"/>):
/// then the survey's staged rows and row errors are deleted and the survey notes when. Its counts stay for good. In Azure a
/// lifecycle rule deletes the staged rows as well (infra/modules/storage.bicep); Azurite has no lifecycle rules.
/// </summary>
public sealed class ReportRetention(StorageClients storage, IOptions<UploadOptions> options, TimeProvider time, ILogger<ReportRetention> logger)
{
    /// <summary>Deletes the rows of settled surveys received before the retention; returns how many surveys were cleared.</summary>
    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        var before = time.GetUtcNow() - TimeSpan.FromDays(options.Value.ReportRetentionDays);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {SurveyEntity.Partition} and ReceivedAt lt {before}");
        var due = new List<SurveyEntity>();
        await foreach (var survey in storage.SurveyTable.QueryAsync<SurveyEntity>(filter, cancellationToken: ct))
            if (survey.RowsPurgedOn is null && survey.IsSettled()) due.Add(survey);

        foreach (var survey in due)
        {
            var errors = new List<TableTransactionAction>();
            await foreach (var e in storage.RowErrors.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {survey.RowKey}"), select: ["PartitionKey", "RowKey"], cancellationToken: ct))
                errors.Add(new TableTransactionAction(TableTransactionActionType.Delete, e, ETag.All));
            foreach (var batch in errors.Chunk(100)) await storage.RowErrors.SubmitTransactionAsync(batch, ct);
            await foreach (var blob in storage.Chunks.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, survey.RowKey + "/", ct))
                await storage.Chunks.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: ct);
            var note = new TableEntity(SurveyEntity.Partition, survey.RowKey) { [nameof(SurveyEntity.RowsPurgedOn)] = time.GetUtcNow() };
            await storage.SurveyTable.UpdateEntityAsync(note, ETag.All, TableUpdateMode.Merge, ct);
            logger.LogInformation("Survey {SurveyId} received {ReceivedAt}: its rows to fix are no longer kept ({Errors} row errors deleted)",
                survey.RowKey, survey.ReceivedAt, errors.Count);
        }
        return due.Count;
    }
}
