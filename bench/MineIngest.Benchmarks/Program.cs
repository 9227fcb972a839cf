// Reading benchmarks for docs/BENCHMARKS.md (BenchmarkDotNet, in-process): a generated 100,000-row survey in
// xlsx, xls and csv, our full read (header search, normalisation, validation) against a plain loop over the
// baseline library, and for xlsx the limit: inflating and scanning the sheet XML with nothing else done.
// Usage: dotnet bench/MineIngest.Benchmarks/bin/Release/net10.0/MineIngest.Benchmarks.dll [--filter *Xlsx*]
//        ... MineIngest.Benchmarks.dll bomb     (a 1 GiB zip bomb: time and memory to reject it)
//        ... MineIngest.Benchmarks.dll loop csv|xlsx|xls [N]   (N full reads in a row, for a profiler such as dotnet-trace)
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using MineIngest.Benchmarks;
using MineIngest.Domain.Reading;
using MineIngest.TestData;

Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
if (args is ["bomb", ..])
{
    var path = Path.Combine(Path.GetTempPath(), "mineingest-bench-bomb.xlsx");
    WriteBomb(path);
    GC.Collect();
    var allocated = GC.GetTotalAllocatedBytes(true);
    var watch = Stopwatch.StartNew();
    try
    {
        using var stream = File.OpenRead(path);
        using var reader = SurveyReader.Open(stream, path, new SurveyLimits());
        Console.WriteLine($"read {reader.ReadRows().Count()} rows: the bomb was NOT rejected");
    }
    catch (SurveyRejectedException ex)
    {
        Console.WriteLine($"rejected in {watch.Elapsed.TotalSeconds:0.00} s, {(GC.GetTotalAllocatedBytes(true) - allocated) / 1e6:0.0} MB allocated: {ex.Message}");
    }
    return;
}
if (args is ["loop", var extension, ..])
{
    var path = SurveyFiles.Get(extension);
    var times = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20;
    for (var i = 0; i < times; i++)
    {
        var watch = Stopwatch.StartNew();
        var accepted = SurveyFiles.ReadAndValidate(path);
        Console.WriteLine($"{extension} read + validate: {accepted} accepted in {watch.Elapsed.TotalMilliseconds:0} ms");
    }
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(ReadingConfig).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args, new ReadingConfig());

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
