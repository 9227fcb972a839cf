using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using MineIngest.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline.Office;

/// <summary>The fingerprint of the scoring settings this instance scores with.</summary>
public sealed class ScoringFingerprint(IOptions<ScoringOptions> options)
{
    public string Fingerprint { get; } = options.Value.Fingerprint();
}

/// <summary>One page of one province's mines to score again: those after <see cref="After"/> in RowKey order.</summary>
public sealed record RescoreMessage(string Run, string Province, string After)
{
    public string ToJson() => JsonSerializer.Serialize(this, PipelineJson.Options);
    public static RescoreMessage Parse(string json) => JsonSerializer.Deserialize<RescoreMessage>(json, PipelineJson.Options) ?? throw new FormatException("Empty rescore message.");
}

/// <summary>A re-scoring run as /api/health and the dashboard show it, accounted like a survey.</summary>
public sealed record RescoreDto(string Run, string Fingerprint, DateTimeOffset StartedAt, int Mines, int Done, int Pending, int Rescored, string Status);

/// <summary>
/// Re-scoring every mine when the scoring settings change: a run is one message per province, each handling a
/// page of mines and queueing the next, so it resumes after a host dies (the message comes back) and counts each page
/// once (a page result, like a chunk result). A mine is written only if it was scored with other settings, and only on
/// the ETag it was read with: a survey that wrote the mine meanwhile (scored with the current settings) wins.
/// </summary>
public sealed class Rescoring(
    StorageClients storage, RevivalScorer scorer, ScoringFingerprint current, MineView view, WorkClaims claims, Events.EventPublisher events, TimeProvider time,
    ILogger<Rescoring> logger)
{
    public const string StatusPartition = "rescore";
    private const string StatusRow = "current";
    public const int PageSize = 500;
    private const int BatchSize = 100;

    /// <summary>Starts a run unless one with these settings exists (or always, with <paramref name="force"/>).</summary>
    public async Task<RescoreDto> StartAsync(bool force, CancellationToken ct)
    {
        var existing = await storage.SurveyTable.GetEntityIfExistsAsync<TableEntity>(StatusPartition, StatusRow, cancellationToken: ct);
        if (!force && existing.HasValue && existing.Value!.GetString("Fingerprint") == current.Fingerprint) return await StatusAsync(ct) ?? throw new InvalidOperationException();

        var now = time.GetUtcNow();
        var mines = (await view.LoadedAsync(ct)).Ranked.Length;
        var run = $"{current.Fingerprint}-{now.UtcTicks:D19}";
        var status = new TableEntity(StatusPartition, StatusRow) { ["Run"] = run, ["Fingerprint"] = current.Fingerprint, ["StartedAt"] = now, ["Mines"] = mines };
        // The last run's completed event, if still unsent, stays with the status that replaces it.
        if (existing.HasValue && existing.Value!.GetBoolean(Events.EventOutbox.PendingProperty) == true)
            foreach (var name in new[] { Events.EventOutbox.OutboxProperty, Events.EventOutbox.SinceProperty, Events.EventOutbox.PendingProperty })
                status[name] = existing.Value[name];
        try
        {
            // On the ETag read: of instances starting together, one starts the run.
            if (existing.HasValue) await storage.SurveyTable.UpdateEntityAsync(status, existing.Value!.ETag, TableUpdateMode.Replace, ct);
            else await storage.SurveyTable.AddEntityAsync(status, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return await StatusAsync(ct) ?? throw new InvalidOperationException("The re-scoring status vanished.");
        }
        if (mines > 0)
        {
            var provinces = (await view.LoadedAsync(ct)).Ranked.Select(m => m.PartitionKey).Distinct().Order(StringComparer.Ordinal);
            foreach (var province in provinces) await storage.RescoreQueue.SendMessageAsync(new RescoreMessage(run, province, "").ToJson(), ct);
        }
        logger.LogInformation("Re-scoring run {Run} started: {Mines} mines with settings {Fingerprint}", run, mines, current.Fingerprint);
        return await StatusAsync(ct) ?? throw new InvalidOperationException();
    }

    /// <summary>One page: score again, count once, queue the next page; under a claim (<see cref="WorkClaims"/>).</summary>
    public Task ProcessAsync(RescoreMessage message, CancellationToken ct) =>
        claims.RunAsync(PipelineOptions.RescoreQueue, ClaimKey(message.Run, message.Province, message.After), message.ToJson(), token => RescorePageAsync(message, token), ct);

    private static string ClaimKey(string run, string province, string after) => $"{run}|{province}|{after}";

    private async Task RescorePageAsync(RescoreMessage message, CancellationToken ct)
    {
        using var activity = Telemetry.PipelineTelemetry.Source.StartActivity("rescore.page");
        activity?.SetTag("mineingest.rescore.run", message.Run).SetTag("mineingest.province", message.Province);
        var resultKey = $"{message.Province}|{message.After}";
        var done = await storage.RescorePages.GetEntityIfExistsAsync<TableEntity>(message.Run, resultKey, cancellationToken: ct);
        if (done.HasValue && done.Value!.GetBoolean("NextQueued") == true) return;

        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {message.Province} and RowKey gt {message.After}");
        var page = new List<MineEntity>(PageSize);
        await foreach (var mine in storage.MinesOf(message.Province).QueryAsync<MineEntity>(filter, maxPerPage: PageSize, cancellationToken: ct))
        {
            page.Add(mine);
            if (page.Count == PageSize) break;
        }
        var rescored = await RescoreAsync(page, ct);
        Telemetry.PipelineTelemetry.MinesRescored.Add(rescored);
        activity?.SetTag("mineingest.mines", page.Count).SetTag("mineingest.rescored", rescored);

        if (!done.HasValue)
        {
            var result = new TableEntity(message.Run, resultKey)
            {
                ["Mines"] = page.Count, ["Rescored"] = rescored, ["NextQueued"] = false, ["Last"] = page.Count > 0 ? page[^1].RowKey : message.After,
            };
            try { await storage.RescorePages.AddEntityAsync(result, ct); }
            catch (RequestFailedException ex) when (ex.Status == 409) { /* a twin delivery counted it */ }
        }
        if (page.Count == PageSize)
            await storage.RescoreQueue.SendMessageAsync((message with { After = page[^1].RowKey }).ToJson(), ct);
        await storage.RescorePages.UpdateEntityAsync(new TableEntity(message.Run, resultKey) { ["NextQueued"] = true }, ETag.All, TableUpdateMode.Merge, ct);
        if (page.Count < PageSize) await RecordCompletedAsync(message.Run, ct);
    }

    /// <summary>
    /// After a province's last page: when every page of the run is counted, records the run completed with its event, on
    /// the status's ETag (the first to see it complete records it once).
    /// </summary>
    private async Task RecordCompletedAsync(string run, CancellationToken ct)
    {
        var found = await storage.SurveyTable.GetEntityIfExistsAsync<TableEntity>(StatusPartition, StatusRow, cancellationToken: ct);
        if (!found.HasValue || found.Value is not { } status || status.GetString("Run") != run || status.ContainsKey("CompletedAt")) return;
        if (await StatusOfAsync(status, ct) is not { Pending: 0 } done) return;
        var now = time.GetUtcNow();
        status["CompletedAt"] = now;
        var outbox = Events.EventOutbox.Of(status);
        Events.EventOutbox.Add(outbox, Events.PipelineEvents.RescoreCompleted(new(run, done.Fingerprint, done.Mines, done.Rescored, done.StartedAt), now), now);
        try
        {
            var written = (await storage.SurveyTable.UpdateEntityAsync(status, status.ETag, TableUpdateMode.Replace, ct)).Headers.ETag ?? ETag.All;
            logger.LogInformation("Re-scoring run {Run} completed: {Mines} mines, {Rescored} scored again", run, done.Mines, done.Rescored);
            await events.SendAsync(storage.SurveyTable, StatusPartition, StatusRow, outbox.Outbox, written, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Another page's end recorded it first, or a new run began.
        }
    }

    private static TableEntity FieldsOf(MineEntity mine) => new(mine.PartitionKey, mine.RowKey) { [nameof(MineEntity.Data)] = mine.Data };

    /// <summary>
    /// Scores again the mines of the page scored with other settings, in transactions on the ETags they were read with. A
    /// batch that fails (a survey wrote one of them meanwhile) is decided again from what is on record now. Returns how many were written.
    /// </summary>
    public async Task<int> RescoreAsync(IReadOnlyList<MineEntity> page, CancellationToken ct)
    {
        var written = 0;
        foreach (var batch in page.Where(m => m.ScoredWith != current.Fingerprint).Chunk(BatchSize))
        {
            foreach (var mine in batch) mine.Apply(scorer.Score(mine.ToMine()), current.Fingerprint);
            try
            {
                // Merges of the fields alone: the mine's history properties stay as they are.
                await storage.MinesOf(batch[0].PartitionKey).SubmitTransactionAsync(batch.Select(m => new TableTransactionAction(TableTransactionActionType.UpdateMerge, FieldsOf(m), m.ETag)), ct);
                written += batch.Length;
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 or 404)
            {
                foreach (var mine in batch)
                {
                    var now = await storage.MinesOf(mine.PartitionKey).GetEntityIfExistsAsync<MineEntity>(mine.PartitionKey, mine.RowKey, cancellationToken: ct);
                    if (!now.HasValue || now.Value!.ScoredWith == current.Fingerprint) continue; // gone, or a survey scored it with these settings
                    now.Value.Apply(scorer.Score(now.Value.ToMine()), current.Fingerprint);
                    try
                    {
                        await storage.MinesOf(mine.PartitionKey).UpdateEntityAsync(FieldsOf(now.Value), now.Value.ETag, TableUpdateMode.Merge, ct);
                        written++;
                    }
                    catch (RequestFailedException again) when (again.Status == 412)
                    {
                        logger.LogInformation("Mine {Province}/{MineId} changed while re-scoring; the newer write stands", mine.PartitionKey, mine.MineId);
                    }
                }
            }
        }
        if (written > 0)
            await storage.MineChanges.UpsertEntityAsync(MineChangeLog.Entry(time.GetUtcNow(), "rescore", 0, written, page.Select(m => m.PartitionKey)), cancellationToken: ct);
        return written;
    }

    /// <summary>
    /// For a run that made no progress for <paramref name="after"/> (a host died holding its messages): queues again the
    /// first page of each province whose chain of pages has no result yet. A page done twice is counted once.
    /// </summary>
    public async Task<int> RecoverStalledAsync(TimeSpan after, CancellationToken ct)
    {
        var status = await storage.SurveyTable.GetEntityIfExistsAsync<TableEntity>(StatusPartition, StatusRow, cancellationToken: ct);
        if (!status.HasValue || status.Value is not { } s || (s.GetInt32("Mines") ?? 0) == 0) return 0;
        var run = s.GetString("Run") ?? "";
        var pages = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
        var newest = s.GetDateTimeOffset("StartedAt") ?? DateTimeOffset.MinValue;
        var done = 0;
        await foreach (var page in storage.RescorePages.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {run}"), cancellationToken: ct))
        {
            pages[page.RowKey] = page;
            done += page.GetInt32("Mines") ?? 0;
            if (page.Timestamp > newest) newest = page.Timestamp.Value;
        }
        if (done >= (s.GetInt32("Mines") ?? 0) || time.GetUtcNow() - newest < after) return 0;

        var requeued = 0;
        var provinces = (await view.LoadedAsync(ct)).Ranked.Select(m => m.PartitionKey).Distinct().Order(StringComparer.Ordinal);
        var live = await claims.LiveKeysAsync(PipelineOptions.RescoreQueue, run + "|", ct);
        foreach (var province in provinces)
        {
            // Follow the province's pages from the first; the first page without a result is where its chain stopped.
            var after2 = "";
            while (pages.TryGetValue($"{province}|{after2}", out var page) && (page.GetInt32("Mines") ?? 0) == PageSize) after2 = page.GetString("Last") ?? "";
            if (pages.ContainsKey($"{province}|{after2}")) continue; // the last page is done: this province is complete
            if (live.Contains(ClaimKey(run, province, after2))) continue; // slow, not stalled: its instance renews its claim
            await storage.RescoreQueue.SendMessageAsync(new RescoreMessage(run, province, after2).ToJson(), ct);
            requeued++;
        }
        if (requeued > 0) logger.LogWarning("Re-scoring run {Run} made no progress for {Seconds} s: {Pages} pages queued again", run, after.TotalSeconds, requeued);
        return requeued;
    }

    /// <summary>The newest run, with its progress (pages counted once), or null if none ever started.</summary>
    public async Task<RescoreDto?> StatusAsync(CancellationToken ct)
    {
        var status = await storage.SurveyTable.GetEntityIfExistsAsync<TableEntity>(StatusPartition, StatusRow, cancellationToken: ct);
        return status.HasValue && status.Value is { } s ? await StatusOfAsync(s, ct) : null;
    }

    /// <summary>A run's progress from its status as read: its pages counted once.</summary>
    private async Task<RescoreDto> StatusOfAsync(TableEntity s, CancellationToken ct)
    {
        var run = s.GetString("Run") ?? "";
        int done = 0, rescored = 0;
        await foreach (var page in storage.RescorePages.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {run}"), select: ["Mines", "Rescored"], cancellationToken: ct))
        {
            done += page.GetInt32("Mines") ?? 0;
            rescored += page.GetInt32("Rescored") ?? 0;
        }
        var mines = s.GetInt32("Mines") ?? 0;
        var pending = Math.Max(0, mines - done);
        return new RescoreDto(run, s.GetString("Fingerprint") ?? "", s.GetDateTimeOffset("StartedAt") ?? DateTimeOffset.MinValue, mines, Math.Min(done, mines),
            pending, rescored, pending == 0 ? "completed" : "processing");
    }
}

/// <summary>At start-up: settings whose fingerprint differs from the last run's start a re-scoring run (once storage answers).</summary>
public sealed class RescoreOnStart(StorageClients storage, Rescoring rescoring, View.ViewRefresher views, ILogger<RescoreOnStart> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        // After the view's first load (it needs the view anyway), or 5 s: a new instance answers first.
        await views.FirstLoad.WaitAsync(TimeSpan.FromSeconds(5), ct).ContinueWith(_ => { }, TaskScheduler.Default);
        for (var delay = TimeSpan.FromSeconds(1); !ct.IsCancellationRequested; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMinutes(1).Ticks)))
        {
            try
            {
                await storage.EnsureCreatedAsync(ct);
                await rescoring.StartAsync(force: false, ct);
                return;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // Never stop the host over this: try again later (storage may be starting, or down).
                logger.LogWarning("Re-scoring check failed, trying again in {Delay}: {Reason}", delay, ex.Message);
            }
            await Task.Delay(delay, ct);
        }
    }
}
