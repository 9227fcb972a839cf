using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using MineIngest.Pipeline;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Office;

namespace MineIngest.Functions;

/// <summary>The storage triggers: thin, each hands off to a pipeline service; exceptions escape so retries and poison queues work.</summary>
public sealed class PipelineFunctions(
    SurveyIngestor ingestor, ChunkProcessor processor, SurveySweep sweep, Rescoring rescoring, WithdrawalPages withdrawals, Pipeline.Backup.BackupWriter backups)
{
    /// <summary>The app setting holding the sweep's NCRONTAB schedule (a flat name: nested names in %...% are unreliable on Linux plans).</summary>
    public const string SweepScheduleSetting = "SurveySweepSchedule";

    /// <summary>The app setting holding the backup's NCRONTAB schedule (hourly by default).</summary>
    public const string BackupScheduleSetting = "BackupSchedule";

    /// <summary>Driven by Blob Storage events (Event Grid): the only blob source on the Flex Consumption plan.</summary>
    [Function(nameof(IngestSurvey))]
    public Task IngestSurvey(
        [BlobTrigger("surveys/{province}/{file}", Source = BlobTriggerSource.EventGrid, Connection = "AzureWebJobsStorage")] BlobClient blob,
        CancellationToken ct) =>
        ingestor.IngestAsync(blob, ct);

    [Function(nameof(ScoreChunk))]
    public Task ScoreChunk(
        [QueueTrigger(PipelineOptions.ChunkQueue, Connection = "AzureWebJobsStorage")] string message, FunctionContext context, CancellationToken ct) =>
        processor.ProcessAsync(ChunkMessage.Parse(message), DequeueCount(context), ct);

    [Function(nameof(FailChunk))]
    public Task FailChunk(
        [QueueTrigger(PipelineOptions.ChunkPoisonQueue, Connection = "AzureWebJobsStorage")] string message, CancellationToken ct) =>
        processor.FailAsync(ChunkMessage.Parse(message), ct);

    /// <summary>One page of a province's mines scored again with the current settings.</summary>
    [Function(nameof(RescoreMines))]
    public Task RescoreMines(
        [QueueTrigger(PipelineOptions.RescoreQueue, Connection = "AzureWebJobsStorage")] string message, CancellationToken ct) =>
        rescoring.ProcessAsync(RescoreMessage.Parse(message), ct);

    /// <summary>One page of a province's mines put back as they were before a withdrawn survey.</summary>
    [Function(nameof(WithdrawMines))]
    public Task WithdrawMines(
        [QueueTrigger(PipelineOptions.WithdrawQueue, Connection = "AzureWebJobsStorage")] string message, CancellationToken ct) =>
        withdrawals.ProcessAsync(WithdrawMessage.Parse(message), ct);

    /// <summary>
    /// Reads every upload whose BlobCreated event never came, and queues again the chunks of stalled surveys. On a timer,
    /// not a hosted service: Flex Consumption scales to zero, and a timer wakes an instance where a hosted service would not.
    /// </summary>
    [Function(nameof(SweepSurveys))]
    public Task SweepSurveys([TimerTrigger("%" + SweepScheduleSetting + "%")] TimerInfo timer, CancellationToken ct) => sweep.RunAsync(ct);

    /// <summary>A backup of the record to the backup account (docs/BACKUP.md); a failed one throws, and the next hour's tries again.</summary>
    [Function(nameof(BackupRecord))]
    public Task BackupRecord([TimerTrigger("%" + BackupScheduleSetting + "%")] TimerInfo timer, CancellationToken ct) =>
        backups.WriteAsync(backups.NewId(), ct);

    private static long DequeueCount(FunctionContext context) =>
        context.BindingContext.BindingData.TryGetValue("DequeueCount", out var value) && long.TryParse(value?.ToString(), out var count) ? count : 1;
}
