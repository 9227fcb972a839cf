using System.Drawing;
using System.Globalization;
using MineIngest.Domain.Reading;
using SpreadCheetah;
using SpreadCheetah.Styling;
using SpreadCheetah.Worksheets;

namespace MineIngest.Domain.Writing;

/// <summary>A rejected or failed row as the clerk wrote it, with why it did not go through.</summary>
/// <param name="Values">By column, contract order, as read from the file.</param>
public sealed record RowToFix(int Row, string?[] Values, IReadOnlyList<RowError> Reasons)
{
    /// <summary>The reasons in one cell: the row it came from, then each reason in Persian and in English.</summary>
    public string ReasonsText() =>
        $"ردیف {Row} / row {Row}\n" + string.Join("\n", Reasons.Select(r => $"• {r.MessageFa}\n  {r.Message}"));
}

/// <summary>
/// The rows to fix: only the rejected and failed rows of a survey, under the header the file was sent with, plus one
/// column of reasons; the cells at fault are highlighted. Corrected and sent again, it adds exactly those mines.
/// </summary>
public static class RowsToFix
{
    public const string ReasonsHeader = "دلایل رد شدن - Reasons";
    private static readonly Color FaultFill = Color.FromArgb(255, 255, 199, 206);
    private static readonly Color ReasonsFill = Color.FromArgb(255, 255, 242, 204);

    public static async Task WriteXlsxAsync(Stream output, IReadOnlyList<SurveyHeader> headers, IEnumerable<RowToFix> rows, CancellationToken ct)
    {
        await using var book = await Spreadsheet.CreateNewAsync(output, cancellationToken: ct);
        var header = book.AddStyle(new Style { Font = { Bold = true } });
        var fault = book.AddStyle(new Style { Fill = { Color = FaultFill } });
        var reasons = book.AddStyle(new Style { Fill = { Color = ReasonsFill }, Alignment = { WrapText = true } });
        var options = new WorksheetOptions { FrozenRows = 1 };
        for (var i = 1; i <= headers.Count; i++) options.Column(i).Width = 18;
        options.Column(headers.Count + 1).Width = 70;
        await book.StartWorksheetAsync("ردیف‌های اصلاحی - Rows to fix", options, ct);
        await book.AddRowAsync(headers.Select(h => new StyledCell(XlsxText.Escape(h.Text), header)).Append(new StyledCell(ReasonsHeader, header)).ToArray(), ct);
        foreach (var row in rows)
        {
            var faulty = row.Reasons.Select(r => r.Field).ToHashSet(StringComparer.Ordinal);
            var cells = headers.Select(h => ValueCell(SurveyColumns.Get(h.Column), row.Values[(int)h.Column],
                    faulty.Contains(SurveyColumns.Get(h.Column).Key) ? fault : null))
                .Append(new StyledCell(XlsxText.Escape(row.ReasonsText()), reasons)).ToArray();
            await book.AddRowAsync(cells, ct);
        }
        await book.FinishAsync(ct);
    }

    /// <summary>The same as CSV (<see cref="CsvExport"/>).</summary>
    public static Task WriteCsvAsync(Stream output, IReadOnlyList<SurveyHeader> headers, IEnumerable<RowToFix> rows, CancellationToken ct) =>
        CsvExport.WriteAsync(output, [.. headers.Select(h => h.Text), ReasonsHeader],
            rows.Select(row => (IReadOnlyList<string?>)[.. headers.Select(h => row.Values[(int)h.Column]), row.ReasonsText()]), ct);

    /// <summary>A value as the clerk sent it: a number of a numeric column as a number cell (the same text when read
    /// back), anything else as a string cell, which a spreadsheet never runs as a formula, escaped (<see cref="XlsxText"/>) so that
    /// control characters come back too.</summary>
    private static StyledCell ValueCell(SurveyColumn column, string? value, StyleId? style) =>
        column.Numeric && value is not null && SurveyValues.IsRoundTripForm(value)
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? new StyledCell(number, style) : new StyledCell(XlsxText.Escape(SpreadsheetText.ForSheet(value ?? "")), style);
}
