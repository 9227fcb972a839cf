using System.IO.Compression;
using System.Text;
using MineIngest.TestData;

namespace MineIngest.Domain.Tests;

public class ReadingTests
{
    private static readonly DateOnly Today = new(2026, 11, 26);
    private static readonly RevivalScorer Scorer = new(new ScoringOptions(), ReferenceData.Default);

    static ReadingTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    internal static List<RowOutcome> ReadAll(byte[] bytes, string fileName, SurveyLimits? limits = null, string? folder = null)
    {
        using var reader = SurveyReader.Open(new MemoryStream(bytes), fileName, limits ?? new SurveyLimits());
        var validator = new RowValidator(ReferenceData.Default);
        var duplicates = new DuplicateTracker(ReferenceData.Default);
        return reader.ReadRows().Select(r => validator.Validate(r, new ValidationContext(folder, Today), duplicates.Check(r))).ToList();
    }

    /// <summary>Four mines that exercise every kind of value: names in both languages, both calendars, revived, no grade.</summary>
    private static SurveyBuilder Survey() => new SurveyBuilder()
        .Add(RowBuilder.WorkedExample())
        .Add(RowBuilder.WorkedExample("MN-7").Set("mineral", "منگنز").Set("grade_pct", 28.5).Set("status", "revived")
            .Set("revived_on", new DateOnly(2020, 6, 2)).Set("jobs_created", 12).Set("problem", "ماشین آلات").Set("province", "کرمان"))
        .Add(RowBuilder.WorkedExample("ST-1").Set("mineral", "Construction stone").Set("grade_pct", null).Set("road_km", null)
            .Set("reserve_tonnes", 1_250_000.5).Set("survey_date", new DateOnly(2021, 3, 21)))
        .Add(RowBuilder.WorkedExample("CU-2").Set("mineral", "copper").Set("grade_pct", 0.8).Set("latitude", 30.25).Set("longitude", 56.125)
            .Set("status", "active").Set("idle_since", 2015).Set("problem", null).Set("investment_bn_rial", 12.5));

    private static readonly string Expected = Describe(ReadAll(Survey().ToXlsx(), "base.xlsx"));

    private static string Describe(List<RowOutcome> outcomes) => string.Join("\n", outcomes.Select(o =>
    {
        Assert.True(o.Accepted, $"row {o.RowNumber}: " + string.Join("; ", o.Errors.Select(e => e.Message)));
        var m = o.Mine!;
        var s = Scorer.Score(m);
        return string.Create(CultureInfo.InvariantCulture,
            $"{m.Province}|{m.MineId}|{m.Name}|{m.Mineral}|{m.Status}|{m.Latitude}|{m.Longitude}|{m.ReserveTonnes}|{m.GradePct}|{m.RoadKm}|{m.PowerKm}|" +
            $"{m.JobsPotential}|{m.JobsCreated}|{m.InvestmentBnRial}|{m.IdleSince}|{m.Problem}|{m.SurveyDate}|{m.RevivedOn}|{s.Value}|{s.Tier}");
    }));

    public static TheoryData<string> Variants() => new(VariantBuilders.Keys);

    private static readonly Dictionary<string, Func<(byte[] Bytes, string Name)>> VariantBuilders = new()
    {
        ["xlsx, English headers"] = () => (Survey().ToXlsx(), "a.xlsx"),
        ["xlsx, Persian headers, title rows, cover sheet, blank row"] = () =>
        {
            var b = Survey(); b.Language = HeaderLanguage.Persian; b.TitleRows.AddRange(["گزارش بازدید معادن", "استان کرمان"]);
            b.CoverSheet = true; b.BlankRowAfterFirst = true;
            return (b.ToXlsx(), "b.XLSX");
        },
        ["xlsx, percentage grade cells"] = () => { var b = Survey(); b.GradeAsPercent = true; return (b.ToXlsx(), "c.xlsx"); },
        ["xlsx, Jalali text dates"] = () => { var b = Survey(); b.DateText = SurveyValues.ToJalali; return (b.ToXlsx(), "d.xlsx"); },
        ["xlsx, Persian digits as text, column keys"] = () =>
        {
            var b = Survey(); b.PersianDigits = true; b.Language = HeaderLanguage.Keys;
            b.DateText = d => SurveyBuilder.ToPersianDigits(d.Year) + "/" + d.Month.ToString("00") + "/" + d.Day.ToString("00");
            return (b.ToXlsx(), "e.xlsx");
        },
        ["xls, English headers"] = () => (Survey().ToXls(), "f.xls"),
        ["xls, Persian headers, cover sheet, title rows, percentage cells, blank row"] = () =>
        {
            var b = Survey(); b.Language = HeaderLanguage.Persian; b.CoverSheet = true; b.TitleRows.Add("Survey 1399");
            b.GradeAsPercent = true; b.BlankRowAfterFirst = true;
            return (b.ToXls(), "g.Xls");
        },
        ["csv, UTF-8 with BOM, comma"] = () => (Survey().ToCsv(), "h.csv"),
        ["csv, UTF-8 without BOM, semicolon, title row"] = () =>
        {
            var b = Survey(); b.TitleRows.Add("Kerman survey; spring");
            return (b.ToCsv(delimiter: ';', bom: false), "i.csv");
        },
        ["csv, UTF-16, tab, Persian headers"] = () =>
        {
            var b = Survey(); b.Language = HeaderLanguage.Persian;
            return (b.ToCsv(Encoding.Unicode, '\t'), "j.csv");
        },
        ["csv, Windows-1256, Persian headers, Jalali dates, blank row"] = () =>
        {
            var b = Survey(); b.Language = HeaderLanguage.Persian; b.DateText = SurveyValues.ToJalali; b.BlankRowAfterFirst = true;
            return (b.ToCsv(Encoding.GetEncoding(1256), ',', bom: false), "k.CSV");
        },
        ["csv, Persian digits"] = () => { var b = Survey(); b.PersianDigits = true; return (b.ToCsv(), "l.csv"); },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_format_and_quirk_reads_to_the_same_mines_and_scores(string variant)
    {
        var (bytes, name) = VariantBuilders[variant]();
        Assert.Equal(Expected, Describe(ReadAll(bytes, name)));
    }

    [Fact]
    public void The_base_survey_scores_the_worked_example() => Assert.StartsWith("kerman|CHR-0012|", Expected);

    [Theory]
    [InlineData("xlsx")]
    [InlineData("xls")]
    [InlineData("csv")]
    public void Row_numbers_are_as_Excel_shows_them(string format)
    {
        var b = Survey(); b.TitleRows.AddRange(["Title", "Subtitle"]); b.BlankRowAfterFirst = true;
        var bytes = format switch { "xlsx" => b.ToXlsx(), "xls" => b.ToXls(), _ => b.ToCsv() };
        var rows = ReadAll(bytes, "s." + format).Select(o => o.RowNumber);
        Assert.Equal([4, 6, 7, 8], rows); // titles 1-2, header 3, first mine 4, blank 5
    }

    [Fact]
    public void Duplicates_in_a_file_are_rejected_naming_the_first_row()
    {
        var b = Survey().Add(RowBuilder.WorkedExample("chr-0012 "));
        var last = ReadAll(b.ToCsv(), "dup.csv").Last();
        Assert.False(last.Accepted);
        Assert.Contains(last.Errors, e => e.Message.StartsWith("duplicate of row 2"));
    }

    private static SurveyRejectedException Rejected(byte[] bytes, string name, SurveyLimits? limits = null) =>
        Assert.Throws<SurveyRejectedException>(() => ReadAll(bytes, name, limits));

    [Fact]
    public void Unsupported_file_type() =>
        Assert.StartsWith("Unsupported file type \".pdf\"", Rejected([1, 2, 3], "survey.pdf").Message);

    [Fact]
    public void Missing_required_columns_are_all_named()
    {
        var b = Survey();
        b.Columns = b.Columns.Where(c => c is not ("latitude" or "survey_date")).ToArray();
        var message = Rejected(b.ToXlsx(), "m.xlsx").Message;
        Assert.Contains("Latitude (عرض جغرافیایی)", message);
        Assert.Contains("Survey date (تاریخ بازدید)", message);
    }

    [Fact]
    public void No_header_row() =>
        Assert.StartsWith("No header row was found", Rejected(Encoding.UTF8.GetBytes("a,b,c\n1,2,3\n"), "x.csv").Message);

    [Theory]
    [InlineData("xlsx", "not a readable Excel workbook (.xlsx)")]
    [InlineData("xls", "not a readable Excel 97-2003 workbook (.xls)")]
    [InlineData("csv", "No header row was found")]
    public void Random_bytes(string extension, string message)
    {
        var bytes = new byte[200_000];
        new Random(42).NextBytes(bytes);
        Assert.Contains(message, Rejected(bytes, "random." + extension).Message);
    }

    [Fact]
    public void Truncated_workbook()
    {
        var bytes = Survey().ToXlsx();
        Assert.Contains("not a readable Excel workbook", Rejected(bytes[..(bytes.Length / 2)], "t.xlsx").Message);
    }

    [Fact]
    public void Truncated_xls()
    {
        var bytes = Survey().ToXls();
        Assert.Contains("not a readable Excel 97-2003 workbook", Rejected(bytes[..(bytes.Length / 3)], "t.xls").Message);
    }

    [Fact]
    public void Xlsx_renamed_to_xls_is_rejected() =>
        Assert.Contains("not a readable Excel 97-2003 workbook", Rejected(Survey().ToXlsx(), "renamed.xls").Message);

    [Fact]
    public void Entity_expansion_is_refused()
    {
        const string laughs = """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>""";
        var bytes = ReplacePart(Survey().ToXlsx(), "xl/worksheets/sheet1.xml", s => s.Write(Encoding.UTF8.GetBytes(laughs)));
        Assert.Contains("not a readable Excel workbook", Rejected(bytes, "lol.xlsx").Message);
    }

    [Fact]
    public void Zip_bomb_is_refused_at_the_uncompressed_limit()
    {
        // 64 MB of XML whitespace squeezes to about 64 KB; the limit is lowered so the test stays quick,
        // the same code path refuses the 1 GB bomb in the benchmarks (docs/READERS.md).
        var bytes = ReplacePart(Survey().ToXlsx(), "xl/worksheets/sheet1.xml", s =>
        {
            s.Write("""<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"""u8);
            var blank = new byte[1 << 20];
            Array.Fill(blank, (byte)' ');
            for (var i = 0; i < 64; i++) s.Write(blank);
            s.Write("</sheetData></worksheet>"u8);
        });
        Assert.True(bytes.Length < 1_000_000);
        var message = Rejected(bytes, "bomb.xlsx", new SurveyLimits { MaxUncompressedBytes = 16L * 1024 * 1024 }).Message;
        Assert.Contains("larger than 16 MB once unpacked", message);
    }

    [Fact]
    public void File_size_limit()
    {
        var limits = new SurveyLimits { MaxFileBytes = 1024 * 1024 };
        var b = new SurveyBuilder().AddMany(12000, i => RowBuilder.WorkedExample($"M-{i}"));
        Assert.True(b.ToCsv().Length > limits.MaxFileBytes);
        Assert.Contains("larger than 1 MB", Rejected(b.ToCsv(), "big.csv", limits).Message);
        Assert.Contains("larger than 1 MB", Assert.Throws<SurveyRejectedException>(() =>
            SurveyReader.Open(new NonSeekable(b.ToCsv()), "big.csv", limits).ReadRows().Count()).Message);
    }

    [Fact]
    public void Row_limit()
    {
        var b = new SurveyBuilder().AddMany(6, i => RowBuilder.WorkedExample($"M-{i}"));
        Assert.Contains("more than 5 data rows", Rejected(b.ToXlsx(), "rows.xlsx", new SurveyLimits { MaxRows = 5 }).Message);
        Assert.Equal(6, ReadAll(b.ToXlsx(), "rows.xlsx", new SurveyLimits { MaxRows = 6 }).Count);
    }

    [Fact]
    public void A_workbook_from_a_stream_that_cannot_seek_is_read()
    {
        using var reader = SurveyReader.Open(new NonSeekable(Survey().ToXlsx()), "n.xlsx", new SurveyLimits());
        Assert.Equal(4, reader.ReadRows().Count());
    }

    private static byte[] ReplacePart(byte[] xlsx, string part, Action<Stream> write)
    {
        var output = new MemoryStream();
        output.Write(xlsx);
        using (var zip = new ZipArchive(output, ZipArchiveMode.Update, leaveOpen: true))
        {
            zip.GetEntry(part)!.Delete();
            using var stream = zip.CreateEntry(part, CompressionLevel.SmallestSize).Open();
            write(stream);
        }
        return output.ToArray();
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
