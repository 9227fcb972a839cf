using Azure;
using Azure.Data.Tables;
using MineIngest.Domain;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Office;

/// <summary>
/// A withdrawal's pages (<see cref="Withdrawals"/> starts and finishes it): each reads up to <see cref="Withdrawals.PageSize"/>
/// mines of a province, plans what the withdrawal does to each (once: a page done again covers the same mines), writes it
/// on the ETags read, and queues the next page; the last page of the last province finishes the withdrawal.
/// </summary>
public sealed class WithdrawalPages(
    StorageClients storage, Withdrawals withdrawals, RevivalScorer scorer, ScoringFingerprint current, WorkClaims claims, TimeProvider time,
    ILogger<WithdrawalPages> logger)
{
    private const int BatchSize = 100;

    /// <summary>One page: plan it (once), write it, queue the next; the last page of the last province finishes the withdrawal.</summary>
    public Task ProcessAsync(WithdrawMessage message, CancellationToken ct) =>
        claims.RunAsync(PipelineOptions.WithdrawQueue, ClaimKey(message.SurveyId, message.Province, message.After), message.ToJson(), token => WithdrawPageAsync(message, token), ct);

    internal static string ClaimKey(string surveyId, string province, string after) => $"{surveyId}|{province}|{after}";

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
        var page = new List<TableEntity>(Withdrawals.PageSize);
        await foreach (var mine in storage.MinesOf(message.Province).QueryAsync<TableEntity>(range, maxPerPage: Withdrawals.PageSize, cancellationToken: ct))
        {
            page.Add(mine);
            if (page.Count == Withdrawals.PageSize) break;
        }
        var decided = page.Select(m => Decide(m, message.SurveyId)).ToList();

        var full = plan.HasValue ? plan.Value!.GetBoolean("Full") == true : page.Count == Withdrawals.PageSize;
        var last = plan.HasValue ? plan.Value!.GetString("Last") ?? message.After : page.Count > 0 ? page[^1].RowKey : message.After;
        if (!plan.HasValue)
        {
            var planned = new TableEntity(message.SurveyId, pageKey)
            {
                ["Mines"] = page.Count, ["Last"] = last, ["Full"] = full, ["NextQueued"] = false,
                [Withdrawals.Restored] = decided.Count(d => d.Action == WithdrawAction.Restore), [Withdrawals.Removed] = decided.Count(d => d.Action == WithdrawAction.Remove),
                [Withdrawals.Untouched] = decided.Count(d => d.Action == WithdrawAction.Untouched),
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
        if (!full) await withdrawals.FinishIfDoneAsync(survey.Value, ct);
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
        MineHistory.MarkWithdrawn(merge, surveyId, reason, decision.Action == WithdrawAction.Restore ? Withdrawals.Restored : Withdrawals.Untouched);
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
}
