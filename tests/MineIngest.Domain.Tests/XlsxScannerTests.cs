using System.IO.Compression;
using System.Text;
using System.Xml.Linq;
using MineIngest.Domain.Reading;
using MineIngest.TestData;

namespace MineIngest.Domain.Tests;

/// <summary>
/// The byte-level sheet reader against LINQ to XML as the oracle: every cell of sheets written in the ways XML allows
/// (references, CDATA, comments, prefixes, quotes, line ends, rich text, other encodings, tags across buffer ends)
/// reads as the XML says.
/// </summary>
public class XlsxScannerTests
{
    private const string Main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

    static XlsxScannerTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>Sheets that each stress one part of XML; the shared strings hold "zero", "one &amp; two" and a rich text with a phonetic run.</summary>
    public static TheoryData<string> Sheets() => new(TrickySheets.Keys);

    private static readonly Dictionary<string, string> TrickySheets = new()
    {
        ["references"] = $"""<worksheet xmlns="{Main}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;</t></is></c><c r="B1" t="inlineStr"><is><t>&#x41;&#1605;&#128512;</t></is></c><c r="C1"><v>1&#46;5</v></c></row></sheetData></worksheet>""",
        ["CDATA and comments"] = $"""<worksheet xmlns="{Main}"><sheetData><!-- a comment with <row r="9"> inside --><row r="1"><c r="A1" t="str"><v><![CDATA[x < y & z]]></v></c><!----><c r="B1" t="inlineStr"><is><t>left<!-- note -->right</t></is></c><c r="C1"><v>4<!-- between -->2</v></c></row><?pi data?></sheetData></worksheet>""",
        ["prefixed names"] = $"""<x:worksheet xmlns:x="{Main}"><x:sheetData><x:row r="3"><x:c r="B3" t="s"><x:v>1</x:v></x:c><x:c r="C3"><x:v>7.25</x:v></x:c><x:c r="D3" t="inlineStr"><x:is><x:t>prefixed</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>""",
        ["quotes and spaces in tags"] = $"""<worksheet xmlns="{Main}"><sheetData><row  r = '2' spans="1:3" ><c t='inlineStr' r='A2' custom="a>b" ><is><t xml:space="preserve">  padded  </t></is></c><c data="1>0"{"\n"} r="E2" s="0" ><v>3</v></c ><c r="C2" t="s"/></row></sheetData></worksheet>""",
        ["line ends"] = $"<worksheet xmlns=\"{Main}\">\r\n<sheetData>\r\n  <row r=\"1\">\r\n    <c r=\"A1\" t=\"inlineStr\"><is><t>first\r\nsecond\rthird\nfourth</t></is></c>\r\n    <c r=\"B1\"><v>\r\n12\r\n</v></c>\r\n  </row>\r\n</sheetData>\r\n</worksheet>",
        ["rich text, formulas and types"] = $"""<worksheet xmlns="{Main}"><sheetData><row r="1"><c r="A1" t="s"><v>2</v></c><c r="B1" t="inlineStr"><is><r><t>bo</t></r><r><rPr><b/></rPr><t>ld</t></r><rPh sb="0" eb="1"><t>PH</t></rPh></is></c><c r="C1"><f>SUM(1,2)</f><v>3</v></c><c r="D1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c><c r="E1" t="b"><v>1</v></c><c r="F1" t="e"><v>#N/A</v></c><c r="G1" t="d"><v>2021-03-21T00:00:00</v></c><c r="H1"><v/></c><c r="I1" t="s"><v>0</v></c></row><row r="2"><c><v>5</v></c><c><v>6</v></c><c r="E2"><v>7</v></c><c><v>8</v></c></row><row r="4"/></sheetData></worksheet>""",
    };

    [Theory]
    [MemberData(nameof(Sheets))]
    public void Every_cell_reads_as_the_xml_says(string sheet) =>
        AssertReadsAsXmlSays(TrickySheets[sheet], Encoding.UTF8);

    [Theory]
    [InlineData("utf-16")]
    [InlineData("utf-16BE")]
    [InlineData("iso-8859-1")]
    [InlineData("windows-1256")]
    public void A_sheet_in_another_encoding_is_transcoded(string encodingName)
    {
        var encoding = Encoding.GetEncoding(encodingName);
        var xml = $"""<?xml version="1.0" encoding="{encodingName}"?><worksheet xmlns="{Main}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{(encoding.CodePage == 28591 ? "Café" : "معدن")}</t></is></c><c r="B1"><v>2.5</v></c></row></sheetData></worksheet>""";
        AssertReadsAsXmlSays(xml, encoding);
    }

    [Fact]
    public void Tags_and_text_across_the_buffer_ends_read_whole()
    {
        // 3,000 rows of values of changing lengths: tags and texts fall across the 64 KB buffer's end in every way.
        var random = new Random(12);
        var sb = new StringBuilder($"""<worksheet xmlns="{Main}"><sheetData>""");
        for (var r = 1; r <= 3000; r++)
        {
            sb.Append($"<row r=\"{r}\">");
            for (var c = 0; c < 6; c++)
            {
                var reference = (char)('A' + c) + r.ToString(CultureInfo.InvariantCulture);
                sb.Append(c % 2 == 0
                    ? $"<c r=\"{reference}\"><v>{(random.Next(1, 1_000_000) / 8.0).ToString("R", CultureInfo.InvariantCulture)}</v></c>"
                    : $"<c r=\"{reference}\" t=\"inlineStr\"><is><t>{new string((char)('a' + c), random.Next(1, 40))} &amp; {new string('م', random.Next(0, 30))}</t></is></c>");
            }
            sb.Append("</row>");
        }
        sb.Append("</sheetData></worksheet>");
        var rows = AssertReadsAsXmlSays(sb.ToString(), Encoding.UTF8);
        Assert.Equal(3000, rows);
    }

    [Theory]
    [InlineData("""<!DOCTYPE worksheet [<!ENTITY e "x">]><worksheet><sheetData/></worksheet>""")]
    [InlineData("""<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&undefined;</t></is></c></row></sheetData></worksheet>""")]
    [InlineData("""<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>ends inside a tag</t></is></c></row><row r""")]
    public void A_sheet_that_is_not_xml_a_workbook_holds_is_refused(string xml)
    {
        var bytes = Workbook(Encoding.UTF8.GetBytes(xml));
        var ex = Assert.Throws<SurveyRejectedException>(() => ReadCells(bytes));
        Assert.Contains("not a readable Excel workbook", ex.Message);
    }

    [Fact]
    public void A_value_longer_than_any_cell_is_refused_within_bounded_memory()
    {
        var xml = $"""<worksheet xmlns="{Main}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{new string('x', 9 * 1024 * 1024)}</t></is></c></row></sheetData></worksheet>""";
        var ex = Assert.Throws<SurveyRejectedException>(() => ReadCells(Workbook(Encoding.UTF8.GetBytes(xml))));
        Assert.Contains("not a readable Excel workbook", ex.Message);
    }

    /// <summary>Reads the sheet with the pipeline's reader and with XDocument; asserts every cell agrees. Returns the rows read.</summary>
    private static int AssertReadsAsXmlSays(string sheetXml, Encoding encoding)
    {
        var preamble = encoding.CodePage is 1200 or 1201 ? encoding.GetPreamble() : [];
        var bytes = Workbook([.. preamble, .. encoding.GetBytes(sheetXml)]);
        var expected = Oracle(sheetXml);
        var actual = ReadCells(bytes);
        Assert.Equal(expected.Select(r => r.Row), actual.Select(r => r.Row));
        for (var i = 0; i < expected.Count; i++)
        {
            var (row, cells) = expected[i];
            var read = actual[i].Cells;
            for (var column = 0; column < Math.Max(cells.Count, read.Count); column++)
            {
                var want = column < cells.Count ? cells[column] : Cell.Empty;
                var got = column < read.Count ? read[column] : Cell.Empty;
                Assert.True(want.Kind == got.Kind && want.Text == got.Text && want.Number.Equals(got.Number),
                    $"row {row} column {column}: expected {want}, read {got}");
            }
        }
        return actual.Count;
    }

    private static List<(int Row, List<Cell> Cells)> ReadCells(byte[] workbook)
    {
        using var reader = new XlsxWorkbookReader(new MemoryStream(workbook), new SurveyLimits());
        var rows = new List<(int, List<Cell>)>();
        Assert.True(reader.NextSheet());
        var cells = new List<Cell>();
        while (reader.NextRow(cells, out var number)) rows.Add((number, [.. cells]));
        return rows;
    }

    private static readonly string[] SharedStrings = ["zero", "one & two", "ruby"];

    /// <summary>What the sheet's XML says each cell holds, read with LINQ to XML (line ends and references as XML defines them).</summary>
    private static List<(int Row, List<Cell> Cells)> Oracle(string sheetXml)
    {
        var document = XDocument.Parse(sheetXml, LoadOptions.PreserveWhitespace);
        var rows = new List<(int, List<Cell>)>();
        var last = 0;
        foreach (var row in document.Descendants().Where(e => e.Name.LocalName == "row"))
        {
            var number = (int?)row.Attribute("r") ?? last + 1;
            last = number;
            var cells = new List<Cell>();
            var next = 0;
            foreach (var c in row.Elements().Where(e => e.Name.LocalName == "c"))
            {
                var reference = (string?)c.Attribute("r");
                var column = reference is null ? next : reference.TakeWhile(char.IsLetter).Aggregate(0, (n, ch) => n * 26 + ch - 'A' + 1) - 1;
                next = column + 1;
                var v = c.Elements().FirstOrDefault(e => e.Name.LocalName == "v");
                var inline = c.Elements().FirstOrDefault(e => e.Name.LocalName == "is");
                if (v is null && inline is null) continue;
                var type = (string?)c.Attribute("t");
                var cell = inline is not null
                    ? Cell.FromText(string.Concat(inline.Descendants().Where(e => e.Name.LocalName == "t" && e.Parent!.Name.LocalName != "rPh").Select(t => t.Value)))
                    : type switch
                    {
                        "s" => Cell.FromText(SharedStrings[int.Parse(v!.Value, CultureInfo.InvariantCulture)]),
                        "str" or "e" or "inlineStr" => Cell.FromText(v!.Value),
                        "b" => Cell.FromText(v!.Value == "1" ? "TRUE" : "FALSE"),
                        "d" => Cell.FromText(v!.Value[..10]),
                        _ => double.TryParse(v!.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                            ? new Cell(CellKind.Number, SurveyValues.IsRoundTripForm(v.Value) ? v.Value : null, n)
                            : Cell.FromText(v.Value),
                    };
                while (cells.Count <= column) cells.Add(Cell.Empty);
                cells[column] = cell;
            }
            rows.Add((number, cells));
        }
        return rows;
    }

    /// <summary>A workbook of one sheet with the given part bytes, shared strings as <see cref="SharedStrings"/> (one of them rich, with a phonetic run).</summary>
    private static byte[] Workbook(byte[] sheet)
    {
        var template = new SurveyBuilder().Add(RowBuilder.WorkedExample()).ToXlsx();
        var output = new MemoryStream();
        output.Write(template);
        using (var zip = new ZipArchive(output, ZipArchiveMode.Update, leaveOpen: true))
        {
            Replace(zip, "xl/worksheets/sheet1.xml", sheet);
            Replace(zip, "xl/sharedStrings.xml", Encoding.UTF8.GetBytes(
                $"""<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{Main}" count="3" uniqueCount="3"><si><t>zero</t></si><si><t>one &amp; two</t></si><si><r><t>ru</t></r><r><t>by</t></r><rPh sb="0" eb="2"><t>ルビ</t></rPh></si></sst>"""));
        }
        return output.ToArray();
    }

    private static void Replace(ZipArchive zip, string part, byte[] bytes)
    {
        zip.GetEntry(part)?.Delete();
        using var stream = zip.CreateEntry(part).Open();
        stream.Write(bytes);
    }
}
