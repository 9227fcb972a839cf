using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using MineIngest.Domain;
using MineIngest.Domain.Reading;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.Telemetry;
using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline.Ingestion;

/// <summary>Scores an accepted mine. An interface so that tests can inject a mine whose scoring always fails.</summary>
public interface IMineScoring
{
    Score Score(Mine mine);
}

public sealed class MineScoring(RevivalScorer scorer) : IMineScoring
{
    public Score Score(Mine mine) => scorer.Score(mine);
}

/// <summary>
/// Validates and scores one chunk of a survey's rows and writes the mines, the row errors and the chunk's
/// result. A chunk whose result exists is done: a re-delivered message changes nothing.
/// </summary>
public sealed class ChunkProcessor(
    StorageClients storage, RowValidator validator, IMineScoring scoring, ScoringFingerprint scoredWith, SurveyTotals totals, MineView view,
    MineWriter mineWriter, WorkClaims claims, TimeProvider time, IOptions<PipelineOptions> options, ILogger<ChunkProcessor> logger)
{
    private const int BatchSize = 100;
    private const int WarningsReportedPerChunk = BatchSize;

    public async Task ProcessAsync(ChunkMessage message, long dequeueCount, CancellationToken ct)
    {
        using var activity = PipelineTelemetry.StartFromMessage("survey.chunk", message.TraceParent);
        activity?.SetTag("mineingest.survey.id", message.SurveyId).SetTag("mineingest.chunk", message.Chunk).SetTag("mineingest.rows", message.Rows)
            .SetTag("mineingest.try", dequeueCount);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (await storage.IsChunkDoneAsync(message.SurveyId, message.Chunk, ct))
        {
            logger.LogInformation("Chunk {Chunk} of survey {SurveyId} was already done", message.Chunk, message.SurveyId);
            // Its scorer may have died between the chunk's result and the survey's totals: without this, a survey whose
            // last chunk that was stayed "processing" for good.
            await totals.RefreshAsync(message.SurveyId, ct);
            return;
        }
        await claims.RunAsync(PipelineOptions.ChunkQueue, ClaimKey(message.SurveyId, message.Chunk), message.ToJson(),
            token => ScoreAsync(message, dequeueCount, started, activity, token), ct);
    }

    /// <summary>The key of a chunk's claim (<see cref="WorkClaims"/>): a survey's chunks share its prefix.</summary>
    public static string ClaimKey(string surveyId, int chunk) => $"{surveyId}-{ChunkResultEntity.KeyFor(chunk)}";

    /// <summary>The chunk's steps: validate and score its rows, write the mines and note them, write the row errors, record the result.</summary>
    private async Task ScoreAsync(ChunkMessage message, long dequeueCount, long started, System.Diagnostics.Activity? activity, CancellationToken ct)
    {
        var chunk = await storage.ReadChunkAsync(message.SurveyId, message.Chunk, ct);
        var scored = Score(chunk, dequeueCount);
        var written = await mineWriter.WriteAsync(scored.Mines, ct);
        if (scored.Mines.Count > 0) await NoteWrittenAsync(chunk.SurveyId, message.Chunk, scored.Mines, written, ct);
        await WriteBatchesAsync(storage.RowErrors, scored.Errors, ct);
        activity?.SetTag("mineingest.province", chunk.Folder).SetTag("mineingest.accepted", scored.Mines.Count).SetTag("mineingest.rejected", scored.Rejected)
            .SetTag("mineingest.failed", scored.Failed);
        await CompleteChunkAsync(chunk.SurveyId, chunk.Folder, message.Chunk, new ChunkResultEntity
        {
            Rows = chunk.Rows.Count, Accepted = scored.Mines.Count, Rejected = scored.Rejected, Failed = scored.Failed, Warnings = scored.Warnings,
        }, ct);
        PipelineTelemetry.ChunkDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("province", chunk.Folder));
        logger.LogInformation("Chunk {Chunk} of survey {SurveyId}: {Accepted} accepted, {Rejected} rejected, {Failed} failed",
            message.Chunk, chunk.SurveyId, scored.Mines.Count, scored.Rejected, scored.Failed);
    }

    /// <summary>What a chunk's rows came to: the accepted mines scored, the errors and warnings to report, and the counts.</summary>
    private sealed record ScoredChunk(List<MineEntity> Mines, List<RowErrorEntity> Errors, int Rejected, int Failed, int Warnings);

    private ScoredChunk Score(ChunkDocument chunk, long dequeueCount)
    {
        var context = new ValidationContext(chunk.Folder == SurveyIngestor.NationalFolder ? null : chunk.Folder, IranClock.Today(time));
        var lastTry = dequeueCount >= options.Value.MaxDequeueCount;
        var mines = new List<MineEntity>();
        var errors = new List<RowErrorEntity>();
        int rejected = 0, failed = 0, warnings = 0;
        foreach (var row in chunk.Rows)
        {
            var outcome = validator.Validate(new SurveyRow(row.R, row.V), context, row.D);
            if (!outcome.Accepted)
            {
                rejected++;
                errors.AddRange(outcome.Errors.Select((e, i) => ErrorEntity(chunk.SurveyId, row.R, outcome.MineId, i, e.Field, new ClerkText(e.Message, e.MessageFa))));
                continue;
            }
            try
            {
                mines.Add(ToEntity(outcome.Mine!, scoring.Score(outcome.Mine!), scoredWith.Fingerprint, chunk, row.R));
                // The report shows a chunk's first warnings (one table batch at most); every mine keeps its own.
                for (var i = 0; i < outcome.Mine!.Warnings.Count && warnings < WarningsReportedPerChunk; i++, warnings++)
                {
                    var w = outcome.Mine.Warnings[i];
                    errors.Add(ErrorEntity(chunk.SurveyId, row.R, outcome.MineId, RowErrorEntity.FirstWarningIndex + i, w.Field, new ClerkText(w.Message, w.MessageFa), RowErrorEntity.Warning));
                }
            }
            catch (Exception ex) when (lastTry)
            {
                // Out of retries: this mine is recorded as failed, the rest of the chunk goes on.
                logger.LogError(ex, "Mine in row {Row} of survey {SurveyId} failed after {Tries} tries", row.R, chunk.SurveyId, dequeueCount);
                failed++;
                errors.Add(ErrorEntity(chunk.SurveyId, row.R, outcome.MineId, 0, "", ClerkMessages.RowFailed()));
            }
        }
        return new ScoredChunk(mines, errors, rejected, failed, warnings);
    }

    /// <summary>
    /// The change-log entry that tells every view these mines changed, written after them (a view that sees it finds
    /// them), and this instance's view handed the mines as written.
    /// </summary>
    private async Task NoteWrittenAsync(string surveyId, int chunkIndex, List<MineEntity> mines, MineWriter.WrittenMines written, CancellationToken ct)
    {
        var entry = MineChangeLog.Entry(time.GetUtcNow(), surveyId, chunkIndex, mines.Count, mines.Select(m => m.PartitionKey));
        // This instance's view takes them as written instead of reading them back: after a next round of 100,000
        // mines, reading them back was 5.5-7.8 s between the report saying completed and the summary counting them.
        // Only when this delivery wrote every one: a mine it found on record as this row already (an earlier try
        // wrote it, then died before this entry) has no answer here, and is read from its table. Expected before the
        // entry is written: a refresh that lists it before the note leaves it for the next one.
        var handOver = written.All is { } all && all.Count == mines.Count ? all : null;
        if (handOver is not null) view.ExpectOwnWrites(entry.RowKey);
        try
        {
            await storage.MineChanges.UpsertEntityAsync(entry, cancellationToken: ct);
            if (handOver is not null) view.NoteOwnWrites(entry.RowKey, handOver);
        }
        finally
        {
            if (handOver is not null) view.EndOwnWrites(entry.RowKey);
        }
        view.NoteWritten(time.GetUtcNow());
    }

    /// <summary>For a chunk message that exhausted its retries: all its rows end as failed, visibly.</summary>
    public async Task FailAsync(ChunkMessage message, CancellationToken ct)
    {
        using var activity = PipelineTelemetry.StartFromMessage("survey.chunk.poison", message.TraceParent);
        activity?.SetTag("mineingest.survey.id", message.SurveyId).SetTag("mineingest.chunk", message.Chunk).SetTag("mineingest.failed", message.Rows);
        if (await storage.IsChunkDoneAsync(message.SurveyId, message.Chunk, ct)) return;

        logger.LogError("Chunk {Chunk} of survey {SurveyId} (rows {FirstRow} to {LastRow}) failed after all retries",
            message.Chunk, message.SurveyId, message.FirstRow, message.LastRow);
        var error = ErrorEntity(message.SurveyId, message.FirstRow, null, 0, "", ClerkMessages.RowsFailed(message.FirstRow, message.LastRow));
        await storage.RowErrors.UpsertEntityAsync(error, TableUpdateMode.Replace, ct);
        var folder = (await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, message.SurveyId, [nameof(SurveyEntity.Folder)], ct))
            .Value?.Folder ?? "";
        PipelineTelemetry.PoisonMessages.Add(1, PipelineTelemetry.Province(folder));
        await CompleteChunkAsync(message.SurveyId, folder, message.Chunk, new ChunkResultEntity { Rows = message.Rows, Failed = message.Rows }, ct);
    }

    private async Task CompleteChunkAsync(string surveyId, string folder, int chunk, ChunkResultEntity result, CancellationToken ct)
    {
        result.PartitionKey = surveyId;
        result.RowKey = ChunkResultEntity.KeyFor(chunk);
        try
        {
            await storage.ChunkResults.AddEntityAsync(result, ct);
            // Counted with the result that counts the rows once: a chunk done twice adds nothing.
            PipelineTelemetry.CountRows(folder, result.Accepted, result.Rejected, result.Failed);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // A twin delivery finished first; it wrote the same outcome.
        }
        await totals.RefreshAsync(surveyId, ct);
    }

    private static RowErrorEntity ErrorEntity(string surveyId, int row, string? mineId, int index, string field, ClerkText message, string? kind = null) => new()
    {
        Kind = kind,
        PartitionKey = surveyId, RowKey = RowErrorEntity.KeyFor(row, index), Row = row, MineId = mineId, Field = field, Message = message.English, MessageFa = message.Persian,
    };

    private static MineEntity ToEntity(Mine mine, Score score, string scoredWith, ChunkDocument chunk, int row) => new()
    {
        PartitionKey = mine.Province, RowKey = MineEntity.KeyFor(mine.MineId), MineId = mine.MineId, Name = mine.Name,
        County = mine.County, Mineral = mine.Mineral, Status = mine.Status, Latitude = mine.Latitude, Longitude = mine.Longitude,
        ReserveTonnes = mine.ReserveTonnes, GradePct = mine.GradePct, RoadKm = mine.RoadKm, PowerKm = mine.PowerKm,
        JobsPotential = mine.JobsPotential, JobsCreated = mine.JobsCreated, InvestmentBnRial = mine.InvestmentBnRial,
        IdleSince = mine.IdleSince, Problem = mine.Problem, SurveyDate = SurveyValues.Iso(mine.SurveyDate),
        RevivedOn = mine.RevivedOn is { } revived ? SurveyValues.Iso(revived) : null, Notes = mine.Notes,
        Score = score.Value, Tier = score.Tier, Resource = score.Components.Resource, Grade = score.Components.Grade,
        Access = score.Components.Access, Jobs = score.Components.Jobs, Cost = score.Components.Cost,
        Solvability = score.Components.Solvability, Warnings = JsonSerializer.Serialize(mine.Warnings.Select(w => w.Message)),
        SurveyId = chunk.SurveyId, Row = row, SurveyReceivedAt = chunk.ReceivedAt, ScoredWith = scoredWith,
    };

    private static async Task WriteBatchesAsync(TableClient table, List<RowErrorEntity> entities, CancellationToken ct)
    {
        foreach (var partition in entities.GroupBy(e => e.PartitionKey))
        {
            foreach (var batch in partition.DistinctBy(e => e.RowKey).Chunk(BatchSize))
            {
                await table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct);
            }
        }
    }
}
