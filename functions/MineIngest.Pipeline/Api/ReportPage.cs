using MineIngest.Domain.Writing;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using MineIngest.Domain;
using MineIngest.Pipeline.Office;
using SpreadCheetah;
using SpreadCheetah.Styling;
using SpreadCheetah.Worksheets;

namespace MineIngest.Pipeline.Api;

/// <summary>
/// The progress report as a printable page (Persian, right to left, or English; A4, a page per section) and as a
/// workbook with the same tables as sheets. Both from <see cref="ReportTables"/>.
/// </summary>
public static partial class ReportPage
{
    /// <summary>Each date in encoded text isolated left to right: in a right-to-left line "۱۳۹۹/۰۱/۰۱ (۲۰۲۰-۰۳-۲۰)" was shown scrambled.</summary>
    private static string IsolateDates(string encoded) => DateText().Replace(encoded, "<bdi dir=\"ltr\">$0</bdi>");

    [System.Text.RegularExpressions.GeneratedRegex("[0-9۰-۹]{4}[/-][0-9۰-۹]{2}[/-][0-9۰-۹]{2}")]
    private static partial System.Text.RegularExpressions.Regex DateText();

    /// <summary>Persian digits (۰-۹) in a text's numbers.</summary>
    public static string PersianDigits(string text) => string.Create(text.Length, text, (span, source) =>
    {
        for (var i = 0; i < source.Length; i++) span[i] = source[i] is >= '0' and <= '9' ? (char)('۰' + (source[i] - '0')) : source[i];
    });

    /// <summary>A count as a reader of the language writes it: 1,234 or ۱٬۲۳۴.</summary>
    public static string Number(double n, bool persian)
    {
        var text = n.ToString(n == Math.Floor(n) ? "#,0" : "#,0.##", CultureInfo.InvariantCulture);
        return persian ? PersianDigits(text.Replace(',', '٬')) : text;
    }

    /// <summary>The lead paragraph: the report's sentences, each figure exact.</summary>
    public static string Lead(ProgressReport r, ReferenceData reference, DateOnly today, bool persian)
    {
        string N(double n) => Number(n, persian);
        var scope = r.Province is { } p ? reference.FindProvince(p) : null;
        if (persian)
        {
            var where = scope is null ? "" : $"در استان {scope.Persian}، ";
            return $"{where}تا {PersianDigits(SurveyValues.ToJalali(today))} {N(r.This.Mines)} معدن در {N(r.This.Provinces)} استان شناسایی و اولویت‌بندی شده‌اند؛ "
                   + $"مشکلات {N(r.Diagnosed)} معدن تشخیص داده شده و برای {N(r.Solutions.Total)} معدن راه‌حل ارائه شده است. "
                   + $"در {PersianDigits(r.Period.Persian)} {N(r.This.Revived)} معدن احیا شد و {N(r.This.JobsCreated)} شغل ایجاد شد. "
                   + $"در این دوره {N(r.This.CommitteeMeetings ?? 0)} جلسه کمیته فنی مشترک با سرمایه‌گذاران برگزار شد و برای {N(r.This.MinesWithAgreement ?? 0)} معدن قرارداد امضا شد.";
        }
        var inProvince = scope is null ? "" : $"In {scope.English}, ";
        return $"{inProvince}{(scope is null ? "As" : "as")} of {SurveyValues.ToJalali(today)}, {N(r.This.Mines)} mines in {N(r.This.Provinces)} provinces have been identified and prioritised; "
               + $"the problems of {N(r.Diagnosed)} mines have been diagnosed and solutions provided for {N(r.Solutions.Total)}. "
               + $"In {r.Period.English}, {N(r.This.Revived)} mines were revived and {N(r.This.JobsCreated)} jobs were created. "
               + $"{N(r.This.CommitteeMeetings ?? 0)} joint technical committee meetings with investors were held in the period, and agreements were signed for {N(r.This.MinesWithAgreement ?? 0)} mines.";
    }

    public static string Html(ProgressReport r, IReadOnlyList<ReportTable> tables, ReferenceData reference, DateOnly today, bool persian, string englishLink, string persianLink)
    {
        // Persian as text, as in the API's JSON: only what HTML needs is escaped.
        var html = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);
        string E(string text) => html.Encode(text);
        string T(string english, string persianText) => E(persian ? persianText : english);
        var scope = r.Province is { } slug ? reference.FindProvince(slug) : null;
        var dates = $"{SurveyValues.ToJalali(r.Period.From)} – {SurveyValues.ToJalali(r.Period.To)} ({r.Period.FromIso} – {r.Period.ToIso})";
        var sb = new StringBuilder();
        sb.Append($"<!doctype html><html lang=\"{(persian ? "fa" : "en")}\" dir=\"{(persian ? "rtl" : "ltr")}\"><head><meta charset=\"utf-8\">");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">");
        sb.Append($"<title>{T("Progress report of the mine revival programme", "گزارش پیشرفت برنامه احیای معادن کوچک")} – {T(r.Period.English, r.Period.Persian)}</title>");
        // The font is fetched before the load event: a page printed at load (headless Chromium) is then laid out and drawn
        // in the same face; printed while it was still arriving, letters overlapped and went missing from the PDF's text.
        sb.Append("<link rel=\"preload\" href=\"dashboard/vazirmatn-regular.woff2\" as=\"font\" type=\"font/woff2\" crossorigin>");
        sb.Append("<link rel=\"preload\" href=\"dashboard/vazirmatn-bold.woff2\" as=\"font\" type=\"font/woff2\" crossorigin>");
        // Its rules are a file (dashboard/report.css), not a <style> block: the pages' policy allows no inline style.
        sb.Append("<link rel=\"stylesheet\" href=\"dashboard/dashboard.css\"><link rel=\"stylesheet\" href=\"dashboard/report.css\"></head><body><main>");
        sb.Append($"<a class=\"switch\" data-testid=\"language\" href=\"{E(persian ? englishLink : persianLink)}\">{(persian ? "English" : "فارسی")}</a>");
        sb.Append($"<section data-testid=\"summary\"><h1>{T("Progress report of the mine revival programme", "گزارش پیشرفت برنامه احیای معادن کوچک")}");
        if (scope is not null) sb.Append($" – {T(scope.English, scope.Persian)}");
        sb.Append("</h1>");
        sb.Append($"<p class=\"muted\" data-testid=\"period\">{T(r.Period.English, PersianDigits(r.Period.Persian))}: {IsolateDates(E(persian ? PersianDigits(dates) : dates))}</p>");
        sb.Append($"<p class=\"lead\" data-testid=\"lead\">{IsolateDates(E(Lead(r, reference, today, persian)))}</p>");
        foreach (var (table, index) in tables.Select((t, i) => (t, i)))
        {
            // The comparison stays on the first page with the lead; every other table starts a page of its own.
            if (index > 0) sb.Append($"</section><section{(table.Headers.Count > 8 ? " class=\"wide\"" : "")} data-testid=\"section-{table.Id}\">");
            // On a phone a wide table scrolls in a box of its own (named by its heading); the page never scrolls sideways.
            sb.Append($"<h2 id=\"title-{table.Id}\">{T(table.English, table.Persian)}</h2>")
              .Append($"<div class=\"scroll-x\" tabindex=\"0\" role=\"region\" aria-labelledby=\"title-{table.Id}\"><table data-testid=\"table-{table.Id}\"><thead><tr>");
            foreach (var (english, persianHeader) in table.Headers) sb.Append($"<th>{E(persian ? PersianDigits(persianHeader) : english)}</th>");
            sb.Append("</tr></thead><tbody>");
            foreach (var row in table.Rows)
            {
                sb.Append("<tr>");
                foreach (var cell in row)
                {
                    var shown = cell.Number is { } n ? Number(n, persian) : persian && !cell.AsWritten ? PersianDigits(cell.Persian) : persian ? cell.Persian : cell.English;
                    sb.Append($"<td{(cell.Number is null ? "" : " class=\"n\"")} data-v=\"{E(cell.Value)}\">{IsolateDates(E(shown))}</td>");
                }
                sb.Append("</tr>");
            }
            if (table.Rows.Count == 0) sb.Append($"<tr><td colspan=\"{table.Headers.Count}\" class=\"muted\">{T("None in this period.", "در این دوره موردی نیست.")}</td></tr>");
            sb.Append("</tbody></table></div>");
        }
        sb.Append("</section></main></body></html>");
        return sb.ToString();
    }

    /// <summary>The report as a workbook: a sheet with the lead, then one sheet per table; headers "Persian - English", text as string cells.</summary>
    public static async Task<byte[]> XlsxAsync(ProgressReport r, IReadOnlyList<ReportTable> tables, ReferenceData reference, DateOnly today, CancellationToken ct)
    {
        using var output = new MemoryStream();
        await using (var book = await Spreadsheet.CreateNewAsync(output, cancellationToken: ct))
        {
            var bold = book.AddStyle(new Style { Font = { Bold = true } });
            var wrap = book.AddStyle(new Style { Alignment = { WrapText = true } });
            var summary = new WorksheetOptions();
            summary.Column(1).Width = 120;
            await book.StartWorksheetAsync("گزارش - Report", summary, ct);
            await book.AddRowAsync([new StyledCell("گزارش پیشرفت برنامه احیای معادن کوچک - Progress report of the mine revival programme", bold)], ct);
            await book.AddRowAsync([new Cell($"{r.Period.Persian} - {r.Period.English}: {SurveyValues.ToJalali(r.Period.From)} – {SurveyValues.ToJalali(r.Period.To)} ({r.Period.FromIso} – {r.Period.ToIso})")], ct);
            await book.AddRowAsync([new StyledCell(Lead(r, reference, today, persian: true), wrap)], ct);
            await book.AddRowAsync([new StyledCell(Lead(r, reference, today, persian: false), wrap)], ct);
            foreach (var table in tables)
            {
                var options = new WorksheetOptions { FrozenRows = 1 };
                for (var i = 1; i <= table.Headers.Count; i++) options.Column(i).Width = i == 1 ? 30 : 16;
                await book.StartWorksheetAsync(SheetName(table), options, ct);
                await book.AddRowAsync(table.Headers.Select(h => new StyledCell($"{h.Persian} - {h.English}", bold)).ToArray(), ct);
                foreach (var row in table.Rows)
                    await book.AddRowAsync(row.Select(c => c.Number is { } n ? new Cell(n) : new Cell(XlsxText.Escape(c.Value))).ToArray(), ct);
            }
            await book.FinishAsync(ct);
        }
        return output.ToArray();
    }

    /// <summary>A sheet's name: "Persian - English" cut to the 31 characters a sheet name may have.</summary>
    public static string SheetName(ReportTable table)
    {
        var name = $"{table.Persian} - {table.Id}";
        return name.Length <= 31 ? name : table.Id;
    }
}
