using Azure;
using Azure.Data.Tables;
using MineIngest.Domain;
using MineIngest.Domain.Reading;
using MineIngest.Domain.Writing;
using Microsoft.AspNetCore.Http;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Api;

/// <summary>
/// Gathers a survey's rejected and failed rows as the clerk wrote them (from the staged chunks) with their reasons (from the
/// row errors), and answers them as the rows-to-fix workbook, xlsx or csv.
/// </summary>
public sealed class RowsToFixSource(StorageClients storage, ReferenceData reference)
{
    public static readonly IReadOnlyList<string> Formats = ["xlsx", "csv", "json"];

    public async Task<IResult> AnswerAsync(SurveyEntity survey, string format, CancellationToken ct)
    {
        if (!Formats.Contains(format))
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"Rows to fix come as .xlsx, .csv or .json, not .{format}.");
        List<RowToFix> rows;
        try
        {
            rows = await LoadAsync(survey, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return ApiResults.ClerkProblem(StatusCodes.Status410Gone, "No longer kept", ClerkMessages.RowsNoLongerKept());
        }
        var headers = SurveyHeaders.Parse(survey.Headers);
        if (format == "json") return Results.Json(ToFix(survey, headers, rows), ApiResults.Json);
        using var output = new MemoryStream();
        if (format == "xlsx") await RowsToFix.WriteXlsxAsync(output, headers, rows, ct);
        else await RowsToFix.WriteCsvAsync(output, headers, rows, ct);
        var stem = Path.GetFileNameWithoutExtension(survey.Blob.Split('/')[^1]);
        return Results.File(output.ToArray(), format == "xlsx" ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv; charset=utf-8",
            $"{stem}-rows-to-fix.{format}");
    }

    /// <summary>
    /// The rows to fix for the upload page to edit: the file's columns (its header texts, the contract's names, and the
    /// choices of a column with a list), each row's values by column key as the file had them, and its reasons.
    /// </summary>
    private FixableRows ToFix(SurveyEntity survey, IReadOnlyList<SurveyHeader> headers, List<RowToFix> rows)
    {
        IReadOnlyList<Choice>? ChoicesOf(Column column) => column switch
        {
            Column.Province => reference.Provinces.Select(p => new Choice(p.English, p.English, p.Persian)).ToList(),
            Column.Mineral => reference.Minerals.Select(m => new Choice(m.English, m.English, m.Persian)).ToList(),
            Column.Status => reference.Statuses.Select(x => new Choice(x.English, x.English, x.Persian)).ToList(),
            Column.Problem => reference.Problems.Select(x => new Choice(x.English, x.English, x.Persian)).ToList(),
            _ => null,
        };
        var columns = headers.Select(h => (Header: h, Column: SurveyColumns.Get(h.Column)))
            .Select(x => new FixableColumn(x.Column.Key, x.Column.English, x.Column.Persian, x.Header.Text, x.Column.Required, ChoicesOf(x.Column.Column))).ToList();
        return new FixableRows(survey.RowKey, survey.Blob, columns, rows.Select(r => new FixableRow(r.Row,
            headers.ToDictionary(h => SurveyColumns.Get(h.Column).Key, h => r.Values[(int)h.Column]),
            r.Reasons.Select(e => SurveyErrorDto.From(r.Row, r.Values[(int)Column.MineId], e.Field, e.Message, e.MessageFa)).ToList())).ToList());
    }

    /// <summary>Rows in file order; only the chunks that had a rejected or failed row are read.</summary>
    public async Task<List<RowToFix>> LoadAsync(SurveyEntity survey, CancellationToken ct)
    {
        var rows = new List<RowToFix>();
        if (survey.Stage == SurveyStage.Rejected) return rows;
        var errors = new Dictionary<int, List<RowError>>();
        await foreach (var e in storage.RowErrorsOf(survey.RowKey, ct))
        {
            if (e.IsWarning) continue; // a warning's row was accepted: nothing to fix
            if (!errors.TryGetValue(e.Row, out var list)) errors[e.Row] = list = [];
            list.Add(new RowError(e.Field, e.Message, e.MessageFa));
        }
        await foreach (var result in storage.ChunkResults.QueryAsync<ChunkResultEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {survey.RowKey}"), cancellationToken: ct))
        {
            if (result.Rejected + result.Failed == 0) continue;
            var chunk = await storage.ReadChunkAsync(survey.RowKey, int.Parse(result.RowKey, System.Globalization.CultureInfo.InvariantCulture), ct);
            // A chunk that failed as a whole has one error, on its first row, that speaks for all its rows.
            var wholeChunk = result.Failed == result.Rows ? errors.GetValueOrDefault(chunk.Rows[0].R) : null;
            foreach (var row in chunk.Rows)
            {
                if ((errors.GetValueOrDefault(row.R) ?? wholeChunk) is { } reasons) rows.Add(new RowToFix(row.R, row.V, reasons));
            }
        }
        rows.Sort((a, b) => a.Row.CompareTo(b.Row));
        return rows;
    }
}

public sealed record Choice(string Value, string English, string Persian);

public sealed record FixableColumn(string Key, string English, string Persian, string Header, bool Required, IReadOnlyList<Choice>? Choices);

public sealed record FixableRow(int Row, Dictionary<string, string?> Values, IReadOnlyList<SurveyErrorDto> Errors);

public sealed record FixableRows(string Survey, string Blob, IReadOnlyList<FixableColumn> Columns, IReadOnlyList<FixableRow> Rows);
