using Azure.Data.Tables;
using MineIngest.Domain;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MineIngest.Pipeline.Api;

/// <summary>GET /api/surveys, one survey's report and its rows to fix (read from storage at every request), and withdrawing a survey.</summary>
public sealed class SurveysApi(
    RouteAccess access, AuditLog audit, UploadSasIssuer uploads, StorageClients storage, MineView view, ReferenceData reference, RowsToFixSource rowsToFix, Withdrawals withdrawals,
    TimeProvider time, ILogger<SurveysApi> logger)
{
    public Task<IResult> SurveysAsync(HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var query = request.Query;
        var errors = new Dictionary<string, string[]>();
        // Surveys are filed by upload folder, and national/ is a folder too.
        var province = SurveyIngestor.UploadFolder(reference, query["province"].ToString()) ?? QueryValues.Province(reference, query, errors);
        if (errors.Count > 0) return ApiResults.BadQuery(errors);
        var blob = query["blob"].ToString() is { Length: > 0 } b ? b.Trim() : null;

        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {SurveyEntity.Partition}");
        if (province is not null) filter += " and " + TableClient.CreateQueryFilter($"Folder eq {province}");
        if (blob is not null) filter += " and " + TableClient.CreateQueryFilter($"Blob eq {blob}");
        var surveys = new List<SurveyEntity>();
        await foreach (var survey in storage.SurveyTable.QueryAsync<SurveyEntity>(filter, cancellationToken: ct)) surveys.Add(survey);
        var listed = surveys.Select(s => (Survey: s, Dto: SurveyDto.From(s, null)))
            .OrderByDescending(s => s.Survey.ReceivedAt).ThenBy(s => s.Survey.RowKey, StringComparer.Ordinal).ToList();
        var items = listed.Select(s => s.Dto).ToList();
        // The newest survey listed settled decides whether the view must be checked first, as for one report.
        var settled = listed.Where(s => s.Dto.Status is "completed" or "withdrawn").ToList();
        if (settled.Count > 0)
        {
            var newest = settled.MaxBy(s => s.Survey.Timestamp);
            await view.NoteReportedAsync(newest.Dto.Status, newest.Survey.Timestamp, ct);
        }
        ViewToken.Write(request.HttpContext.Response, time);
        return Results.Json(new SurveyList(items), ApiResults.Json);
    });

    public Task<IResult> SurveyAsync(HttpRequest request, string id, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var survey = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, id, cancellationToken: ct);
        return survey.HasValue ? await ReportAsync(request, survey.Value!, ct) : ApiResults.NotFound($"There is no survey \"{id}\".");
    });

    /// <summary>A survey's report with every row error and warning, and its withdrawal: what /api/surveys/{id} and the province's report route answer.</summary>
    public async Task<IResult> ReportAsync(HttpRequest request, SurveyEntity survey, CancellationToken ct)
    {
        // First: a withdrawal whose last pages are done is finished by whoever looks first, and the survey then says so.
        var withdrawal = await withdrawals.StatusAsync(survey, ct);
        List<SurveyErrorDto> errors = [], warnings = [];
        await foreach (var e in storage.RowErrorsOf(survey.RowKey, ct))
            (e.IsWarning ? warnings : errors).Add(SurveyErrorDto.From(e.Row, e.MineId, e.Field, e.Message, e.MessageFa));
        var dto = SurveyDto.From(survey, errors, warnings, withdrawal) with { UploadedBy = (await uploads.UploaderAsync(survey.Folder, survey.Blob, ct))?.ToString() };
        // A report that says completed (or withdrawn) is followed by view answers that count it.
        await view.NoteReportedAsync(dto.Status, survey.Timestamp, ct);
        ViewToken.Write(request.HttpContext.Response, time);
        return Results.Json(dto, ApiResults.Json);
    }

    /// <summary>
    /// POST /api/surveys/{id}/withdraw {"reason": "..."}: the office's writer key, or the survey's own province key within
    /// <see cref="Withdrawals.ProvinceDays"/> days of the upload. 202 with the survey and its withdrawal's progress.
    /// </summary>
    public Task<IResult> WithdrawAsync(string id, HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        // Who asks is checked before whether the survey exists: a caller without the right learns nothing of other provinces' surveys.
        if (await access.UnidentifiedAsync(request) is { } unidentified) return unidentified;
        var found = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, id, cancellationToken: ct);
        if (!found.HasValue) return ApiResults.NotFound($"There is no survey \"{id}\".");
        var survey = found.Value!;

        // The same checks and refusals as the other writing routes: the office's writers, or the survey folder's uploaders.
        var (actor, refused, byOffice) = await access.WithdrawAsync(request, survey.Folder, ct);
        if (refused is not null) return refused;
        if (!byOffice && time.GetUtcNow() - survey.ReceivedAt > TimeSpan.FromDays(Withdrawals.ProvinceDays))
            return ApiResults.ClerkProblem(StatusCodes.Status403Forbidden, "Too late for the province", ClerkMessages.WithdrawTooLate(Withdrawals.ProvinceDays));
        var by = byOffice ? $"office ({actor})" : $"province {survey.Folder} ({actor})";

        var reason = (await ApiResults.ReadJsonAsync<WithdrawRequest>(request.Body, ct))?.Reason?.Trim();
        if (string.IsNullOrEmpty(reason))
        {
            var missing = ClerkMessages.WithdrawReasonMissing();
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = [missing.English] }, detail: missing.English,
                title: "The withdrawal request is not valid.", extensions: new Dictionary<string, object?> { [ApiResults.DetailFa] = missing.Persian });
        }
        if (survey.WithdrawRequestedAt is null && !survey.IsSettled())
            return ApiResults.ClerkProblem(StatusCodes.Status409Conflict, "Still being read or scored", ClerkMessages.WithdrawWhileProcessing());

        await audit.RecordAsync(actor!, AuditActions.Withdrawal, survey.Folder, survey.RowKey, $"{survey.Blob}: {reason}", ct);
        var (started, withdrawal) = await withdrawals.StartAsync(survey, reason, by, ct);
        return Results.Json(SurveyDto.From(started, null, null, withdrawal), ApiResults.Json, statusCode: StatusCodes.Status202Accepted);
    });

    /// <summary>GET /api/surveys/{id}/errors.{format}: the rows to fix of any survey (the programme office's view).</summary>
    public Task<IResult> RowsToFixAsync(HttpRequest request, string id, string format, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var survey = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, id, cancellationToken: ct);
        return survey.HasValue ? await rowsToFix.AnswerAsync(survey.Value!, format, ct) : ApiResults.NotFound($"There is no survey \"{id}\".");
    });
}
