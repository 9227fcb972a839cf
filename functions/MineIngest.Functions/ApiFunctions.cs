using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using MineIngest.Pipeline;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Health;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;

namespace MineIngest.Functions;

/// <summary>The HTTP API of http-api.md. Every route but health needs a function key in Azure.</summary>
public sealed class ApiFunctions(
    SummaryApi summary, MinesApi mines, SurveysApi surveys, InvestorListApi investorList, FilesApi files, PipelineHealth health,
    ProvinceApi provinces, OfficeApi office, ReportApi report)
{
    [Function("Summary")]
    public async Task<IActionResult> Summary([HttpTrigger(AuthorizationLevel.Function, "get", Route = "summary")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await summary.SummaryAsync(req, ct));

    [Function("Mines")]
    public async Task<IActionResult> Mines([HttpTrigger(AuthorizationLevel.Function, "get", Route = "mines")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await mines.MinesAsync(req, ct));

    /// <summary>The programme's progress report for a period: a printable page.</summary>
    [Function("Report")]
    public async Task<IActionResult> Report([HttpTrigger(AuthorizationLevel.Function, "get", Route = "report")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await report.PageAsync(req, ct));

    /// <summary>The progress report as a workbook, a sheet per table.</summary>
    [Function("ReportWorkbook")]
    public async Task<IActionResult> ReportWorkbook([HttpTrigger(AuthorizationLevel.Function, "get", Route = "report.xlsx")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await report.WorkbookAsync(req, ct));

    [Function("RankingCsv")]
    public async Task<IActionResult> RankingCsv([HttpTrigger(AuthorizationLevel.Function, "get", Route = "mines.csv")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await mines.RankingCsvAsync(req, ct));

    [Function("Mine")]
    public async Task<IActionResult> Mine(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "mines/{province}/{mineId}")] HttpRequest req, string province, string mineId,
        CancellationToken ct) =>
        new ResultAction(await mines.MineAsync(province, mineId, ct));

    [Function("MineHistory")]
    public async Task<IActionResult> MineHistory(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "mines/{province}/{mineId}/history")] HttpRequest req, string province, string mineId,
        CancellationToken ct) =>
        new ResultAction(await mines.MineHistoryAsync(province, mineId, ct));

    [Function("Surveys")]
    public async Task<IActionResult> Surveys([HttpTrigger(AuthorizationLevel.Function, "get", Route = "surveys")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await surveys.SurveysAsync(req.Query, ct));

    [Function("Survey")]
    public async Task<IActionResult> Survey(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "surveys/{id}")] HttpRequest req, string id, CancellationToken ct) =>
        new ResultAction(await surveys.SurveyAsync(id, ct));

    /// <summary>Withdrawing a survey: the office's writer key or the survey's own province key, checked by the route itself.</summary>
    [Function("WithdrawSurvey")]
    public async Task<IActionResult> WithdrawSurvey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "surveys/{id}/withdraw")] HttpRequest req, string id, CancellationToken ct) =>
        new ResultAction(await surveys.WithdrawAsync(id, req, ct));

    [Function("RowsToFix")]
    public async Task<IActionResult> RowsToFix(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "surveys/{id}/errors.{format}")] HttpRequest req, string id, string format,
        CancellationToken ct) =>
        new ResultAction(await surveys.RowsToFixAsync(id, format, ct));

    /// <summary>The survey template: no data, so no key (the upload page links to it).</summary>
    [Function("Template")]
    public async Task<IActionResult> Template([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "template.xlsx")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await files.TemplateAsync(ct));

    // The province routes are anonymous to the Functions runtime: the province key is their credential (provinces get no function key),
    // and it opens only the province's own uploads and their reports.

    [Function("CreateUpload")]
    public async Task<IActionResult> CreateUpload(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "provinces/{province}/uploads")] HttpRequest req, string province,
        CancellationToken ct) =>
        new ResultAction(await provinces.CreateUploadAsync(province, req.Headers[ProvinceApi.ProvinceKeyHeader], req.Body, ct));

    [Function("ProvinceSurveyReport")]
    public async Task<IActionResult> ProvinceSurveyReport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "provinces/{province}/surveys")] HttpRequest req, string province,
        CancellationToken ct) =>
        new ResultAction(await provinces.SurveyReportAsync(province, req.Headers[ProvinceApi.ProvinceKeyHeader], req.Query["blob"], ct));

    [Function("ProvinceRowsToFix")]
    public async Task<IActionResult> ProvinceRowsToFix(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "provinces/{province}/surveys/{id}/errors.{format}")] HttpRequest req,
        string province, string id, string format, CancellationToken ct) =>
        new ResultAction(await provinces.RowsToFixAsync(province, req.Headers[ProvinceApi.ProvinceKeyHeader], id, format, ct));

    [Function("MineSolution")]
    public async Task<IActionResult> MineSolution(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "mines/{province}/{mineId}/solution")] HttpRequest req, string province, string mineId,
        CancellationToken ct) =>
        new ResultAction(await office.GetSolutionAsync(province, mineId, ct));

    [Function("Committees")]
    public async Task<IActionResult> Committees([HttpTrigger(AuthorizationLevel.Function, "get", Route = "committees")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await office.CommitteesAsync(req, ct));

    [Function("InvestorList")]
    public async Task<IActionResult> InvestorList(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "investor-list.{format}")] HttpRequest req, string format, CancellationToken ct) =>
        new ResultAction(await investorList.InvestorListAsync(format, req, ct));

    // The writing routes are anonymous to the Functions runtime: the programme office's writer key (x-writer-key) is their
    // credential, because function and host keys are what the dashboard's readers hold (docs/DESIGN.md, "Who may write").

    [Function("PutMineSolution")]
    public async Task<IActionResult> PutMineSolution(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "mines/{province}/{mineId}/solution")] HttpRequest req, string province, string mineId,
        CancellationToken ct) =>
        new ResultAction(await office.PutSolutionAsync(province, mineId, req.Headers[OfficeApi.WriterKeyHeader], req.Body, ct));

    [Function("PostCommittee")]
    public async Task<IActionResult> PostCommittee([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "committees")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await office.PostCommitteeAsync(req.Headers[OfficeApi.WriterKeyHeader], req.Body, ct));

    [Function("StartRescore")]
    public async Task<IActionResult> StartRescore([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rescore")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await office.StartRescoreAsync(req.Headers[OfficeApi.WriterKeyHeader], ct));

    /// <summary>The upload page for provincial clerks: static, no data; it asks for the province key itself.</summary>
    [Function("UploadPage")]
    public IActionResult UploadPage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "upload")] HttpRequest req) =>
        new ResultAction(DashboardFiles.UploadPage());

    /// <summary>The upload page's limits (largest file, accepted types): no data, so no key.</summary>
    [Function("UploadLimits")]
    public IActionResult UploadLimits([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "upload/limits")] HttpRequest req) =>
        new ResultAction(files.UploadLimits());

    /// <summary>The dashboard page; open it with ?code=FUNCTION_KEY and it passes the key on to the API.</summary>
    [Function("Dashboard")]
    public IActionResult Dashboard([HttpTrigger(AuthorizationLevel.Function, "get", Route = "dashboard")] HttpRequest req) =>
        new ResultAction(DashboardFiles.Page());

    /// <summary>The dashboard's script and style: static, no data, so no key (a script tag cannot send one).</summary>
    [Function("DashboardFile")]
    public IActionResult DashboardFile(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{file}")] HttpRequest req, string file) =>
        new ResultAction(DashboardFiles.Asset(file));

    [Function("Health")]
    public async Task<IActionResult> Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await health.CheckAsync(ct));

    /// <summary>Runs a minimal-API result inside the Functions ASP.NET Core integration.</summary>
    private sealed class ResultAction(IResult result) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
    }
}
