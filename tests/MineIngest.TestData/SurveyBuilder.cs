using System.IO.Compression;
using System.Security;
using System.Text;
using MineIngest.Domain;
using MineIngest.Domain.Reading;
using NPOI.HSSF.UserModel;

namespace MineIngest.TestData;

/// <summary>A value written as an Excel percentage cell: 0.32 shows as 32%.</summary>
public readonly record struct Percent(double Fraction);

/// <summary>One survey row by column key; values are strings, numbers, DateOnly (a date cell) or Percent.</summary>
public sealed class RowBuilder
{
    public Dictionary<string, object?> Values { get; } = new();

    public RowBuilder Set(string key, object? value) { Values[key] = value; return this; }

    /// <summary>The row as the reader hands it on: text by column, dates in ISO form.</summary>
    public SurveyRow ToSurveyRow(int rowNumber)
    {
        var values = new string?[SurveyColumns.Count];
        foreach (var (key, value) in Values)
        {
            values[(int)SurveyColumns.All.First(c => c.Key == key).Column] = value switch
            {
                null => null,
                DateOnly d => SurveyValues.Iso(d),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };
        }
        return new SurveyRow(rowNumber, values);
    }

    /// <summary>The worked example of scoring.md: chromite in Kerman, score 59.0, tier B.</summary>
    public static RowBuilder WorkedExample(string mineId = "CHR-0012", string province = "kerman") => new RowBuilder()
        .Set("mine_id", mineId).Set("mine_name", "Chromite " + mineId).Set("province", province).Set("county", "Sabzevaran")
        .Set("mineral", "chromite").Set("status", "idle").Set("latitude", 29.1).Set("longitude", 57.3)
        .Set("reserve_tonnes", 100000).Set("grade_pct", 32).Set("road_km", 10).Set("power_km", 30)
        .Set("jobs_potential", 20).Set("investment_bn_rial", 100).Set("idle_since", 1395).Set("problem", "financial")
        .Set("survey_date", new DateOnly(2020, 5, 10));
}

public enum HeaderLanguage { English, Persian, Keys }

/// <summary>Writes a survey in any of the formats and quirks of surveys.md, for tests and benchmarks.</summary>
public sealed class SurveyBuilder
{
    public List<RowBuilder> Rows { get; } = [];
    public HeaderLanguage Language { get; set; } = HeaderLanguage.English;
    public List<string> TitleRows { get; } = [];
    public bool CoverSheet { get; set; }
    public bool BlankRowAfterFirst { get; set; }
    /// <summary>Write dates as text in this form instead of date cells (e.g. Jalali "1399/02/21").</summary>
    public Func<DateOnly, string>? DateText { get; set; }
    /// <summary>Write grade as a percentage cell (0.32 for 32%).</summary>
    public bool GradeAsPercent { get; set; }
    /// <summary>Write numbers as text in Persian digits with ٫ as decimal mark.</summary>
    public bool PersianDigits { get; set; }
    public string[] Columns { get; set; } = SurveyColumns.All.Select(c => c.Key).ToArray();

    public SurveyBuilder Add(RowBuilder row) { Rows.Add(row); return this; }

    public SurveyBuilder AddMany(int count, Func<int, RowBuilder> make)
    {
        for (var i = 0; i < count; i++) Rows.Add(make(i));
        return this;
    }

    private string Header(string key)
    {
        var column = SurveyColumns.All.First(c => c.Key == key);
        return Language switch { HeaderLanguage.English => column.English, HeaderLanguage.Persian => column.Persian, _ => column.Key };
    }

    /// <summary>The row's cell values in column order, after the text options are applied.</summary>
    private IEnumerable<object?> Cells(RowBuilder row) => Columns.Select(key =>
    {
        var value = row.Values.GetValueOrDefault(key);
        if (key == "grade_pct" && GradeAsPercent && value is IConvertible && value is not string)
            value = new Percent(Convert.ToDouble(value, CultureInfo.InvariantCulture) / 100);
        if (value is DateOnly date && DateText is not null) value = DateText(date);
        if (PersianDigits && value is int or long or double) value = ToPersianDigits(Convert.ToDouble(value, CultureInfo.InvariantCulture));
        return value;
    });

    public static string ToPersianDigits(double number) =>
        string.Concat(number.ToString("0.##########", CultureInfo.InvariantCulture)
            .Select(c => c is >= '0' and <= '9' ? (char)('\u06F0' + (c - '0')) : c == '.' ? '\u066B' : c));

    private static string CsvText(object? value) => value switch
    {
        null => "",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        Percent p => (p.Fraction * 100).ToString("R", CultureInfo.InvariantCulture) + "%",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    public byte[] ToCsv(Encoding? encoding = null, char delimiter = ',', bool bom = true)
    {
        encoding ??= new UTF8Encoding(bom);
        var sb = new StringBuilder();
        foreach (var title in TitleRows) sb.Append(Quote(title, delimiter)).Append("\r\n");
        sb.Append(string.Join(delimiter, Columns.Select(k => Quote(Header(k), delimiter)))).Append("\r\n");
        for (var i = 0; i < Rows.Count; i++)
        {
            sb.Append(string.Join(delimiter, Cells(Rows[i]).Select(v => Quote(CsvText(v), delimiter)))).Append("\r\n");
            if (i == 0 && BlankRowAfterFirst) sb.Append("\r\n");
        }
        var body = encoding.GetBytes(sb.ToString());
        return bom ? [.. encoding.GetPreamble(), .. body] : body;
    }

    private static string Quote(string text, char delimiter) =>
        text.IndexOfAny([delimiter, '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;

    public byte[] ToXlsx()
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            var sheets = new List<string>();
            if (CoverSheet) sheets.Add(SheetXml([["Survey of idle mines"], ["Instructions: fill one row per mine."]]));
            var rows = new List<object?[]>();
            rows.AddRange(TitleRows.Select(t => new object?[] { t }));
            rows.Add(Columns.Select(Header).Cast<object?>().ToArray());
            for (var i = 0; i < Rows.Count; i++)
            {
                rows.Add(Cells(Rows[i]).ToArray());
                if (i == 0 && BlankRowAfterFirst) rows.Add([]);
            }
            sheets.Add(SheetXml(rows));

            Write(zip, "[Content_Types].xml",
                """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>""");
            Write(zip, "_rels/.rels",
                """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>""");
            var sheetEntries = string.Concat(sheets.Select((_, i) => $"""<sheet name="Sheet{i + 1}" sheetId="{i + 1}" r:id="rId{i + 1}"/>"""));
            Write(zip, "xl/workbook.xml",
                $"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheetEntries}</sheets></workbook>""");
            var rels = string.Concat(sheets.Select((_, i) => $"""<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>"""));
            Write(zip, "xl/_rels/workbook.xml.rels",
                $"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>""");
            Write(zip, "xl/styles.xml",
                """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="[$-fa-IR]yyyy/mm/dd;@"/></numFmts><cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="10" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>""");
            for (var i = 0; i < sheets.Count; i++) Write(zip, $"xl/worksheets/sheet{i + 1}.xml", sheets[i]);
            Write(zip, "xl/sharedStrings.xml",
                $"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{_shared.Count}" uniqueCount="{_shared.Count}">{string.Concat(_shared.Select(s => $"<si><t xml:space=\"preserve\">{XmlText(s)}</t></si>"))}</sst>""");
        }
        _shared.Clear();
        _sharedIndex.Clear();
        return output.ToArray();
    }

    /// <summary>A text as Excel writes it in a sheet: control characters in its own escape (_x001B_), then XML-escaped.</summary>
    private static string XmlText(string s) => SecurityElement.Escape(MineIngest.Domain.Writing.XlsxText.Escape(s));

    private readonly List<string> _shared = [];
    private readonly Dictionary<string, int> _sharedIndex = new();

    private string SheetXml(IEnumerable<object?[]> rows)
    {
        var sb = new StringBuilder("""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>""");
        var rowNumber = 0;
        foreach (var row in rows)
        {
            rowNumber++;
            if (row.Length == 0) continue; // a blank row: Excel writes no element for it
            sb.Append($"<row r=\"{rowNumber}\">");
            for (var c = 0; c < row.Length; c++)
            {
                var reference = ColumnName(c) + rowNumber;
                switch (row[c])
                {
                    case null: break;
                    case string s:
                        // Alternate shared and inline strings: Excel writes the first, other tools the second.
                        if (c % 2 == 0)
                        {
                            if (!_sharedIndex.TryGetValue(s, out var index)) { index = _shared.Count; _shared.Add(s); _sharedIndex[s] = index; }
                            sb.Append($"<c r=\"{reference}\" t=\"s\"><v>{index}</v></c>");
                        }
                        else sb.Append($"<c r=\"{reference}\" t=\"inlineStr\"><is><t>{XmlText(s)}</t></is></c>");
                        break;
                    case DateOnly d:
                        var style = d.Day % 2 == 0 ? 1 : 3; // built-in and custom (Persian-locale) date formats
                        sb.Append($"<c r=\"{reference}\" s=\"{style}\"><v>{ExcelDates.ToSerial(d).ToString(CultureInfo.InvariantCulture)}</v></c>");
                        break;
                    case Percent p:
                        sb.Append($"<c r=\"{reference}\" s=\"2\"><v>{p.Fraction.ToString("R", CultureInfo.InvariantCulture)}</v></c>");
                        break;
                    case IFormattable f:
                        sb.Append($"<c r=\"{reference}\"><v>{f.ToString(null, CultureInfo.InvariantCulture)}</v></c>");
                        break;
                }
            }
            sb.Append("</row>");
        }
        return sb.Append("</sheetData></worksheet>").ToString();
    }

    private static string ColumnName(int index)
    {
        var name = "";
        for (index++; index > 0; index = (index - 1) / 26) name = (char)('A' + (index - 1) % 26) + name;
        return name;
    }

    private static void Write(ZipArchive zip, string path, string content)
    {
        using var writer = new StreamWriter(zip.CreateEntry(path, CompressionLevel.Fastest).Open(), new UTF8Encoding(false));
        writer.Write(content);
    }

    public byte[] ToXls()
    {
        var workbook = new HSSFWorkbook();
        var dateStyle = workbook.CreateCellStyle();
        dateStyle.DataFormat = workbook.CreateDataFormat().GetFormat("yyyy-mm-dd");
        var percentStyle = workbook.CreateCellStyle();
        percentStyle.DataFormat = workbook.CreateDataFormat().GetFormat("0.00%");
        if (CoverSheet) workbook.CreateSheet("Cover").CreateRow(0).CreateCell(0).SetCellValue("Survey of idle mines");
        var sheet = workbook.CreateSheet("Survey");
        var r = 0;
        foreach (var title in TitleRows) sheet.CreateRow(r++).CreateCell(0).SetCellValue(title);
        var header = sheet.CreateRow(r++);
        for (var c = 0; c < Columns.Length; c++) header.CreateCell(c).SetCellValue(Header(Columns[c]));
        for (var i = 0; i < Rows.Count; i++)
        {
            var row = sheet.CreateRow(r++);
            var c = 0;
            foreach (var value in Cells(Rows[i]))
            {
                var cell = row.CreateCell(c++);
                switch (value)
                {
                    case null: break;
                    case string s: cell.SetCellValue(s); break;
                    case DateOnly d: cell.SetCellValue(d.ToDateTime(TimeOnly.MinValue)); cell.CellStyle = dateStyle; break;
                    case Percent p: cell.SetCellValue(p.Fraction); cell.CellStyle = percentStyle; break;
                    default: cell.SetCellValue(Convert.ToDouble(value, CultureInfo.InvariantCulture)); break;
                }
            }
            if (i == 0 && BlankRowAfterFirst) r++;
        }
        using var output = new MemoryStream();
        workbook.Write(output);
        return output.ToArray();
    }
}
