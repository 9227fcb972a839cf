// Reader measurements for docs/READERS.md: rows/s, allocations and peak working set for a generated survey,
// our full read (header search, normalisation, validation) against a plain loop over the baseline library.
// Usage: dotnet run -c Release --project bench/MineIngest.Benchmarks -- [ROWS] [xlsx|xls|csv|bomb]
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using ExcelDataReader;
using MineIngest.Domain;
using MineIngest.Domain.Reading;
using MineIngest.TestData;
using nietras.SeparatedValues;

Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
var rows = args.Length > 0 ? int.Parse(args[0]) : 100_000;
var what = args.Length > 1 ? args[1] : "xlsx";
var path = Path.Combine(Path.GetTempPath(), $"mineingest-bench-{rows}.{(what == "bomb" ? "xlsx" : what)}");
if (what == "bomb") WriteBomb(path);
else if (!File.Exists(path))
{
    var survey = Generated.Survey(rows, "national");
    File.WriteAllBytes(path, what switch { "xlsx" => survey.ToXlsx(), "xls" => survey.ToXls(), _ => survey.ToCsv() });
}
Console.WriteLine($"{what}: {rows:N0} rows, {new FileInfo(path).Length / 1e6:0.0} MB");

for (var run = 0; run < 3; run++)
{
    Measure("MineIngest (read + validate)", () =>
    {
        using var stream = File.OpenRead(path);
        try
        {
            using var reader = SurveyReader.Open(stream, path, new SurveyLimits());
            var validator = new RowValidator(ReferenceData.Default);
            var context = new ValidationContext(null, new DateOnly(2026, 11, 26));
            return reader.ReadRows().Count(r => validator.Validate(r, context).Accepted);
        }
        catch (SurveyRejectedException ex) { Console.WriteLine("  rejected: " + ex.Message); return 0; }
    });
    if (what == "bomb") continue;
    Measure(what == "csv" ? "Sep plain loop" : "ExcelDataReader plain loop", () =>
    {
        using var stream = File.OpenRead(path);
        var n = 0;
        if (what == "csv")
        {
            using var sep = Sep.Reader(o => o with { HasHeader = false }).From(stream);
            foreach (var row in sep) { for (var i = 0; i < row.ColCount; i++) _ = row[i].Span; n++; }
            return n;
        }
        using var excel = ExcelReaderFactory.CreateReader(stream);
        while (excel.Read()) { for (var i = 0; i < excel.FieldCount; i++) _ = excel.GetValue(i); n++; }
        return n;
    });
}
Console.WriteLine($"peak working set of the process: {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:0} MB");

static void Measure(string name, Func<int> body)
{
    GC.Collect();
    var allocated = GC.GetTotalAllocatedBytes(true);
    var watch = Stopwatch.StartNew();
    var count = body();
    watch.Stop();
    Console.WriteLine($"  {name}: {count:N0} rows in {watch.Elapsed.TotalSeconds:0.00} s = {count / watch.Elapsed.TotalSeconds:N0} rows/s, " +
                      $"{(GC.GetTotalAllocatedBytes(true) - allocated) / 1e6:N0} MB allocated");
}

static void WriteBomb(string path)
{
    // A valid workbook whose sheet inflates to 1 GiB of whitespace (about 1 MB on disk).
    File.WriteAllBytes(path, new SurveyBuilder().Add(RowBuilder.WorkedExample()).ToXlsx());
    using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
    zip.GetEntry("xl/worksheets/sheet1.xml")!.Delete();
    using var s = zip.CreateEntry("xl/worksheets/sheet1.xml", CompressionLevel.SmallestSize).Open();
    s.Write("""<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"""u8);
    var blank = new byte[1 << 20];
    Array.Fill(blank, (byte)' ');
    for (var i = 0; i < 1024; i++) s.Write(blank);
    s.Write("</sheetData></worksheet>"u8);
}
