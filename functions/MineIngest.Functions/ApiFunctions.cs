using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using MineIngest.Pipeline;

namespace MineIngest.Functions;

/// <summary>The HTTP API of http-api.md. Every route but health needs a function key in Azure.</summary>
public sealed class ApiFunctions(MineApi api)
{
    [Function("Summary")]
    public async Task<IActionResult> Summary([HttpTrigger(AuthorizationLevel.Function, "get", Route = "summary")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await api.SummaryAsync(req.Query, ct));

    [Function("Mines")]
    public async Task<IActionResult> Mines([HttpTrigger(AuthorizationLevel.Function, "get", Route = "mines")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await api.MinesAsync(req.Query, ct));

    [Function("Mine")]
    public async Task<IActionResult> Mine(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "mines/{province}/{mineId}")] HttpRequest req, string province, string mineId,
        CancellationToken ct) =>
        new ResultAction(await api.MineAsync(province, mineId, ct));

    [Function("Surveys")]
    public async Task<IActionResult> Surveys([HttpTrigger(AuthorizationLevel.Function, "get", Route = "surveys")] HttpRequest req, CancellationToken ct) =>
        new ResultAction(await api.SurveysAsync(req.Query, ct));

    [Function("Survey")]
    public async Task<IActionResult> Survey(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "surveys/{id}")] HttpRequest req, string id, CancellationToken ct) =>
        new ResultAction(await api.SurveyAsync(id, ct));

    /// <summary>Anonymous to the Functions runtime: the province key is this route's credential (provinces get no function key).</summary>
    [Function("CreateUpload")]
    public async Task<IActionResult> CreateUpload(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "provinces/{province}/uploads")] HttpRequest req, string province,
        CancellationToken ct) =>
        new ResultAction(await api.CreateUploadAsync(province, req.Headers[MineApi.ProvinceKeyHeader], req.Body, ct));

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
        new ResultAction(await api.HealthAsync(ct));

    /// <summary>Runs a minimal-API result inside the Functions ASP.NET Core integration.</summary>
    private sealed class ResultAction(IResult result) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
    }
}
