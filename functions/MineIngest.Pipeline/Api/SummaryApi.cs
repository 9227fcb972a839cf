using MineIngest.Domain;
using MineIngest.Pipeline.View;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MineIngest.Pipeline.Api;

/// <summary>GET /api/summary: national or provincial figures from the view, as fresh as the request asks.</summary>
public sealed class SummaryApi(RouteAccess access, ViewReader views, ReferenceData reference, ILogger<SummaryApi> logger)
{
    private readonly SnapshotAnswers _summaries = new();

    public Task<IResult> SummaryAsync(HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var query = request.Query;
        var freshness = views.Ask(request);
        var errors = new Dictionary<string, string[]>();
        var province = QueryValues.Province(reference, query, errors);
        var mineral = QueryValues.Mineral(reference, query, errors);
        var (from, to) = QueryValues.Period(query, errors);
        if (errors.Count > 0) return ApiResults.BadQuery(errors);

        var (snapshot, meetings, answer) = await views.MinesAndMeetingsAsync(freshness, ct);
        return ViewResult.Json(freshness, answer, () => _summaries.Get(snapshot, $"{province}|{mineral}|{from}|{to}|{answer.ETag}",
            () => SummaryBuilder.Build(snapshot, meetings, province, mineral, from, to)));
    });
}
