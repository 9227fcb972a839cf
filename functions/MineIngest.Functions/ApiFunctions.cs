using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Health;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;

namespace MineIngest.Functions;

/// <summary>
/// The HTTP API of http-api.md. Anonymous to the Functions runtime: the app itself decides who may call what
/// (<see cref="RouteAccess"/>: a bearer token and its roles, or a key with sign-in off), so no function key travels in a URL.
/// </summary>
public sealed class ApiFunctions(
    AuditApi audit, KeysApi keys, BackupsApi backups, CspReportsApi cspReports, SummaryApi summary, MinesApi mines, SurveysApi surveys, InvestorListApi investorList, FilesApi files, HealthApi health,
    ProvinceApi provinces, OfficeApi office, ReportApi report, EventsApi events, PhotosApi photos, IOptions<SignInOptions> signIn, RouteAccess access)
{
    [Function("Summary")]
    public async Task<IActionResult> Summary([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "summary")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await summary.SummaryAsync(req, ct));

    [Function("Mines")]
    public async Task<IActionResult> Mines([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "mines")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await mines.MinesAsync(req, ct));

    /// <summary>The programme's progress report for a period: a printable page.</summary>
    [Function("Report")]
    public async Task<IActionResult> Report([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "report")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await report.PageAsync(req, ct));

    /// <summary>The progress report as a workbook, a sheet per table.</summary>
    [Function("ReportWorkbook")]
    public async Task<IActionResult> ReportWorkbook([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "report.xlsx")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await report.WorkbookAsync(req, ct));

    [Function("RankingCsv")]
    public async Task<IActionResult> RankingCsv([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "mines.csv")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await mines.RankingCsvAsync(req, ct));

    [Function("Mine")]
    public async Task<IActionResult> Mine(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "mines/{province}/{mineId}")] HttpRequest req, string province, string mineId,
        CancellationToken ct) =>
        new ResultAction(await mines.MineAsync(req, province, mineId, ct));

    [Function("MineHistory")]
    public async Task<IActionResult> MineHistory(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "mines/{province}/{mineId}/history")] HttpRequest req, string province, string mineId,
        CancellationToken ct) =>
        new ResultAction(await mines.MineHistoryAsync(req, province, mineId, ct));

    [Function("Surveys")]
    public async Task<IActionResult> Surveys([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "surveys")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await surveys.SurveysAsync(req, ct));

    [Function("Survey")]
    public async Task<IActionResult> Survey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "surveys/{id}")] HttpRequest req, string id, CancellationToken ct) =>
        new ResultAction(await surveys.SurveyAsync(req, id, ct));

    /// <summary>Withdrawing a survey: the office's writer key or the survey's own province key, checked by the route itself.</summary>
    [Function("WithdrawSurvey")]
    public async Task<IActionResult> WithdrawSurvey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "surveys/{id}/withdraw")] HttpRequest req, string id, CancellationToken ct) =>
        new ResultAction(await surveys.WithdrawAsync(id, req, ct));

    [Function("RowsToFix")]
    public async Task<IActionResult> RowsToFix(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "surveys/{id}/errors.{format}")] HttpRequest req, string id, string format,
        CancellationToken ct) =>
        new ResultAction(await surveys.RowsToFixAsync(req, id, format, ct));

    /// <summary>The survey template: no data, so no key (the upload page links to it).</summary>
    [Function("Template")]
    public async Task<IActionResult> Template([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "template.xlsx")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await files.TemplateAsync(ct));

    // A province's routes: its uploaders (the Province.{slug} role, or its key), only its own uploads and their reports.

    [Function("CreateUpload")]
    public async Task<IActionResult> CreateUpload(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "provinces/{province}/uploads")] HttpRequest req, string province,
        CancellationToken ct) =>
        new ResultAction(await provinces.CreateUploadAsync(req, province, ct));

    [Function("ProvinceSurveyReport")]
    public async Task<IActionResult> ProvinceSurveyReport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "provinces/{province}/surveys")] HttpRequest req, string province,
        CancellationToken ct) =>
        new ResultAction(await provinces.SurveyReportAsync(req, province, ct));

    [Function("ProvinceRowsToFix")]
    public async Task<IActionResult> ProvinceRowsToFix(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "provinces/{province}/surveys/{id}/errors.{format}")] HttpRequest req,
        string province, string id, string format, CancellationToken ct) =>
        new ResultAction(await provinces.RowsToFixAsync(req, province, id, format, ct));

    /// <summary>What survey validation would say of rows a clerk is fixing in the upload page; stores nothing.</summary>
    [Function("ValidateRows")]
    public async Task<IActionResult> ValidateRows(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "provinces/{province}/validate")] HttpRequest req, string province, CancellationToken ct) =>
        new ResultAction(await provinces.ValidateAsync(req, province, ct));

    [Function("MineSolution")]
    public async Task<IActionResult> MineSolution(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "mines/{province}/{mineId}/solution")] HttpRequest req, string province, string mineId,
        CancellationToken ct) =>
        new ResultAction(await office.GetSolutionAsync(req, province, mineId, ct));

    [Function("Committees")]
    public async Task<IActionResult> Committees([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "committees")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await office.CommitteesAsync(req, ct));

    [Function("InvestorList")]
    public async Task<IActionResult> InvestorList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "investor-list.{format}")] HttpRequest req, string format, CancellationToken ct) =>
        new ResultAction(await investorList.InvestorListAsync(format, req, ct));

    // The writing routes: the office's writers (the Office.Writer role, or the writer key with sign-in off).

    [Function("PutMineSolution")]
    public async Task<IActionResult> PutMineSolution(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "mines/{province}/{mineId}/solution")] HttpRequest req, string province, string mineId,
        CancellationToken ct) =>
        new ResultAction(await office.PutSolutionAsync(req, province, mineId, ct));

    [Function("PostCommittee")]
    public async Task<IActionResult> PostCommittee([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "committees")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await office.PostCommitteeAsync(req, ct));

    [Function("StartRescore")]
    public async Task<IActionResult> StartRescore([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rescore")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await office.StartRescoreAsync(req, ct));

    /// <summary>The upload page for provincial clerks: static, no data; it signs the clerk in itself.</summary>
    [Function("UploadPage")]
    public IActionResult UploadPage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "upload")] HttpRequest req) =>
        new ResultAction(DashboardFiles.UploadPage());

    /// <summary>The upload page's limits (largest file, accepted types): no data, so no key.</summary>
    [Function("UploadLimits")]
    public IActionResult UploadLimits([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "upload/limits")] HttpRequest req) =>
        new ResultAction(files.UploadLimits());

    /// <summary>The surveyors' field form: static, no data; it works offline once opened and signs the surveyor in itself.</summary>
    [Function("FieldPage")]
    public IActionResult FieldPage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "field")] HttpRequest req) =>
        new ResultAction(DashboardFiles.FieldPage());

    /// <summary>The field form's service worker: what keeps the form working with no signal.</summary>
    [Function("FieldWorker")]
    public IActionResult FieldWorker([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "field-worker.js")] HttpRequest req) =>
        new ResultAction(DashboardFiles.FieldWorker());

    /// <summary>The field form's web app manifest: installable on a phone's home screen.</summary>
    [Function("FieldManifest")]
    public IActionResult FieldManifest([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "field.webmanifest")] HttpRequest req) =>
        new ResultAction(DashboardFiles.FieldManifest());

    /// <summary>A surveyor's photo of a mine, with the survey that describes it: decoded, made smaller if needed and stored without camera metadata.</summary>
    [Function("PutPhoto")]
    public async Task<IActionResult> PutPhoto(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = RouteTable.PhotoRoute)] HttpRequest req, string province, string id, string mineId, string number,
        CancellationToken ct) =>
        new ResultAction(await photos.PutAsync(req, province, id, mineId, number, ct));

    [Function("MinePhotos")]
    public async Task<IActionResult> MinePhotos(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "mines/{province}/{mineId}/photos")] HttpRequest req, string province, string mineId, CancellationToken ct) =>
        new ResultAction(await photos.ListAsync(req, province, mineId, ct));

    [Function("MinePhoto")]
    public async Task<IActionResult> MinePhoto(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "mines/{province}/{mineId}/photos/{photo}")] HttpRequest req, string province, string mineId, string photo,
        CancellationToken ct) =>
        new ResultAction(await photos.OfficeReadAsync(req, province, mineId, photo, ct));

    [Function("ProvincePhoto")]
    public async Task<IActionResult> ProvincePhoto(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "provinces/{province}/mines/{mineId}/photos/{photo}")] HttpRequest req, string province, string mineId,
        string photo, CancellationToken ct) =>
        new ResultAction(await photos.ProvinceReadAsync(req, province, mineId, photo, ct));

    /// <summary>The dashboard page: static, no data; it signs the reader in and sends the token with every call.</summary>
    [Function("Dashboard")]
    public IActionResult Dashboard([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard")] HttpRequest req) =>
        new ResultAction(DashboardFiles.Page());

    /// <summary>The dashboard's script and style: static, no data, so no key (a script tag cannot send one).</summary>
    [Function("DashboardFile")]
    public IActionResult DashboardFile(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{file}")] HttpRequest req, string file) =>
        new ResultAction(DashboardFiles.Asset(file));

    /// <summary>Who changed what: the office's readers.</summary>
    [Function("Audit")]
    public async Task<IActionResult> Audit([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await audit.ListAsync(req, "json", ct));

    [Function("AuditCsv")]
    public async Task<IActionResult> AuditCsv([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit.csv")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await audit.ListAsync(req, "csv", ct));

    /// <summary>What the pages need to sign in: the authority, the pages' client id, the scope. Public, no secret.</summary>
    [Function("SignInSettings")]
    public IActionResult SignInSettingsRoute([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "signin")] HttpRequest req) =>
        new ResultAction(Pipeline.Api.SignInSettings.Answer(signIn));

    /// <summary>Upload keys: listed, created (shown once) and revoked by the office's writers.</summary>
    [Function("Keys")]
    public async Task<IActionResult> Keys([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "keys")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await keys.ListAsync(req, ct));

    [Function("CreateKey")]
    public async Task<IActionResult> CreateKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await keys.CreateAsync(req, ct));

    [Function("RevokeKey")]
    public async Task<IActionResult> RevokeKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{province}/{id}/revoke")] HttpRequest req, string province, string id, CancellationToken ct) =>
        new ResultAction(await keys.RevokeAsync(req, province, id, ct));

    /// <summary>Backups of the record: made now, or listed, by the office's writers.</summary>
    [Function("Backups")]
    public async Task<IActionResult> Backups([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "backups")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await backups.ListAsync(req, ct));

    [Function("CreateBackup")]
    public async Task<IActionResult> CreateBackup([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "backups")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await backups.CreateAsync(req, ct));

    /// <summary>A link to read a province's event stream (its uploaders).</summary>
    [Function("ProvinceEventsAccess")]
    public async Task<IActionResult> ProvinceEventsAccess(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "provinces/{province}/events/access")] HttpRequest req, string province, CancellationToken ct) =>
        new ResultAction(await events.ProvinceAccessAsync(req, province, ct));

    /// <summary>A link to read the programme office's event stream (its writers).</summary>
    [Function("OfficeEventsAccess")]
    public async Task<IActionResult> OfficeEventsAccess([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "events/access")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await events.OfficeAccessAsync(req, ct));

    /// <summary>What the pages' Content-Security-Policy blocked, as browsers report it (anonymous, logged, bounded).</summary>
    [Function("CspReports")]
    public async Task<IActionResult> CspReports([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SecurityHeaders.ReportRoute)] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await cspReports.ReportAsync(req, ct));

    /// <summary>Who the signed-in caller is, as the app sees them (any valid token).</summary>
    [Function("Me")]
    public async Task<IActionResult> Me([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me")] HttpRequest req) =>
        new ResultAction(await Pipeline.Api.SignInSettings.MeAsync(access, req));

    [Function("Health")]
    public async Task<IActionResult> Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await health.CheckAsync(ct));

    /// <summary>Runs a minimal-API result inside the Functions ASP.NET Core integration.</summary>
    private sealed class ResultAction(IResult result) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
    }
}
