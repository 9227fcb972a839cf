using System.Security.Cryptography;
using System.Text.Json;
using Azure.Data.Tables;
using MineIngest.Domain;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline.Api;

/// <summary>
/// The programme office's writing routes: a mine's solution, committee meetings, re-scoring. Each needs a writer key
/// (<c>x-writer-key</c>, a key of scope "office"): a reader's function key or a province key is not enough (401 without a
/// writer key, 403 with another scope's key). Anonymous to the Functions runtime, like the province routes, because
/// function and host keys are what the dashboard's readers hold.
/// </summary>
public sealed class OfficeApi(
    RouteAccess access, AuditLog audit, StorageClients storage, ReferenceData reference, CommitteeStore committees, Rescoring rescoring, TimeProvider time,
    ViewReader views, Events.EventPublisher events, ILogger<OfficeApi> logger)
{
    public const string WriterKeyHeader = "x-writer-key";
    public static readonly IReadOnlyList<string> SolutionStates = ["proposed", "agreed", "in-progress", "done"];

    /// <summary>PUT /api/mines/{province}/{mineId}/solution.</summary>
    public Task<IResult> PutSolutionAsync(HttpRequest request, string province, string routeMineId, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var mineId = MineAddress.FromRoute(routeMineId);
        var (writer, refused, _) = await access.WriterAsync(request, ct);
        if (refused is not null) return refused;
        var slug = reference.FindProvince(province)?.Slug;
        var mineKey = MineEntity.KeyFor(mineId);
        if (slug is null || !(await storage.MinesOf(slug).GetEntityIfExistsAsync<MineEntity>(slug, mineKey, ["RowKey"], ct)).HasValue)
            return ApiResults.NotFound($"There is no mine \"{mineId}\" in {province}.");

        var solution = await ApiResults.ReadJsonAsync<SolutionRequest>(request.Body, ct);
        var errors = new Dictionary<string, string[]>();
        if (solution is null) return BadBody(new() { ["body"] = ["The body must be JSON: {\"text\", \"responsibleBody\", \"targetDate\", \"state\"}."] });
        if (string.IsNullOrWhiteSpace(solution.Text) || solution.Text.Length > 4000) errors["text"] = ["text is needed, at most 4,000 characters."];
        var state = solution.State?.Trim().ToLowerInvariant().Replace(' ', '-');
        if (state is null || !SolutionStates.Contains(state)) errors["state"] = [$"state must be one of {string.Join(", ", SolutionStates)}."];
        var target = ApiResults.DateField("targetDate", solution.TargetDate, errors);
        if (errors.Count > 0) return BadBody(errors);

        var now = time.GetUtcNow();
        var current = new SolutionEntity
        {
            PartitionKey = slug, RowKey = mineKey, MineId = mineId.Trim(), Text = solution.Text!.Trim(), ResponsibleBody = solution.ResponsibleBody?.Trim(),
            TargetDate = target, State = state!, ChangedAt = now, ChangedBy = writer!.ToString(),
        };
        // The change goes into the history first, then becomes the current state: a crash between leaves history complete.
        var history = new SolutionEntity
        {
            PartitionKey = slug, RowKey = SolutionEntity.HistoryKey(mineKey, now), MineId = current.MineId, Text = current.Text,
            ResponsibleBody = current.ResponsibleBody, TargetDate = target, State = current.State, ChangedAt = now, ChangedBy = writer!.ToString(),
        };
        // The change's event rides on its history row, written once in the same transaction (the current row is replaced by the next change).
        Events.EventOutbox.Add(history, Events.PipelineEvents.SolutionChanged(
            new(slug, current.MineId, current.State, current.Text, current.ResponsibleBody, current.TargetDate, current.ChangedBy), mineKey, now), now);
        await audit.RecordAsync(writer!, AuditActions.Solution, slug, current.MineId, state, ct);
        await storage.Solutions.SubmitTransactionAsync([new(TableTransactionActionType.UpsertReplace, history), new(TableTransactionActionType.UpsertReplace, current)], ct);
        await events.SendAsync(storage.Solutions, history.PartitionKey, history.RowKey, history.Outbox, Azure.ETag.All, ct);
        logger.LogInformation("Solution of {Province}/{MineId} set to {State} by {Actor}", slug, mineId, state, writer);
        return Results.Json(await SolutionOfAsync(slug, mineKey, current.MineId, ct), ApiResults.Json);
    });

    /// <summary>GET /api/mines/{province}/{mineId}/solution: the current solution and every change, oldest first.</summary>
    public Task<IResult> GetSolutionAsync(HttpRequest request, string province, string routeMineId, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var mineId = MineAddress.FromRoute(routeMineId);
        var slug = reference.FindProvince(province)?.Slug;
        if (slug is null) return ApiResults.NotFound($"There is no province \"{province}\".");
        return Results.Json(await SolutionOfAsync(slug, MineEntity.KeyFor(mineId), mineId.Trim(), ct), ApiResults.Json);
    });

    private async Task<MineSolutionDto> SolutionOfAsync(string province, string mineKey, string mineId, CancellationToken ct)
    {
        SolutionEntity? current = null;
        var history = new List<SolutionDto>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {province} and RowKey ge {mineKey} and RowKey lt {mineKey + "}"}");
        await foreach (var e in storage.Solutions.QueryAsync<SolutionEntity>(filter, cancellationToken: ct))
        {
            if (e.RowKey == mineKey) current = e;
            else if (e.RowKey.StartsWith(mineKey + "|", StringComparison.Ordinal)) history.Add(SolutionDto.From(e));
        }
        return new MineSolutionDto(province, current?.MineId ?? mineId, current is null ? null : SolutionDto.From(current), history);
    }

    /// <summary>POST /api/committees: records a meeting.</summary>
    public Task<IResult> PostCommitteeAsync(HttpRequest http, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var (writer, refused, _) = await access.WriterAsync(http, ct);
        if (refused is not null) return refused;
        var request = await ApiResults.ReadJsonAsync<CommitteeRequest>(http.Body, ct);
        if (request is null) return BadBody(new() { ["body"] = ["The body must be JSON: {\"date\", \"province\", \"investors\", \"mines\": [{\"province\", \"mineId\", \"outcome\"}]}."] });
        var errors = new Dictionary<string, string[]>();
        var date = ApiResults.DateField("date", request.Date, errors, required: true);
        var province = request.Province?.Trim().ToLowerInvariant() == SurveyIngestor.NationalFolder ? SurveyIngestor.NationalFolder : reference.FindProvince(request.Province)?.Slug;
        if (province is null) errors["province"] = [$"\"{request.Province}\" is not a province of Iran, nor national."];
        var investors = (request.Investors ?? []).Select(i => i?.Trim()).Where(i => !string.IsNullOrEmpty(i)).Select(i => i!).ToList();
        if (investors.Count == 0) errors["investors"] = ["Name at least one investor present."];
        var mines = new List<CommitteeMine>();
        foreach (var (m, i) in (request.Mines ?? []).Select((m, i) => (m, i)))
        {
            var mineProvince = reference.FindProvince(m.Province)?.Slug ?? (province != SurveyIngestor.NationalFolder ? province : null);
            var outcome = m.Outcome?.Trim().ToLowerInvariant().Replace(' ', '-');
            if (mineProvince is null || string.IsNullOrWhiteSpace(m.MineId)) { errors[$"mines[{i}]"] = ["Each mine needs its province and mineId."]; continue; }
            if (outcome is null || !CommitteeOutcomes.All.Contains(outcome)) { errors[$"mines[{i}].outcome"] = [$"outcome must be one of {string.Join(", ", CommitteeOutcomes.All)}."]; continue; }
            var found = await storage.MinesOf(mineProvince).GetEntityIfExistsAsync<MineEntity>(mineProvince, MineEntity.KeyFor(m.MineId), [nameof(MineEntity.Data)], ct);
            if (!found.HasValue) { errors[$"mines[{i}]"] = [$"There is no mine \"{m.MineId}\" in {mineProvince}."]; continue; }
            mines.Add(new CommitteeMine(mineProvince, found.Value!.MineId, outcome));
        }
        if (mines.Count == 0 && !errors.Keys.Any(k => k.StartsWith("mines", StringComparison.Ordinal))) errors["mines"] = ["Name at least one mine discussed."];
        if (errors.Count > 0) return BadBody(errors);

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        // Names kept as written (not \u-escaped): a table string holds 32K characters, and escaping made Persian names six times longer.
        var entity = new CommitteeEntity
        {
            RowKey = $"{date}|{id}", Id = id, Date = date!, Province = province!, Investors = JsonSerializer.Serialize(investors, ApiResults.Json),
            Mines = JsonSerializer.Serialize(mines, PipelineJson.Options), Notes = request.Notes?.Trim(), RecordedAt = time.GetUtcNow(), RecordedBy = writer!.ToString(),
        };
        Events.EventOutbox.Add(entity, Events.PipelineEvents.CommitteeRecorded(new(id, date!, province!, investors, mines, entity.RecordedBy), entity.RecordedAt), entity.RecordedAt);
        await audit.RecordAsync(writer!, AuditActions.Committee, province!, id, $"{date}: {mines.Count} mine(s)", ct);
        var dto = await committees.AddAsync(entity, ct);
        // A meeting is written once and never replaced: its outbox is taken off without an ETag.
        await events.SendAsync(storage.Committees, entity.PartitionKey, entity.RowKey, entity.Outbox, Azure.ETag.All, ct);
        logger.LogInformation("Committee meeting {CommitteeId} of {Date} ({Province}, {Mines} mines) recorded by {Actor}", id, date, province, mines.Count, writer);
        ViewToken.Write(http.HttpContext.Response, time);
        return Results.Json(dto, ApiResults.Json, statusCode: StatusCodes.Status201Created);
    });

    /// <summary>GET /api/committees?from=&amp;to=&amp;province=.</summary>
    public Task<IResult> CommitteesAsync(HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var (from, to, province) = (request.Query["from"].ToString(), request.Query["to"].ToString(), request.Query["province"].ToString());
        var freshness = views.Ask(request);
        var errors = new Dictionary<string, string[]>();
        var (f, t) = (ApiResults.DateField("from", from, errors), ApiResults.DateField("to", to, errors));
        string? slug = null;
        if (!string.IsNullOrWhiteSpace(province) && (slug = reference.FindProvince(province)?.Slug) is null) errors["province"] = [$"\"{province}\" is not a province of Iran."];
        if (errors.Count > 0) return BadBody(errors);
        var (meetings, answer) = await views.MeetingsAsync(freshness, ct);
        var items = CommitteeStore.Select(meetings, f, t, slug).OrderBy(c => c.Date, StringComparer.Ordinal).ThenBy(c => c.Id, StringComparer.Ordinal).ToList();
        return ViewResult.Json(freshness, answer, () => JsonSerializer.SerializeToUtf8Bytes(new CommitteeList(items), ApiResults.Json));
    });

    /// <summary>POST /api/rescore: starts (or continues) scoring every mine again with the current settings.</summary>
    public Task<IResult> StartRescoreAsync(HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var (writer, refused, _) = await access.WriterAsync(request, ct);
        if (refused is not null) return refused;
        var run = await rescoring.StartAsync(force: true, ct);
        await audit.RecordAsync(writer!, AuditActions.Rescore, AuditLog.OfficeScope, run.Run, $"{run.Mines} mines, settings {run.Fingerprint}", ct);
        return Results.Json(run, ApiResults.Json, statusCode: StatusCodes.Status202Accepted);
    });

    private static IResult BadBody(Dictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, detail: string.Join(" ", errors.Values.SelectMany(v => v)), title: "The request is not valid.");
}
