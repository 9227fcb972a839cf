using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using MineIngest.Domain;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MineIngest.Pipeline.Api;

/// <summary>GET /api/mines (the ranking, from the view), one mine and its history (read from storage at every request).</summary>
public sealed class MinesApi(RouteAccess access, UploadSasIssuer uploads, StorageClients storage, Field.PhotoStore photos, ViewReader views, ReferenceData reference, ILogger<MinesApi> logger)
{
    private readonly SnapshotAnswers _minePages = new();

    public Task<IResult> MinesAsync(HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var query = request.Query;
        var freshness = views.Ask(request);
        var errors = new Dictionary<string, string[]>();
        var filter = MineFilter.Parse(reference, query, errors);
        var top = 50;
        if (query["top"].ToString() is { Length: > 0 } topText && (!int.TryParse(topText, out top) || top is < 1 or > 1000))
            errors["top"] = [$"top must be a whole number from 1 to 1000; got \"{topText}\"."];
        MineEntity? after = null;
        if (query["continuation"].ToString() is { Length: > 0 } token && (after = DecodeContinuation(token)) is null)
            errors["continuation"] = ["The continuation token is not one this API gave out."];
        if (errors.Count > 0) return ApiResults.BadQuery(errors);

        var (snapshot, answer) = await views.MinesAsync(freshness, ct);
        return ViewResult.Json(freshness, answer, () => _minePages.Get(snapshot, $"{filter}|{top}|{query["continuation"]}", () =>
        {
            IEnumerable<MineEntity> ranked = snapshot.Ranked;
            if (after is not null)
            {
                // The first mine ranked after the last one of the previous page; stable while mines change.
                var start = Array.BinarySearch(snapshot.Ranked, after, MineEntity.Ranking);
                ranked = snapshot.Ranked.Skip(start >= 0 ? start + 1 : ~start);
            }
            var page = ranked.Where(filter.Matches).Take(top + 1).ToList();
            var more = page.Count > top;
            if (more) page.RemoveAt(top);
            return new MinePage(page.Select(MineDto.From).ToList(), more ? EncodeContinuation(page[^1]) : null, snapshot.AsOf?.UtcDateTime);
        }));
    });

    /// <summary>GET /api/mines.csv with the ranking's filters: every mine they keep, in ranking order (<see cref="RankingFile"/>).</summary>
    public Task<IResult> RankingCsvAsync(HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var freshness = views.Ask(request);
        var errors = new Dictionary<string, string[]>();
        var filter = MineFilter.Parse(reference, request.Query, errors);
        if (errors.Count > 0) return ApiResults.BadQuery(errors);
        var (snapshot, answer) = await views.MinesAsync(freshness, ct);
        var csv = await RankingFile.CsvAsync(snapshot.Ranked.Where(filter.Matches), reference, ct);
        return new ViewResult(Results.File(csv, "text/csv; charset=utf-8", $"mineingest-ranking-{filter.Province ?? "all"}.csv"), answer);
    });

    /// <summary>GET /api/mines/{province}/{mineId}: the mine as on record.</summary>
    public Task<IResult> MineAsync(HttpRequest request, string province, string routeMineId, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var mineId = MineAddress.FromRoute(routeMineId);
        var slug = reference.FindProvince(province)?.Slug;
        if (slug is null) return ApiResults.NotFound($"There is no province \"{province}\".");
        var mine = await storage.MinesOf(slug).GetEntityIfExistsAsync<MineEntity>(slug, MineEntity.KeyFor(mineId), cancellationToken: ct);
        return mine.HasValue ? Results.Json(MineDto.From(mine.Value!), ApiResults.Json) : ApiResults.NotFound($"There is no mine \"{mineId}\" in {slug}.");
    });

    /// <summary>GET /api/mines/{province}/{mineId}/history: every version of the mine, oldest first, and its status changes.</summary>
    public Task<IResult> MineHistoryAsync(HttpRequest request, string province, string routeMineId, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var mineId = MineAddress.FromRoute(routeMineId);
        var slug = reference.FindProvince(province)?.Slug;
        if (slug is null) return ApiResults.NotFound($"There is no province \"{province}\".");
        // As a TableEntity: the version properties are named by their versions.
        var stored = await storage.MinesOf(slug).GetEntityIfExistsAsync<TableEntity>(slug, MineEntity.KeyFor(mineId), cancellationToken: ct);
        if (!stored.HasValue) return ApiResults.NotFound($"There is no mine \"{mineId}\" in {slug}.");
        var history = MineHistoryAnswer.From(MineEntity.From(stored.Value!), stored.Value!);
        var versions = await WithWhoAsync(history.Versions, ct);
        // One listing of the mine's photo folder: each version shows the photos sent with its survey.
        var bySurvey = (await photos.ListAsync(slug, mineId, ct)).ToLookup(p => p.Survey, StringComparer.Ordinal);
        versions = versions.Select(v => bySurvey.Contains(v.SurveyId)
            ? v with { Photos = bySurvey[v.SurveyId].Select(p => new PhotoDto(p, slug, mineId)).ToList() } : v).ToList();
        return Results.Json(history with { Versions = versions }, ApiResults.Json);
    });

    /// <summary>Each version with who sent its survey and who withdrew it: two point reads per survey, and a mine has few.</summary>
    private async Task<IReadOnlyList<MineVersionDto>> WithWhoAsync(IReadOnlyList<MineVersionDto> versions, CancellationToken ct)
    {
        var who = new Dictionary<string, (string? UploadedBy, string? WithdrawnBy)>(StringComparer.Ordinal);
        foreach (var id in versions.Select(v => v.SurveyId).Distinct(StringComparer.Ordinal))
        {
            var survey = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, id, cancellationToken: ct);
            if (!survey.HasValue) continue;
            var uploader = await uploads.UploaderAsync(survey.Value!.Folder, survey.Value.Blob, ct);
            who[id] = (uploader?.ToString(), survey.Value.WithdrawnBy);
        }
        return versions.Select(v => who.TryGetValue(v.SurveyId, out var w) ? v with { UploadedBy = w.UploadedBy, WithdrawnBy = w.WithdrawnBy } : v).ToList();
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

/// <summary>The ranking's filters (province, mineral, tier, status, main problem), as /api/mines and its CSV read them.</summary>
internal sealed record MineFilter(string? Province, string? Mineral, string? Tier, string? Status, string? Problem)
{
    public static MineFilter Parse(ReferenceData reference, IQueryCollection query, Dictionary<string, string[]> errors)
    {
        var province = QueryValues.Province(reference, query, errors);
        var mineral = QueryValues.Mineral(reference, query, errors);
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
            problem = p.Trim() == SummaryBuilder.UnspecifiedProblem ? SummaryBuilder.UnspecifiedProblem : reference.FindProblem(p)?.Slug;
            if (problem is null) errors["problem"] = [$"\"{p}\" is not a main problem: use financial, equipment, market, legal, environmental, technical, infrastructure, none or unspecified."];
        }
        return new MineFilter(province, mineral, tier, status, problem);
    }

    public bool Matches(MineEntity m) =>
        (Province is null || m.PartitionKey == Province) && (Mineral is null || m.Mineral == Mineral) && (Tier is null || m.Tier == Tier)
        && (Status is null || m.Status == Status) && (Problem is null || (m.Problem ?? SummaryBuilder.UnspecifiedProblem) == Problem);

    public override string ToString() => $"{Province}|{Mineral}|{Tier}|{Status}|{Problem}";
}
