using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Health;

/// <summary>What /api/health says of the survey backlog.</summary>
public sealed record Backlog(
    int SurveysProcessing, string? OldestUnsettledSurvey, double? OldestUnsettledSeconds, SweepDto? LastSweep, int PoisonMessages, RescoreDto? Rescore,
    IReadOnlyList<WithdrawingDto> Withdrawals, EventsBacklog Events);

/// <summary>
/// The events: surveys whose events are recorded and not yet in their streams for longer than a minute (the sweep sends
/// them; a number that stays up means a stream does not answer), and events a stream refused, kept in the dead-letter queue.
/// </summary>
public sealed record EventsBacklog(int Unsent, int DeadLettered);

/// <summary>A withdrawal in progress: the survey, its file and the progress.</summary>
public sealed record WithdrawingDto(string Survey, string Blob, WithdrawalDto Withdrawal);

public sealed record SweepDto(DateTime At, int Blobs, int WithoutReport, int Read, int Failed, int StalledRequeued);

public sealed record HealthDto(string Status, string? Reason, Backlog? Backlog);

/// <summary>
/// The health /api/health answers (<see cref="Api.HealthApi"/>): the backlog while every storage service answers, the reason when one does not.
/// One query of the survey partition (a few columns), one table read, and three queue property reads.
/// </summary>
public sealed class PipelineHealth(
    StorageClients storage, SurveySweep sweep, Rescoring rescoring, Withdrawals withdrawals, Events.EventPublisher events, TimeProvider time, ILogger<PipelineHealth> logger)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    /// <summary>Where a blob trigger (Event Grid source, in Azure) puts a file it gave up on.</summary>
    public const string BlobPoisonQueue = "webjobs-blobtrigger-poison";

    /// <summary>The health as /api/health tells it: ok with the backlog, or unavailable with the reason (<see cref="HealthDto.Status"/>).</summary>
    public async Task<HealthDto> CheckAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            return new HealthDto(Ok, null, await BacklogAsync(timeout.Token));
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && (IsStorageFault(ex) || ex is OperationCanceledException))
        {
            var reason = ex is OperationCanceledException
                ? $"Storage did not answer within {Timeout.TotalSeconds:0} s."
                : $"Storage cannot be reached: {Describe(ex)}";
            logger.LogWarning(ex, "Health check: {Reason}", reason);
            return new HealthDto(Unavailable, reason, null);
        }
    }

    public const string Ok = "ok", Unavailable = "unavailable";

    private async Task<Backlog> BacklogAsync(CancellationToken ct)
    {
        var poison = Task.WhenAll(MessageCountAsync(PipelineOptions.ChunkPoisonQueue, ct), MessageCountAsync(BlobPoisonQueue, ct));
        var last = sweep.LastAsync(ct);
        var rescore = rescoring.StatusAsync(ct);
        var withdrawing = withdrawals.ActiveAsync(ct);
        var deadLettered = events.DeadLetteredAsync(ct);

        // A survey is unsettled while it is being read, or while rows are pending (Stage stays "processing" when complete).
        var processing = 0;
        var unsent = 0;
        var unsentSince = time.GetUtcNow().AddMinutes(-1);
        SurveyEntity? oldest = null;
        await foreach (var survey in storage.SurveyTable.QueryAsync<SurveyEntity>(
                           TableClient.CreateQueryFilter($"PartitionKey eq {SurveyEntity.Partition}"),
                           select: [nameof(SurveyEntity.RowKey), nameof(SurveyEntity.Stage), nameof(SurveyEntity.ReceivedAt), nameof(SurveyEntity.Rows),
                               nameof(SurveyEntity.Accepted), nameof(SurveyEntity.Rejected), nameof(SurveyEntity.Failed), nameof(SurveyEntity.OutboxPending),
                               nameof(SurveyEntity.OutboxSince)],
                           cancellationToken: ct))
        {
            if (survey.OutboxPending && survey.OutboxSince < unsentSince) unsent++;
            if (survey.IsSettled()) continue;
            processing++;
            if (oldest is null || survey.ReceivedAt < oldest.ReceivedAt) oldest = survey;
        }

        var counts = await poison;
        Telemetry.PipelineTelemetry.ObserveBacklog(processing, oldest is null ? null : (time.GetUtcNow() - oldest.ReceivedAt).TotalSeconds);
        var sweepReport = await last;
        return new Backlog(
            processing, oldest?.RowKey, oldest is null ? null : Math.Round((time.GetUtcNow() - oldest.ReceivedAt).TotalSeconds, 1),
            sweepReport is null ? null : new SweepDto(sweepReport.At.UtcDateTime, sweepReport.Blobs, sweepReport.WithoutReport, sweepReport.Read,
                sweepReport.Failed, sweepReport.StalledRequeued),
            counts.Sum(), await rescore, (await withdrawing).Select(w => new WithdrawingDto(w.Survey.RowKey, w.Survey.Blob, w.Withdrawal)).ToList(),
            new EventsBacklog(unsent, await deadLettered));
    }

    private async Task<int> MessageCountAsync(string queue, CancellationToken ct)
    {
        try
        {
            return (await storage.Queues.GetQueueClient(queue).GetPropertiesAsync(ct)).Value.ApproximateMessagesCount;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return 0; // never created: nothing was ever poisoned there
        }
    }

    /// <summary>Storage that is down, refusing, or failing on its side (not a bug of ours).</summary>
    public static bool IsStorageFault(Exception ex) => ex switch
    {
        RequestFailedException { Status: 0 or >= 500 } or HttpRequestException => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsStorageFault),
        _ => false,
    };

    private static string Describe(Exception ex) => ex switch
    {
        AggregateException { InnerExceptions: [var first, ..] } => Describe(first),
        RequestFailedException { Status: > 0 } failed => $"it answered {failed.Status} {failed.ErrorCode}.",
        _ => ex.InnerException is { } inner && ex is RequestFailedException ? Describe(inner) : ex.Message,
    };
}
