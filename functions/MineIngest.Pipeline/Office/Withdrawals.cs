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
    StorageClients storage, RevivalScorer scorer, ScoringFingerprint current, WorkClaims claims, Events.EventPublisher events, TimeProvider time,
    ILogger<Withdrawals> logger)
{
    /// <summary>Withdrawals in progress, one entity each in the surveys table: what the sweep and /api/health look at (a keyed query).</summary>
    public const string ActivePartition = "withdraw";
    public const int PageSize = 200;
    private const int BatchSize = 100;
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

    /// <summary>One page: plan it (once), write it, queue the next; the last page of the last province finishes the withdrawal.</summary>
    public Task ProcessAsync(WithdrawMessage message, CancellationToken ct) =>
        claims.RunAsync(PipelineOptions.WithdrawQueue, ClaimKey(message.SurveyId, message.Province, message.After), message.ToJson(), token => WithdrawPageAsync(message, token), ct);

    private static string ClaimKey(string surveyId, string province, string after) => $"{surveyId}|{province}|{after}";

    private async Task WithdrawPageAsync(WithdrawMessage message, CancellationToken ct)
    {
        using var activity = Telemetry.PipelineTelemetry.Source.StartActivity("withdraw.page");
        activity?.SetTag("mineingest.survey.id", message.SurveyId).SetTag("mineingest.province", message.Province);
        var survey = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, message.SurveyId, cancellationToken: ct);
        if (!survey.HasValue || survey.Value!.WithdrawRequestedAt is null || survey.Value.WithdrawnAt is not null) return;
        var reason = survey.Value.WithdrawReason ?? "";
        var pageKey = $"{message.Province}|{message.After}";
        var plan = await storage.WithdrawPages.GetEntityIfExistsAsync<TableEntity>(message.SurveyId, pageKey, cancellationToken: ct);
        if (plan.HasValue && plan.Value!.GetBoolean("NextQueued") == true) return;

        // A page done again covers the mines its plan did, however many were removed since.
        var range = plan.HasValue
            ? TableClient.CreateQueryFilter($"PartitionKey eq {message.Province} and RowKey gt {message.After} and RowKey le {plan.Value!.GetString("Last")}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {message.Province} and RowKey gt {message.After}");
        var page = new List<TableEntity>(PageSize);
        await foreach (var mine in storage.MinesOf(message.Province).QueryAsync<TableEntity>(range, maxPerPage: PageSize, cancellationToken: ct))
        {
            page.Add(mine);
            if (page.Count == PageSize) break;
        }
        var decided = page.Select(m => Decide(m, message.SurveyId)).ToList();

        var full = plan.HasValue ? plan.Value!.GetBoolean("Full") == true : page.Count == PageSize;
        var last = plan.HasValue ? plan.Value!.GetString("Last") ?? message.After : page.Count > 0 ? page[^1].RowKey : message.After;
        if (!plan.HasValue)
        {
            var planned = new TableEntity(message.SurveyId, pageKey)
            {
                ["Mines"] = page.Count, ["Last"] = last, ["Full"] = full, ["NextQueued"] = false,
                [Restored] = decided.Count(d => d.Action == WithdrawAction.Restore), [Removed] = decided.Count(d => d.Action == WithdrawAction.Remove),
                [Untouched] = decided.Count(d => d.Action == WithdrawAction.Untouched),
            };
            try { await storage.WithdrawPages.AddEntityAsync(planned, ct); }
            catch (RequestFailedException ex) when (ex.Status == 409) { /* a twin delivery planned it: the same mines */ }
        }

        var (written, removed) = await ApplyAsync(message.Province, message.SurveyId, reason, decided.Where(d => d.Action != WithdrawAction.None).ToList(), ct);
        if (written > 0 || removed.Count > 0)
            await storage.MineChanges.UpsertEntityAsync(
                MineChangeLog.Entry(time.GetUtcNow(), "withdraw-" + message.SurveyId, 0, written, [message.Province], removed), cancellationToken: ct);
        if (full) await storage.WithdrawQueue.SendMessageAsync((message with { After = last }).ToJson(), ct);
        await storage.WithdrawPages.UpdateEntityAsync(new TableEntity(message.SurveyId, pageKey) { ["NextQueued"] = true }, ETag.All, TableUpdateMode.Merge, ct);
        if (!full) await FinishIfDoneAsync(survey.Value, ct);
    }

    /// <summary>What the withdrawal does to one mine as read (<paramref name="Stored"/>, history included), and the version it goes back to.</summary>
    private sealed record Decision(TableEntity Stored, WithdrawAction Action, MineVersion? RestoreTo = null);

    /// <summary>What the withdrawal of <paramref name="surveyId"/> does to a mine as stored.</summary>
    private static Decision Decide(TableEntity stored, string surveyId)
    {
        var withdrawn = MineHistory.WithdrawnIn(stored);
        if (withdrawn.ContainsKey(surveyId)) return new(stored, WithdrawAction.None); // done before
        var mine = MineEntity.From(stored);
        var versions = MineHistory.VersionsOf(mine, stored);
        if (!versions.Any(v => v.SurveyId == surveyId)) return new(stored, WithdrawAction.None);
        if (mine.SurveyId != surveyId) return new(stored, WithdrawAction.Untouched);
        var restoreTo = versions.LastOrDefault(v => v.SurveyId != surveyId && !withdrawn.ContainsKey(v.SurveyId));
        return restoreTo is null ? new(stored, WithdrawAction.Remove) : new(stored, WithdrawAction.Restore, restoreTo);
    }

    /// <summary>The write that carries out a decision, conditional on the ETag the mine was read with.</summary>
    private TableTransactionAction Write(Decision decision, string surveyId, string reason)
    {
        var stored = decision.Stored;
        if (decision.Action == WithdrawAction.Remove) return new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(stored.PartitionKey, stored.RowKey), stored.ETag);
        var merge = new TableEntity(stored.PartitionKey, stored.RowKey);
        MineHistory.MarkWithdrawn(merge, surveyId, reason, decision.Action == WithdrawAction.Restore ? Restored : Untouched);
        if (decision.RestoreTo is { } restoreTo)
        {
            var withdrawnVersion = MineEntity.From(stored);
            var restored = restoreTo.ToMine(withdrawnVersion);
            // Scored with other settings than this app's (a re-scoring ran since): scored again, as re-scoring would.
            if (restored.ScoredWith != current.Fingerprint) restored.Apply(scorer.Score(restored.ToMine()), current.Fingerprint);
            merge[nameof(MineEntity.Data)] = restored.Data;
            // The withdrawn survey's notes go with it; earlier notes were not kept with the versions.
            merge[nameof(MineEntity.Notes)] = "";
            // The withdrawn version stays in the history, beside the others (and the restored one's own property stays too).
            MineHistory.Store(merge, MineVersion.Of(withdrawnVersion));
        }
        return new TableTransactionAction(TableTransactionActionType.UpdateMerge, merge, stored.ETag);
    }

    /// <summary>
    /// Writes the decided mines in transactions of up to 100; a transaction that fails (a survey wrote one of them
    /// meanwhile) is done mine by mine, each read and decided again. Returns the mines written and those removed.
    /// </summary>
    private async Task<(int Written, List<RemovedMine> Removed)> ApplyAsync(
        string province, string surveyId, string reason, List<Decision> decided, CancellationToken ct)
    {
        var table = storage.MinesOf(province);
        var written = 0;
        var removed = new List<RemovedMine>();
        foreach (var batch in decided.Chunk(BatchSize))
        {
            try
            {
                await table.SubmitTransactionAsync(batch.Select(d => Write(d, surveyId, reason)), ct);
                written += batch.Length;
                removed.AddRange(batch.Where(d => d.Action == WithdrawAction.Remove).Select(d => Gone(d.Stored)));
                continue;
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 404 or 409 or 412)
            {
                logger.LogInformation("Mines of {Province} changed while withdrawing survey {SurveyId}; deciding them one by one", province, surveyId);
            }
            foreach (var stored in batch.Select(d => d.Stored))
            {
                for (var attempt = 1; attempt <= 10; attempt++)
                {
                    var now = await table.GetEntityIfExistsAsync<TableEntity>(stored.PartitionKey, stored.RowKey, cancellationToken: ct);
                    if (!now.HasValue || Decide(now.Value!, surveyId) is not { Action: not WithdrawAction.None } decision) break;
                    try
                    {
                        await table.SubmitTransactionAsync([Write(decision, surveyId, reason)], ct);
                        written++;
                        if (decision.Action == WithdrawAction.Remove) removed.Add(Gone(now.Value!));
                        break;
                    }
                    catch (TableTransactionFailedException again) when (again.Status is 404 or 409 or 412)
                    {
                        // Written again meanwhile: read and decide once more.
                    }
                }
            }
        }
        return (written, removed);
    }

    private static RemovedMine Gone(TableEntity stored) => new(stored.PartitionKey, stored.RowKey, stored.Timestamp ?? DateTimeOffset.MinValue);

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
                if (live.Contains(ClaimKey(survey.RowKey, province, from))) continue; // slow, not stalled: its instance renews its claim
                await storage.WithdrawQueue.SendMessageAsync(new WithdrawMessage(survey.RowKey, province, from).ToJson(), ct);
                requeued++;
            }
            logger.LogWarning("Withdrawal of survey {SurveyId} made no progress for {Seconds} s: {Pages} pages queued again", survey.RowKey, after.TotalSeconds, progress.NextPage.Count);
        }
        return requeued;
    }
}
