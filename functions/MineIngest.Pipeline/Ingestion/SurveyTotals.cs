using Azure;
using Azure.Data.Tables;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.Telemetry;

namespace MineIngest.Pipeline.Ingestion;

/// <summary>
/// Keeps a survey's accepted, rejected and failed counts equal to the sum of its chunk results. The survey is
/// read (with its ETag) before the chunk results, so a writer that saw fewer results loses the race and reads again.
/// </summary>
public sealed class SurveyTotals(StorageClients storage, Events.EventPublisher events, TimeProvider time)
{
    private static void Settled(SurveyEntity survey, TimeProvider time)
    {
        using var activity = PipelineTelemetry.Source.StartActivity("survey.totals");
        activity?.SetTag("mineingest.survey.id", survey.RowKey).SetTag("mineingest.province", survey.Folder).SetTag("mineingest.blob", survey.Blob)
            .SetTag("mineingest.rows", survey.Rows).SetTag("mineingest.accepted", survey.Accepted).SetTag("mineingest.rejected", survey.Rejected)
            .SetTag("mineingest.failed", survey.Failed);
        PipelineTelemetry.SurveySettleTime.Record((time.GetUtcNow() - survey.ReceivedAt).TotalSeconds, new KeyValuePair<string, object?>("province", survey.Folder));
    }

    public async Task RefreshAsync(string surveyId, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var survey = (await storage.SurveyTable.GetEntityAsync<SurveyEntity>(SurveyEntity.Partition, surveyId, cancellationToken: ct)).Value;
            int accepted = 0, rejected = 0, failed = 0, warnings = 0;
            await foreach (var result in storage.ChunkResults.QueryAsync<ChunkResultEntity>(
                               TableClient.CreateQueryFilter($"PartitionKey eq {surveyId}"), cancellationToken: ct))
            {
                accepted += result.Accepted;
                rejected += result.Rejected;
                failed += result.Failed;
                warnings += result.Warnings;
            }
            if (survey.Accepted == accepted && survey.Rejected == rejected && survey.Failed == failed) return;
            var wasSettled = survey.IsSettled();
            survey.Accepted = accepted;
            survey.Rejected = rejected;
            survey.Failed = failed;
            // The write that settles the survey happens once (on its ETag): it carries the survey's completed event.
            var settles = !wasSettled && survey.IsSettled();
            if (settles) Events.EventOutbox.Add(survey, Events.PipelineEvents.Completed(survey, warnings, time.GetUtcNow()), time.GetUtcNow());
            try
            {
                var written = await storage.SurveyTable.UpdateEntityAsync(survey, survey.ETag, TableUpdateMode.Replace, ct);
                if (!settles) return;
                Settled(survey, time); // the end of the survey's trace
                await events.SendAsync(storage.SurveyTable, survey.PartitionKey, survey.RowKey, survey.Outbox, written.Headers.ETag ?? survey.ETag, ct);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // Another chunk finished meanwhile: read again.
            }
        }
        throw new InvalidOperationException($"Could not update the totals of survey {surveyId}: too many concurrent writers.");
    }
}
