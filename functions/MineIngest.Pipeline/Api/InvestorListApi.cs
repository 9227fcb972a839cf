using MineIngest.Domain;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.View;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MineIngest.Pipeline.Api;

/// <summary>The investor list as a file, from the view and the committee meetings, as fresh as the request asks.</summary>
public sealed class InvestorListApi(RouteAccess access, ViewReader views, ReferenceData reference, ILogger<InvestorListApi> logger)
{
    /// <summary>GET /api/investor-list.xlsx|csv?province=&amp;mineral=&amp;tier=: see <see cref="InvestorList"/>.</summary>
    public Task<IResult> InvestorListAsync(string format, HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var query = request.Query;
        var freshness = views.Ask(request);
        if (format is not ("xlsx" or "csv")) return ApiResults.NotFound($"The investor list comes as .xlsx or .csv, not .{format}.");
        var errors = new Dictionary<string, string[]>();
        var province = QueryValues.Province(reference, query, errors);
        var mineral = QueryValues.Mineral(reference, query, errors);
        var tierText = query["tier"].ToString();
        var tier = tierText.Length > 0 ? tierText.Trim().ToUpperInvariant() : null;
        if (tier is not (null or "A" or "B")) errors["tier"] = [$"\"{tierText}\" is not a tier of the investor list: use A or B."];
        if (errors.Count > 0) return ApiResults.BadQuery(errors);
        var (snapshot, meetings, answer) = await views.MinesAndMeetingsAsync(freshness, ct);
        var rows = InvestorList.Select(snapshot, meetings, province, mineral, tier);
        var name = $"investor-list{(province is null ? "" : "-" + province)}.{format}";
        return new ViewResult(format == "xlsx"
            ? Results.File(await InvestorList.XlsxAsync(rows, reference, ct), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name)
            : Results.File(await InvestorList.CsvAsync(rows, reference, ct), "text/csv; charset=utf-8", name), answer);
    });
}
