using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Ingestion;

/// <summary>
/// The claim on a survey's file while one instance reads it: the survey record's <see cref="SurveyEntity.ReadingUntil"/>,
/// renewed on the record's ETag (<see cref="SurveyIngestor"/> holds it), and given up with the reason when a read fails.
/// </summary>
internal static class ReadingClaim
{
    /// <summary>
    /// Renews the reading claim every third of its length, on the record's ETag; when that fails because the record
    /// changed (another instance took the file over after a pause longer than the claim), <paramref name="lost"/> is cancelled.
    /// </summary>
    public static async Task RenewAsync(StorageClients storage, string surveyId, StrongBox<ETag> held, TimeSpan claimLength, CancellationTokenSource lost,
        TimeProvider time, ILogger logger, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(claimLength / 3, time, stop);
                var renewal = new TableEntity(SurveyEntity.Partition, surveyId) { [nameof(SurveyEntity.ReadingUntil)] = time.GetUtcNow() + claimLength };
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
    public static async Task TryNoteErrorAsync(StorageClients storage, string surveyId, Exception error, ETag held, TimeProvider time, ILogger logger,
        CancellationToken ct)
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
}
