using MineIngest.Domain;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.View;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MineIngest.Pipeline.Api;

/// <summary>GET /api/report (the printable page) and /api/report.xlsx: the programme's progress report for a Jalali period.</summary>
public sealed class ReportApi(RouteAccess access, ProgressReports reports, ViewReader views, ReferenceData reference, TimeProvider time, ILogger<ReportApi> logger)
{
    /// <summary>?period=1399-Q1|1399-H1|1399-F5|1399 or ?month=1399-05, else ?from=&amp;to= (either calendar); ?province=; ?lang=en for English.</summary>
    public Task<IResult> PageAsync(HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var (period, province, problem) = Read(request);
        if (problem is not null) return problem;
        var (report, _) = await reports.BuildAsync(views.Ask(request), period!, province, ct);
        var persian = request.Query["lang"].ToString() != "en";
        var query = request.Query.Where(q => q.Key != "lang").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}").ToList();
        var persianLink = "report" + (query.Count > 0 ? "?" + string.Join("&", query) : "");
        var englishLink = "report?" + string.Join("&", query.Append("lang=en"));
        var html = ReportPage.Html(report, ReportTables.Of(report, reference), reference, IranClock.Today(time), persian, englishLink, persianLink);
        return Results.Content(html, "text/html; charset=utf-8");
    });

    public Task<IResult> WorkbookAsync(HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var (period, province, problem) = Read(request);
        if (problem is not null) return problem;
        var (report, _) = await reports.BuildAsync(views.Ask(request), period!, province, ct);
        var bytes = await ReportPage.XlsxAsync(report, ReportTables.Of(report, reference), reference, IranClock.Today(time), ct);
        var name = $"mineingest-report-{SurveyValues.ToJalali(period!.From).Replace('/', '-')}-{SurveyValues.ToJalali(period.To).Replace('/', '-')}{(province is null ? "" : "-" + province)}.xlsx";
        return Results.File(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name);
    });

    private (ReportPeriod? Period, string? Province, IResult? Problem) Read(HttpRequest request)
    {
        var query = request.Query;
        var errors = new Dictionary<string, string[]>();
        var province = QueryValues.Province(reference, query, errors);
        var period = ReportPeriod.Parse(query["period"], query["month"], query["from"], query["to"], IranClock.Today(time), out var problem);
        if (problem is not null) errors[query["period"].Count + query["month"].Count > 0 ? "period" : "from"] = [problem];
        return errors.Count > 0 ? (null, null, ApiResults.BadQuery(errors)) : (period, province, null);
    }
}
