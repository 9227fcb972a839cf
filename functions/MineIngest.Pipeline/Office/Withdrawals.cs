using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using MineIngest.Domain;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Office;

/// <summary>One page of one province's mines to go through for a withdrawal: those after <see cref="After"/> in RowKey order.</summary>
public sealed record WithdrawMessage(string SurveyId, string Province, string After)
{
    public string ToJson() => JsonSerializer.Serialize(this, PipelineJson.Options);
    public static WithdrawMessage Parse(string json) => JsonSerializer.Deserialize<WithdrawMessage>(json, PipelineJson.Options) ?? throw new FormatException("Empty withdrawal message.");
}

/// <summary>A withdrawal as the survey's report and /api/health show it.</summary>
/// <param name="Mines">The rows the survey had accepted; <paramref name="Done"/> of them are dealt with so far.</param>
public sealed record WithdrawalDto(
    string By, DateTimeOffset RequestedAt, string Reason, int Mines, int Done, int Restored, int Removed, int Untouched, DateTimeOffset? CompletedAt, string Status);

/// <summary>What a withdrawal does to one mine.</summary>
public enum WithdrawAction { None, Untouched, Restore, Remove }

/// <summary>
/// Withdrawing a survey: every mine it wrote goes back to its newest version from another survey (its score and tier as
/// they were), or leaves the record if the survey created it; where a later survey already replaced it, only its history
/// changes. Every version of the survey stays in the mines' histories, marked withdrawn, and counts nowhere.
/// A job like re-scoring: one message per page of a province's mines, each queueing the next. A page's plan (its last
/// key and what it does) is saved before anything is written, so a page done again after a crash covers the same mines,
/// counts once, and writes nothing it already wrote (a mine marked withdrawn is done); writes are conditional on the
/// ETag read, and a mine changed meanwhile is decided again. The sweep queues a stalled chain again.
/// </summary>
public sealed class Withdrawals(
    StorageClients storage, WorkClaims claims, Events.EventPublisher events, TimeProvider time, ILogger<Withdrawals> logger)
{
    /// <summary>Withdrawals in progress, one entity each in the surveys table: what the sweep and /api/health look at (a keyed query).</summary>
    public const string ActivePartition = "withdraw";
    public const int PageSize = 200;
    /// <summary>How long a province may withdraw its own survey.</summary>
    public const int ProvinceDays = 7;

    public const string Restored = "restored", Removed = "removed", Untouched = "untouched";

    /// <summary>
    /// Starts the withdrawal of a settled survey (a second ask changes nothing and answers the first one's progress).
    /// Returns the survey as it now stands, with the withdrawal's progress.
    /// </summary>
    public async Task<(SurveyEntity Survey, WithdrawalDto Withdrawal)> StartAsync(SurveyEntity survey, string reason, string by, CancellationToken ct)
    {
        if (survey.WithdrawRequestedAt is not null) return (survey, await StatusAsync(survey, ct) ?? throw new InvalidOperationException());
        var provinces = survey.Folder == SurveyIngestor.NationalFolder
            ? storage.AllMines.Select(m => m.Province).ToList()
            : [survey.Folder];
        // The index first: a start cut short is then found by the sweep (and forgotten there if the survey never changed).
        await storage.SurveyTable.UpsertEntityAsync(new TableEntity(ActivePartition, survey.RowKey), TableUpdateMode.Replace, ct);
        var started = new SurveyEntity
        {
            RowKey = survey.RowKey, WithdrawRequestedAt = time.GetUtcNow(), WithdrawReason = reason, WithdrawnBy = by,
            WithdrawProvinces = string.Join(",", provinces),
        };
        for (var etag = survey.ETag; ;)
        {
            try
            {
                // On the ETag read: of two asking at once, one starts it.
                await storage.SurveyTable.UpdateEntityAsync(ToMerge(started), etag, TableUpdateMode.Merge, ct);
                break;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                var now = (await storage.SurveyTable.GetEntityAsync<SurveyEntity>(SurveyEntity.Partition, survey.RowKey, cancellationToken: ct)).Value;
                // Changed by something else (its sent events taken off its outbox): try again on the new ETag.
                if (now.WithdrawRequestedAt is null) { etag = now.ETag; continue; }
                return (now, await StatusAsync(now, ct) ?? throw new InvalidOperationException("The survey changed while its withdrawal began."));
            }
        }
        foreach (var province in provinces) await storage.WithdrawQueue.SendMessageAsync(new WithdrawMessage(survey.RowKey, province, "").ToJson(), ct);
        logger.LogInformation("Withdrawal of survey {SurveyId} ({Blob}) started by {By}: {Reason}", survey.RowKey, survey.Blob, by, reason);
        (survey.WithdrawRequestedAt, survey.WithdrawReason, survey.WithdrawnBy, survey.WithdrawProvinces) =
            (started.WithdrawRequestedAt, reason, by, started.WithdrawProvinces);
        return (survey, await StatusAsync(survey, ct) ?? throw new InvalidOperationException());
    }

    /// <summary>Only the withdrawal's fields, so that a merge leaves the survey's counts as they are.</summary>
    private static TableEntity ToMerge(SurveyEntity s)
    {
        var entity = new TableEntity(SurveyEntity.Partition, s.RowKey);
        if (s.WithdrawRequestedAt is { } at) entity[nameof(SurveyEntity.WithdrawRequestedAt)] = at;
        if (s.WithdrawReason is { } reason) entity[nameof(SurveyEntity.WithdrawReason)] = reason;
        if (s.WithdrawnBy is { } by) entity[nameof(SurveyEntity.WithdrawnBy)] = by;
        if (s.WithdrawProvinces is { } provinces) entity[nameof(SurveyEntity.WithdrawProvinces)] = provinces;
        if (s.WithdrawnAt is { } done) entity[nameof(SurveyEntity.WithdrawnAt)] = done;
        if (s.WithdrawRestored is { } restored) entity[nameof(SurveyEntity.WithdrawRestored)] = restored;
        if (s.WithdrawRemoved is { } removed) entity[nameof(SurveyEntity.WithdrawRemoved)] = removed;
        if (s.WithdrawUntouched is { } untouched) entity[nameof(SurveyEntity.WithdrawUntouched)] = untouched;
        return entity;
    }

    /// <summary>
    /// When every province's chain of pages has ended, saves the totals on the survey (its report then says withdrawn)
    /// and forgets the withdrawal in the active list. Any page's end, the report and the sweep may ask; the first wins.
    /// </summary>
    public async Task<bool> FinishIfDoneAsync(SurveyEntity survey, CancellationToken ct)
    {
        if (survey.WithdrawnAt is not null) return true;
        var progress = await ProgressAsync(survey, ct);
        if (progress.Done) await FinishAsync(survey, progress, ct);
        return progress.Done;
    }

    /// <summary>Saves the totals of a withdrawal whose pages are all done, on the survey in storage and on <paramref name="survey"/>.</summary>
    private async Task FinishAsync(SurveyEntity survey, Progress progress, CancellationToken ct)
    {
        (survey.WithdrawnAt, survey.WithdrawRestored, survey.WithdrawRemoved, survey.WithdrawUntouched) =
            (time.GetUtcNow(), progress.Restored, progress.Removed, progress.Untouched);
        if (!await SaveFinishedAsync(survey, ct)) return;
        try { await storage.SurveyTable.DeleteEntityAsync(ActivePartition, survey.RowKey, ETag.All, ct); }
        catch (RequestFailedException ex) when (ex.Status == 404) { }
        logger.LogInformation("Survey {SurveyId} withdrawn: {Restored} mines restored, {Removed} removed, {Untouched} untouched",
            survey.RowKey, progress.Restored, progress.Removed, progress.Untouched);
    }

    /// <summary>
    /// Saves the totals with the survey's withdrawn event, on the record's ETag (the event rides in the same write, so
    /// the first to finish records it once); false when another finished it first.
    /// </summary>
    private async Task<bool> SaveFinishedAsync(SurveyEntity survey, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var now = (await storage.SurveyTable.GetEntityAsync<SurveyEntity>(SurveyEntity.Partition, survey.RowKey, cancellationToken: ct)).Value;
            if (now.WithdrawnAt is not null) return false;
            (now.WithdrawnAt, now.WithdrawRestored, now.WithdrawRemoved, now.WithdrawUntouched) =
                (survey.WithdrawnAt, survey.WithdrawRestored, survey.WithdrawRemoved, survey.WithdrawUntouched);
            Events.EventOutbox.Add(now, Events.PipelineEvents.Withdrawn(now, time.GetUtcNow()), time.GetUtcNow());
            var finished = ToMerge(now);
            (finished[Events.EventOutbox.OutboxProperty], finished[Events.EventOutbox.SinceProperty], finished[Events.EventOutbox.PendingProperty]) =
                (now.Outbox, now.OutboxSince, true);
            try
            {
                var written = (await storage.SurveyTable.UpdateEntityAsync(finished, now.ETag, TableUpdateMode.Merge, ct)).Headers.ETag ?? ETag.All;
                await events.SendAsync(storage.SurveyTable, now.PartitionKey, now.RowKey, now.Outbox, written, ct);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // Changed meanwhile (a report finishing it too, an outbox taken off): read again.
            }
        }
        throw new InvalidOperationException($"Could not save the withdrawal of survey {survey.RowKey}: too many concurrent writers.");
    }

    /// <param name="LastWritten">When a page was last planned or done (or the survey written): how the sweep tells a stalled withdrawal.</param>
    private sealed record Progress(bool Done, int Restored, int Removed, int Untouched, Dictionary<string, string> NextPage, DateTimeOffset LastWritten);

    /// <summary>The pages planned so far (counted once) and, per province, where its chain stands: done, or the page to do next.</summary>
    private async Task<Progress> ProgressAsync(SurveyEntity survey, CancellationToken ct)
    {
        var pages = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
        int restored = 0, removed = 0, untouched = 0;
        var lastWritten = survey.Timestamp ?? DateTimeOffset.MinValue;
        await foreach (var page in storage.WithdrawPages.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {survey.RowKey}"), cancellationToken: ct))
        {
            pages[page.RowKey] = page;
            if (page.Timestamp > lastWritten) lastWritten = page.Timestamp.Value;
            restored += page.GetInt32(Restored) ?? 0;
            removed += page.GetInt32(Removed) ?? 0;
            untouched += page.GetInt32(Untouched) ?? 0;
        }
        var next = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var province in (survey.WithdrawProvinces ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            // Follow the province's pages from the first; a missing page, or one whose successor was not queued, is where it stands.
            var after = "";
            while (pages.TryGetValue($"{province}|{after}", out var page) && page.GetBoolean("NextQueued") == true && page.GetBoolean("Full") == true)
                after = page.GetString("Last") ?? "";
            var end = pages.GetValueOrDefault($"{province}|{after}");
            if (end is null || end.GetBoolean("NextQueued") != true) next[province] = after;
        }
        return new Progress(next.Count == 0, restored, removed, untouched, next, lastWritten);
    }

    /// <summary>
    /// The survey's withdrawal with its progress, or null if none was asked for. A withdrawal whose pages are all done is
    /// finished here by whoever looks first (the report, /api/health), and <paramref name="survey"/> says so.
    /// </summary>
    public async Task<WithdrawalDto?> StatusAsync(SurveyEntity survey, CancellationToken ct)
    {
        if (survey.WithdrawRequestedAt is not { } requested) return null;
        var progress = survey.WithdrawnAt is null ? await ProgressAsync(survey, ct) : null;
        if (progress is { Done: true }) await FinishAsync(survey, progress, ct);
        if (survey.WithdrawnAt is { } completed)
        {
            int r = survey.WithdrawRestored ?? 0, x = survey.WithdrawRemoved ?? 0, u = survey.WithdrawUntouched ?? 0;
            return new WithdrawalDto(survey.WithdrawnBy ?? "", requested, survey.WithdrawReason ?? "", survey.Accepted, r + x + u, r, x, u, completed, "withdrawn");
        }
        var done = progress!.Restored + progress.Removed + progress.Untouched;
        return new WithdrawalDto(survey.WithdrawnBy ?? "", requested, survey.WithdrawReason ?? "", survey.Accepted, done,
            progress.Restored, progress.Removed, progress.Untouched, null, "withdrawing");
    }

    /// <summary>The withdrawals in progress, for /api/health.</summary>
    public async Task<List<(SurveyEntity Survey, WithdrawalDto Withdrawal)>> ActiveAsync(CancellationToken ct)
    {
        var active = new List<(SurveyEntity, WithdrawalDto)>();
        await foreach (var entry in storage.SurveyTable.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ActivePartition}"), select: ["RowKey"], cancellationToken: ct))
        {
            var survey = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, entry.RowKey, cancellationToken: ct);
            if (survey.HasValue && await StatusAsync(survey.Value!, ct) is { } status) active.Add((survey.Value!, status));
        }
        return active;
    }

    /// <summary>
    /// For each withdrawal that made no progress for <paramref name="after"/> (a host died holding its messages): queues again
    /// the page where each unfinished province's chain stands. A page done twice writes and counts once.
    /// </summary>
    public async Task<int> RecoverStalledAsync(TimeSpan after, CancellationToken ct)
    {
        var requeued = 0;
        await foreach (var entry in storage.SurveyTable.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ActivePartition}"), cancellationToken: ct))
        {
            var found = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, entry.RowKey, cancellationToken: ct);
            if (!found.HasValue || found.Value!.WithdrawRequestedAt is null)
            {
                // A start cut short before the survey changed: nothing began.
                if (entry.Timestamp < time.GetUtcNow() - after) await storage.SurveyTable.DeleteEntityAsync(ActivePartition, entry.RowKey, ETag.All, ct);
                continue;
            }
            var survey = found.Value;
            var progress = await ProgressAsync(survey, ct);
            if (progress.Done)
            {
                await FinishAsync(survey, progress, ct);
                continue;
            }
            if (time.GetUtcNow() - progress.LastWritten < after) continue;
            var live = await claims.LiveKeysAsync(PipelineOptions.WithdrawQueue, survey.RowKey + "|", ct);
            foreach (var (province, from) in progress.NextPage)
            {
                if (live.Contains(WithdrawalPages.ClaimKey(survey.RowKey, province, from))) continue; // slow, not stalled: its instance renews its claim
                await storage.WithdrawQueue.SendMessageAsync(new WithdrawMessage(survey.RowKey, province, from).ToJson(), ct);
                requeued++;
            }
            logger.LogWarning("Withdrawal of survey {SurveyId} made no progress for {Seconds} s: {Pages} pages queued again", survey.RowKey, after.TotalSeconds, progress.NextPage.Count);
        }
        return requeued;
    }
}
