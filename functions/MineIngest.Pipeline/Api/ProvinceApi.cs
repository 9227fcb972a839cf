using Azure.Data.Tables;
using MineIngest.Domain;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline.Api;

/// <summary>
/// What a province key opens, and nothing more: an upload URL for a new file in the province's folder, and the report and
/// rows to fix of the province's own surveys. The upload page needs only these, so a clerk never holds a function key.
/// </summary>
public sealed class ProvinceApi(RouteAccess access, AuditLog audit, RowCheck check, TimeProvider time, StorageClients storage, ProvinceKeyStore keys, UploadSasIssuer uploads, RowsToFixSource rowsToFix, SurveysApi surveys, ILogger<ProvinceApi> logger)
{
    public const string ProvinceKeyHeader = "x-province-key";

    /// <summary>POST /api/provinces/{province}/uploads: checks the province key, then hands out a SAS for one new blob.</summary>
    public Task<IResult> CreateUploadAsync(HttpRequest http, string province, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var (folder, actor, refused) = await CheckAsync(http, province, ct);
        if (refused is not null) return refused;

        var request = await ApiResults.ReadJsonAsync<UploadRequest>(http.Body, ct);
        if (request is null) return BadBody(ClerkMessages.UploadBodyNotJson());
        if (!UploadFileNames.TryClean(request.FileName, out var cleaned, out var problem)) return BadBody(problem!);

        var ticket = await uploads.IssueAsync(folder!, cleaned, actor!, ct);
        await audit.RecordAsync(actor!, AuditActions.UploadLink, folder!, ticket.Blob, null, ct);
        logger.LogInformation("Upload URL issued for {Folder}: {Blob}, valid until {ExpiresOn}, to {Actor}", folder, ticket.Blob, ticket.ExpiresOn, actor);
        return Results.Json(ticket, ApiResults.Json, statusCode: StatusCodes.Status201Created);
    });

    /// <summary>GET /api/provinces/{province}/surveys?blob=NAME: the report of a file this province uploaded (404 until it is read).</summary>
    public Task<IResult> SurveyReportAsync(HttpRequest http, string province, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var (folder, _, refused) = await CheckAsync(http, province, ct);
        if (refused is not null) return refused;
        var blob = http.Query["blob"].ToString();
        if (string.IsNullOrWhiteSpace(blob) || !blob.StartsWith(folder + "/", StringComparison.Ordinal))
            return NotYours(ClerkMessages.NotYourUpload());

        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {SurveyEntity.Partition} and Folder eq {folder} and Blob eq {blob}");
        SurveyEntity? survey = null;
        await foreach (var s in storage.SurveyTable.QueryAsync<SurveyEntity>(filter, cancellationToken: ct))
            if (survey is null || s.ReceivedAt > survey.ReceivedAt) survey = s;
        if (survey is null)
        {
            return ApiResults.ClerkProblem(StatusCodes.Status404NotFound, "Not read yet", ClerkMessages.NotReadYet());
        }
        return await surveys.ReportAsync(http, survey, ct);
    });

    /// <summary>GET /api/provinces/{province}/surveys/{id}/errors.{format}: the rows to fix of one of the province's surveys.</summary>
    public Task<IResult> RowsToFixAsync(HttpRequest http, string province, string id, string format, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var (folder, _, refused) = await CheckAsync(http, province, ct);
        if (refused is not null) return refused;
        var survey = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, id, cancellationToken: ct);
        if (!survey.HasValue || survey.Value!.Folder != folder) return NotYours(ClerkMessages.NotYourUpload());
        return await rowsToFix.AnswerAsync(survey.Value, format, ct);
    });

    /// <summary>How many rows one request may check: a page's rows to fix, bounded so that a request costs little (1,000 rows check in about 20 ms).</summary>
    public const int MaxRowsToCheck = 1_000;

    /// <summary>
    /// POST /api/provinces/{province}/validate {"rows": [{"row", "values": {key: text}}]}: what survey validation would say
    /// of each row, were these rows a CSV survey of the province's folder; stores nothing.
    /// </summary>
    public Task<IResult> ValidateAsync(HttpRequest http, string province, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var (folder, _, refused) = await CheckAsync(http, province, ct);
        if (refused is not null) return refused;
        var request = await ApiResults.ReadJsonAsync<RowsToCheck>(http.Body, ct);
        if (request?.Rows is null || request.Rows.Any(r => r is null || r.Values is null)) return BadRows(ClerkMessages.RowsToCheckNotJson());
        if (request.Rows.Count > MaxRowsToCheck)
            return ApiResults.ClerkProblem(StatusCodes.Status413PayloadTooLarge, "Too many rows", ClerkMessages.TooManyRowsToCheck(MaxRowsToCheck));
        var unknown = request.Rows.SelectMany(r => r.Values!.Keys).Where(k => !RowCheck.IsColumn(k)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0) return BadRows(ClerkMessages.UnknownColumns(string.Join(", ", unknown)));

        var context = new ValidationContext(folder == SurveyIngestor.NationalFolder ? null : folder, IranClock.Today(time));
        var outcomes = check.Check(request.Rows.Select(r => (r.Row, (IReadOnlyDictionary<string, string?>)r.Values!)), context);
        var rows = outcomes.Select(o => new CheckedRow(o.RowNumber, o.MineId, o.Accepted,
            o.Errors.Select(e => SurveyErrorDto.From(o.RowNumber, o.MineId, e.Field, e.Message, e.MessageFa)).ToList(),
            (o.Mine?.Warnings ?? []).Select(w => SurveyErrorDto.From(o.RowNumber, o.MineId, w.Field, w.Message, w.MessageFa)).ToList())).ToList();
        return Results.Json(new CheckedRows(rows), ApiResults.Json);
    });

    private static IResult BadRows(ClerkText detail) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { ["rows"] = [detail.English] }, detail: detail.English,
            title: "The rows to check are not valid.", extensions: new Dictionary<string, object?> { [ApiResults.DetailFa] = detail.Persian });

    /// <summary>The folder the caller may act on and who they are, or the refusal in a clerk's words.</summary>
    private async Task<(string? Folder, Actor? Actor, IResult? Refused)> CheckAsync(HttpRequest http, string province, CancellationToken ct)
    {
        var folder = keys.Folder(province);
        var (actor, refused, _) = await access.ProvinceAsync(http, folder, province, ct);
        return refused is null ? (folder, actor, null) : (null, null, refused);
    }

    private static IResult NotYours(ClerkText detail) => ApiResults.ClerkProblem(StatusCodes.Status404NotFound, "Not found", detail);

    private static IResult BadBody(ClerkText detail) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { ["fileName"] = [detail.English] }, detail: detail.English,
            title: "The upload request is not valid.", extensions: new Dictionary<string, object?> { [ApiResults.DetailFa] = detail.Persian });
}
