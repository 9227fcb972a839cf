using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Ingestion;

/// <summary>Surveys whose scoring stopped (a host died holding their chunk messages): their unfinished chunks queued again, for the sweep.</summary>
public sealed class StalledSurveys(
    StorageClients storage, ChunkStaging staging, SurveyTotals totals, WorkClaims claims, TimeProvider time, ILogger<StalledSurveys> logger)
{
    /// <summary>
    /// Queues again the chunks of surveys that have made no progress for a while. A host that is killed holds
    /// the messages it had received invisible for minutes; this brings their rows back sooner. Chunks already
    /// done are skipped, and a chunk scored twice counts once. Returns how many chunks were queued again.
    /// </summary>
    public async Task<int> RecoverAsync(TimeSpan stalledFor, CancellationToken ct)
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
            var missing = await staging.MessagesFromStagedAsync(survey, ct, done);
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
