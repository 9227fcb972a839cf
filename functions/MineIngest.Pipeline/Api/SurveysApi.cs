using Azure.Data.Tables;
using MineIngest.Domain;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MineIngest.Pipeline.Api;

/// <summary>GET /api/surveys, one survey's report and its rows to fix: read from storage at every request.</summary>
public sealed class SurveysApi(StorageClients storage, MineView view, ReferenceData reference, RowsToFixSource rowsToFix, ILogger<SurveysApi> logger)
{
    public Task<IResult> SurveysAsync(IQueryCollection query, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
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
        var items = surveys.OrderByDescending(s => s.ReceivedAt).ThenBy(s => s.RowKey, StringComparer.Ordinal)
            .Select(s => Reported(view, s, null)).ToList();
        return Results.Json(new SurveyList(items), ApiResults.Json);
    });

    public Task<IResult> SurveyAsync(string id, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var survey = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, id, cancellationToken: ct);
        return survey.HasValue ? await ReportAsync(storage, view, survey.Value!, ct) : ApiResults.NotFound($"There is no survey \"{id}\".");
    });

    /// <summary>A survey's report with every row error: what /api/surveys/{id} and the province's report route answer.</summary>
    public static async Task<IResult> ReportAsync(StorageClients storage, MineView view, SurveyEntity survey, CancellationToken ct)
    {
        List<SurveyErrorDto> errors = [], warnings = [];
        await foreach (var e in storage.RowErrorsOf(survey.RowKey, ct))
            (e.IsWarning ? warnings : errors).Add(SurveyErrorDto.From(e.Row, e.MineId, e.Field, e.Message, e.MessageFa));
        return Results.Json(Reported(view, survey, errors, warnings), ApiResults.Json);
    }

    /// <summary>A survey as reported; one reported completed makes this instance's next view answers include its rows.</summary>
    private static SurveyDto Reported(MineView view, SurveyEntity survey, IReadOnlyList<SurveyErrorDto>? errors, IReadOnlyList<SurveyErrorDto>? warnings = null)
    {
        var dto = SurveyDto.From(survey, errors, warnings);
        view.NoteReported(dto, survey.Timestamp);
        return dto;
    }

    /// <summary>GET /api/surveys/{id}/errors.{format}: the rows to fix of any survey (the programme office's view).</summary>
    public Task<IResult> RowsToFixAsync(string id, string format, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var survey = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, id, cancellationToken: ct);
        return survey.HasValue ? await rowsToFix.AnswerAsync(survey.Value!, format, ct) : ApiResults.NotFound($"There is no survey \"{id}\".");
    });
}
