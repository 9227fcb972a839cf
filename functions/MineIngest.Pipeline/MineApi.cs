using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using MineIngest.Domain;
using MineIngest.Domain.Writing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MineIngest.Pipeline;

/// <summary>
/// The HTTP API of http-api.md, shared by the Functions app and the local host: each handler takes the
/// request's query and route values and returns an <see cref="IResult"/>.
/// </summary>
public sealed class MineApi(
    StorageClients storage, MineView view, ReferenceData reference, RowsToFixSource rowsToFix, CommitteeStore committees, PipelineHealth health,
    TimeProvider time, IOptions<PipelineOptions> options, ILogger<MineApi> logger)
{
    /// <summary>
    /// Names this instance in ETags: snapshot versions are counted per instance, so another instance's ETag must never
    /// match (behind a load balancer a client then gets a 200 instead of a wrong 304).
    /// </summary>
    internal static readonly string Instance = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

    /// <summary>
    /// The mine view and the committee meetings as fresh as the request asks, read side by side (so a storage that
    /// does not answer costs one wait, not two), and how fresh the answer built from them is.
    /// </summary>
    private async Task<(MineSnapshot Mines, IReadOnlyList<CommitteeDto> Meetings, AnswerFreshness Freshness)> ReadViewsAsync(RequestFreshness request, CancellationToken ct)
    {
        var minesRead = view.ReadAsync(request.Since, ct);
        var meetingsRead = committees.ReadAsync(request.Since, ct);
        var (mines, meetings) = (await minesRead, await meetingsRead);
        var checkedAt = mines.CheckedAt < meetings.CheckedAt ? mines.CheckedAt : meetings.CheckedAt;
        return (mines.Value, meetings.Value, new AnswerFreshness(checkedAt, mines.Stale || meetings.Stale, time.GetUtcNow(),
            $"W/\"{Instance}-{mines.Value.Version}-{committees.Version}\"", mines.Value.AsOf));
    }

    private async Task<(MineSnapshot Mines, AnswerFreshness Freshness)> ReadMinesAsync(RequestFreshness request, CancellationToken ct)
    {
        var mines = await view.ReadAsync(request.Since, ct);
        return (mines.Value, new AnswerFreshness(mines.CheckedAt, mines.Stale, time.GetUtcNow(), $"W/\"{Instance}-{mines.Value.Version}\"", mines.Value.AsOf));
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A request body as <typeparamref name="T"/>, or null when it is not such JSON.</summary>
    internal static async Task<T?> ReadJsonAsync<T>(Stream body, CancellationToken ct) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(body, Json, ct);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A date field in either calendar as ISO yyyy-mm-dd; a bad (or missing but required) one is added to <paramref name="errors"/>.</summary>
    internal static string? DateField(string name, string? text, Dictionary<string, string[]> errors, bool required = false)
    {
        if (string.IsNullOrWhiteSpace(text) && !required) return null;
        if (SurveyValues.TryParseDate(text, out var date)) return SurveyValues.Iso(date);
        errors[name] = [$"\"{text}\" is not a date: write year-month-day, Jalali (1399-02-21) or Gregorian (2020-05-10)."];
        return null;
    }

    public Task<IResult> SummaryAsync(HttpRequest request, CancellationToken ct) => Guard(async () =>
    {
        var query = request.Query;
        var freshness = RequestFreshness.From(request, time, options.Value);
        var errors = new Dictionary<string, string[]>();
        var province = ProvinceParam(query, errors);
        var mineral = MineralParam(query, errors);
        var (from, to) = Period(query, errors);
        if (errors.Count > 0) return BadQuery(errors);

        var (snapshot, meetings, answer) = await ReadViewsAsync(freshness, ct);
        return ViewResult.Json(freshness, answer, () => _summaries.Get(snapshot, $"{province}|{mineral}|{from}|{to}|{answer.ETag}",
            () => BuildSummary(snapshot, meetings, province, mineral, from, to)));
    });

    private readonly SnapshotAnswers _summaries = new();
    private readonly SnapshotAnswers _minePages = new();

    private static Summary BuildSummary(MineSnapshot snapshot, IReadOnlyList<CommitteeDto> meetings, string? province, string? mineral, string? from, string? to)
    {
        // Committee figures for the period: meetings that concern the province; mines of the scope with an agreement signed there.
        var inPeriod = CommitteeStore.Select(meetings, from, to, province).ToList();
        var agreed = inPeriod.SelectMany(c => c.Mines).Where(m => m.Outcome == CommitteeOutcomes.AgreementSigned && (province is null || m.Province == province))
            .Select(m => (m.Province, MineEntity.KeyFor(m.MineId))).Distinct()
            .Count(k => mineral is null || (snapshot.ByKey.TryGetValue(k, out var mine) && mine.Mineral == mineral));
        bool InPeriod(MineEntity m) => m.Status == "revived" && m.RevivedOn is { } on
            && (from is null || string.CompareOrdinal(on, from) >= 0) && (to is null || string.CompareOrdinal(on, to) <= 0);

        // One pass over the ranked mines, nothing copied: built once a snapshot, which is once a second while a
        // dashboard watches a survey being scored, and lists of 100,000 mines per build were large-object garbage.
        var all = new Tally();
        var byProvince = new Dictionary<string, Tally>(StringComparer.Ordinal);
        var byMineral = new Dictionary<string, Tally>(StringComparer.Ordinal);
        var byProblem = new Dictionary<string, (int Mines, long JobsPotential, double Investment)>(StringComparer.Ordinal);
        int idle = 0, reviving = 0, revivedStatus = 0, active = 0;
        long jobsPotential = 0;
        double investment = 0;
        DateTimeOffset? lastWritten = null;
        foreach (var m in snapshot.Ranked)
        {
            if ((province is not null && m.PartitionKey != province) || (mineral is not null && m.Mineral != mineral)) continue;
            var revivedInPeriod = InPeriod(m);
            all.Add(m, revivedInPeriod);
            Tally.Of(byProvince, m.PartitionKey).Add(m, revivedInPeriod);
            Tally.Of(byMineral, m.Mineral).Add(m, revivedInPeriod);
            switch (m.Status)
            {
                case "idle": idle++; break;
                case "reviving": reviving++; break;
                case "revived": revivedStatus++; break;
                case "active": active++; break;
            }
            jobsPotential += m.JobsPotential;
            investment += m.InvestmentBnRial ?? 0;
            ref var problem = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(byProblem, m.Problem ?? UnspecifiedProblem, out _);
            problem = (problem.Mines + 1, problem.JobsPotential + m.JobsPotential, problem.Investment + (m.InvestmentBnRial ?? 0));
            if (m.Timestamp is { } written && (lastWritten is null || written > lastWritten)) lastWritten = written;
        }

        return new Summary(
            province, mineral, from, to, all.Mines, byProvince.Count, all.Tiers,
            new StatusCounts(idle, reviving, revivedStatus, active),
            jobsPotential, all.Revived, all.JobsCreated,
            byProvince.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new ProvinceGroup(g.Key, g.Value.Mines, g.Value.Revived, g.Value.JobsCreated, g.Value.Tiers)).ToList(),
            byMineral.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new MineralGroup(g.Key, g.Value.Mines, g.Value.Revived, g.Value.JobsCreated, g.Value.Tiers)).ToList(),
            all.Mines == 0 ? null : lastWritten?.UtcDateTime,
            byProblem.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new ProblemGroup(g.Key, g.Value.Mines, g.Value.JobsPotential, Math.Round(g.Value.Investment, 4))).ToList(),
            Math.Round(investment, 4), inPeriod.Count, agreed);
    }

    /// <summary>A summary's figures for one group of mines, counted as the mines go by.</summary>
    private sealed class Tally
    {
        public int Mines, Revived, A, B, C;
        public long JobsCreated;

        public TierCounts Tiers => new(A, B, C);

        public static Tally Of(Dictionary<string, Tally> groups, string key)
        {
            ref var tally = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(groups, key, out _);
            return tally ??= new Tally();
        }

        public void Add(MineEntity m, bool revivedInPeriod)
        {
            Mines++;
            if (revivedInPeriod)
            {
                Revived++;
                JobsCreated += m.JobsCreated ?? 0;
            }
            switch (m.Tier)
            {
                case "A": A++; break;
                case "B": B++; break;
                case "C": C++; break;
            }
        }
    }

    /// <summary>The problem group of mines whose survey named no main problem.</summary>
    public const string UnspecifiedProblem = "unspecified";

    public Task<IResult> MinesAsync(HttpRequest request, CancellationToken ct) => Guard(async () =>
    {
        var query = request.Query;
        var freshness = RequestFreshness.From(request, time, options.Value);
        var errors = new Dictionary<string, string[]>();
        var province = ProvinceParam(query, errors);
        var mineral = MineralParam(query, errors);
        var tierText = query["tier"].ToString();
        var tier = tierText.Length > 0 ? tierText.Trim().ToUpperInvariant() : null;
        if (tier is not (null or "A" or "B" or "C")) errors["tier"] = [$"\"{tierText}\" is not a tier: use A, B or C."];
        string? status = null;
        if (query["status"].ToString() is { Length: > 0 } s)
        {
            status = reference.FindStatus(s)?.Slug;
            if (status is null) errors["status"] = [$"\"{s}\" is not a status: use idle, reviving, revived or active."];
        }
        string? problem = null;
        if (query["problem"].ToString() is { Length: > 0 } p)
        {
            problem = p.Trim() == UnspecifiedProblem ? UnspecifiedProblem : reference.FindProblem(p)?.Slug;
            if (problem is null) errors["problem"] = [$"\"{p}\" is not a main problem: use financial, equipment, market, legal, environmental, technical, infrastructure, none or unspecified."];
        }
        var top = 50;
        if (query["top"].ToString() is { Length: > 0 } topText && (!int.TryParse(topText, out top) || top is < 1 or > 1000))
            errors["top"] = [$"top must be a whole number from 1 to 1000; got \"{topText}\"."];
        MineEntity? after = null;
        if (query["continuation"].ToString() is { Length: > 0 } token && (after = DecodeContinuation(token)) is null)
            errors["continuation"] = ["The continuation token is not one this API gave out."];
        if (errors.Count > 0) return BadQuery(errors);

        var (snapshot, answer) = await ReadMinesAsync(freshness, ct);
        return ViewResult.Json(freshness, answer, () => _minePages.Get(snapshot, $"{province}|{mineral}|{tier}|{status}|{problem}|{top}|{query["continuation"]}", () =>
        {
            IEnumerable<MineEntity> ranked = snapshot.Ranked;
            if (after is not null)
            {
                // The first mine ranked after the last one of the previous page; stable while mines change.
                var start = Array.BinarySearch(snapshot.Ranked, after, MineEntity.Ranking);
                ranked = snapshot.Ranked.Skip(start >= 0 ? start + 1 : ~start);
            }
            var page = ranked.Where(m => (province is null || m.PartitionKey == province) && (mineral is null || m.Mineral == mineral)
                                         && (tier is null || m.Tier == tier) && (status is null || m.Status == status)
                                         && (problem is null || (m.Problem ?? UnspecifiedProblem) == problem))
                .Take(top + 1).ToList();
            var more = page.Count > top;
            if (more) page.RemoveAt(top);
            return new MinePage(page.Select(MineDto.From).ToList(), more ? EncodeContinuation(page[^1]) : null, snapshot.AsOf?.UtcDateTime);
        }));
    });

    public Task<IResult> MineAsync(string province, string mineId, CancellationToken ct) => Guard(async () =>
    {
        var slug = reference.FindProvince(province)?.Slug;
        if (slug is null) return NotFound($"There is no province \"{province}\".");
        var mine = await storage.MinesOf(slug).GetEntityIfExistsAsync<MineEntity>(slug, MineEntity.KeyFor(mineId), cancellationToken: ct);
        return mine.HasValue ? Results.Json(MineDto.From(mine.Value!), Json) : NotFound($"There is no mine \"{mineId}\" in {slug}.");
    });

    /// <summary>GET /api/mines/{province}/{mineId}/history: every version of the mine, oldest first, and its status changes.</summary>
    public Task<IResult> MineHistoryAsync(string province, string mineId, CancellationToken ct) => Guard(async () =>
    {
        var slug = reference.FindProvince(province)?.Slug;
        if (slug is null) return NotFound($"There is no province \"{province}\".");
        // As a TableEntity: the version properties are named by their versions.
        var stored = await storage.MinesOf(slug).GetEntityIfExistsAsync<TableEntity>(slug, MineEntity.KeyFor(mineId), cancellationToken: ct);
        return stored.HasValue ? Results.Json(MineHistory.ToDto(MineEntity.From(stored.Value!), stored.Value!), Json) : NotFound($"There is no mine \"{mineId}\" in {slug}.");
    });

    public Task<IResult> SurveysAsync(IQueryCollection query, CancellationToken ct) => Guard(async () =>
    {
        var errors = new Dictionary<string, string[]>();
        // Surveys are filed by upload folder, and national/ is a folder too.
        var province = SurveyIngestor.UploadFolder(reference, query["province"].ToString()) ?? ProvinceParam(query, errors);
        if (errors.Count > 0) return BadQuery(errors);
        var blob = query["blob"].ToString() is { Length: > 0 } b ? b.Trim() : null;

        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {SurveyEntity.Partition}");
        if (province is not null) filter += " and " + TableClient.CreateQueryFilter($"Folder eq {province}");
        if (blob is not null) filter += " and " + TableClient.CreateQueryFilter($"Blob eq {blob}");
        var surveys = new List<SurveyEntity>();
        await foreach (var survey in storage.SurveyTable.QueryAsync<SurveyEntity>(filter, cancellationToken: ct)) surveys.Add(survey);
        var items = surveys.OrderByDescending(s => s.ReceivedAt).ThenBy(s => s.RowKey, StringComparer.Ordinal)
            .Select(s => Reported(view, s, null)).ToList();
        return Results.Json(new SurveyList(items), Json);
    });

    public Task<IResult> SurveyAsync(string id, CancellationToken ct) => Guard(async () =>
    {
        var survey = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, id, cancellationToken: ct);
        return survey.HasValue ? await ReportAsync(storage, view, survey.Value!, ct) : NotFound($"There is no survey \"{id}\".");
    });

    /// <summary>A survey's report with every row error: what /api/surveys/{id} and the province's report route answer.</summary>
    internal static async Task<IResult> ReportAsync(StorageClients storage, MineView view, SurveyEntity survey, CancellationToken ct)
    {
        var errors = new List<SurveyErrorDto>();
        await foreach (var e in storage.RowErrorsOf(survey.RowKey, ct))
            errors.Add(new SurveyErrorDto(e.Row, e.MineId, e.Field.Length == 0 ? null : e.Field, e.Message, e.MessageFa));
        return Results.Json(Reported(view, survey, errors), Json);
    }

    /// <summary>A survey as reported; one reported completed makes this instance's next view answers include its rows.</summary>
    private static SurveyDto Reported(MineView view, SurveyEntity survey, IReadOnlyList<SurveyErrorDto>? errors)
    {
        var dto = SurveyDto.From(survey, errors);
        view.NoteReported(dto, survey.Timestamp);
        return dto;
    }

    /// <summary>GET /api/surveys/{id}/errors.{format}: the rows to fix of any survey (the programme office's view).</summary>
    public Task<IResult> RowsToFixAsync(string id, string format, CancellationToken ct) => Guard(async () =>
    {
        var survey = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, id, cancellationToken: ct);
        return survey.HasValue ? await rowsToFix.AnswerAsync(survey.Value!, format, ct) : NotFound($"There is no survey \"{id}\".");
    });

    /// <summary>GET /api/investor-list.xlsx|csv?province=&amp;mineral=&amp;tier=: see <see cref="InvestorList"/>.</summary>
    public Task<IResult> InvestorListAsync(string format, HttpRequest request, CancellationToken ct) => Guard(async () =>
    {
        var query = request.Query;
        var freshness = RequestFreshness.From(request, time, options.Value);
        if (format is not ("xlsx" or "csv")) return NotFound($"The investor list comes as .xlsx or .csv, not .{format}.");
        var errors = new Dictionary<string, string[]>();
        var province = ProvinceParam(query, errors);
        var mineral = MineralParam(query, errors);
        var tierText = query["tier"].ToString();
        var tier = tierText.Length > 0 ? tierText.Trim().ToUpperInvariant() : null;
        if (tier is not (null or "A" or "B")) errors["tier"] = [$"\"{tierText}\" is not a tier of the investor list: use A or B."];
        if (errors.Count > 0) return BadQuery(errors);
        var (snapshot, meetings, answer) = await ReadViewsAsync(freshness, ct);
        var rows = InvestorList.Select(snapshot, meetings, province, mineral, tier);
        var name = $"investor-list{(province is null ? "" : "-" + province)}.{format}";
        return new ViewResult(format == "xlsx"
            ? Results.File(await InvestorList.XlsxAsync(rows, reference, ct), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name)
            : Results.File(InvestorList.Csv(rows, reference), "text/csv; charset=utf-8", name), answer);
    });

    /// <summary>GET /api/template.xlsx: the survey template; the same for everyone, so made once.</summary>
    public async Task<IResult> TemplateAsync(CancellationToken ct)
    {
        var bytes = _template ??= await MakeTemplateAsync(reference, ct);
        return Results.File(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", SurveyTemplate.FileName);
    }

    private byte[]? _template;

    private static async Task<byte[]> MakeTemplateAsync(ReferenceData reference, CancellationToken ct)
    {
        using var output = new MemoryStream();
        await SurveyTemplate.WriteAsync(output, reference, ct);
        return output.ToArray();
    }

    /// <summary>Problem details a clerk reads: <c>detail</c> in English and <c>detailFa</c> in Persian.</summary>
    public const string DetailFa = "detailFa";

    internal static IResult ClerkProblem(int status, string title, ClerkText detail) =>
        Results.Problem(statusCode: status, title: title, detail: detail.English, extensions: new Dictionary<string, object?> { [DetailFa] = detail.Persian });

    /// <summary>GET /api/health: see <see cref="PipelineHealth"/>.</summary>
    public Task<IResult> HealthAsync(CancellationToken ct) => health.CheckAsync(ct);

    private Task<IResult> Guard(Func<Task<IResult>> handler) => Guard(logger, handler);

    /// <summary>Runs a handler; storage that does not answer becomes a 503 in words, in both languages.</summary>
    internal static async Task<IResult> Guard(ILogger logger, Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (Exception ex) when (PipelineHealth.IsStorageFault(ex))
        {
            logger.LogError(ex, "Storage does not answer");
            return ClerkProblem(StatusCodes.Status503ServiceUnavailable, "Storage unavailable", ClerkMessages.StorageUnavailable());
        }
    }

    private static IResult BadQuery(Dictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, detail: string.Join(" ", errors.Values.SelectMany(v => v)), title: "Some query values are not valid.");

    internal static IResult NotFound(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);

    private string? ProvinceParam(IQueryCollection query, Dictionary<string, string[]> errors)
    {
        if (query["province"].ToString() is not { Length: > 0 } text) return null;
        var slug = reference.FindProvince(text)?.Slug;
        if (slug is null) errors["province"] = [$"\"{text}\" is not a province of Iran."];
        return slug;
    }

    private string? MineralParam(IQueryCollection query, Dictionary<string, string[]> errors)
    {
        if (query["mineral"].ToString() is not { Length: > 0 } text) return null;
        var slug = reference.FindMineral(text)?.Slug;
        if (slug is null) errors["mineral"] = [$"\"{text}\" is not a known mineral."];
        return slug;
    }

    private static (string? From, string? To) Period(IQueryCollection query, Dictionary<string, string[]> errors)
    {
        var from = DateField("from", query["from"].ToString(), errors);
        var to = DateField("to", query["to"].ToString(), errors);
        if (from is not null && to is not null && string.CompareOrdinal(from, to) > 0)
            errors["from"] = [$"from ({from}) is after to ({to})."];
        return (from, to);
    }

    private static string EncodeContinuation(MineEntity last) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new[] { last.Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture), last.PartitionKey, last.RowKey })))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static MineEntity? DecodeContinuation(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
            var parts = JsonSerializer.Deserialize<string[]>(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
            if (parts is not { Length: 3 }) return null;
            return new MineEntity { Score = double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), PartitionKey = parts[1], RowKey = parts[2] };
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }

}

/// <summary>
/// Answers of one view snapshot, as JSON bytes: many readers ask the same question of the same snapshot (a dashboard, a
/// ranking page), so each is built and serialised once. A new snapshot starts afresh; at most 500 answers are kept.
/// </summary>
internal sealed class SnapshotAnswers
{
    private sealed class Answers(MineSnapshot snapshot)
    {
        public MineSnapshot Snapshot { get; } = snapshot;
        public ConcurrentDictionary<string, byte[]> Bytes { get; } = new(StringComparer.Ordinal);
        // Counted by hand: ConcurrentDictionary.Count takes every lock, and this is asked on every request.
        public int Count;
    }

    private Answers _current = new(MineSnapshot.Empty);

    public byte[] Get<T>(MineSnapshot snapshot, string question, Func<T> build)
    {
        var cache = _current;
        if (!ReferenceEquals(cache.Snapshot, snapshot) || Volatile.Read(ref cache.Count) > 500) _current = cache = new Answers(snapshot);
        if (cache.Bytes.TryGetValue(question, out var answer)) return answer;
        answer = cache.Bytes.GetOrAdd(question, _ => JsonSerializer.SerializeToUtf8Bytes(build(), MineApi.Json));
        Interlocked.Increment(ref cache.Count);
        return answer;
    }
}
