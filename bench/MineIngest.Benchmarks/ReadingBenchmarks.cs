using System.IO.Compression;
using System.Xml;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ExcelDataReader;
using MineIngest.Domain;
using MineIngest.Domain.Reading;
using MineIngest.TestData;
using nietras.SeparatedValues;

namespace MineIngest.Benchmarks;

/// <summary>In-process (no child build), 6 warm-ups (tiered JIT settles) and 9 measured runs of a whole file each; medians and allocations.</summary>
public sealed class ReadingConfig : ManualConfig
{
    public ReadingConfig()
    {
        Add(DefaultConfig.Instance);
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(6).WithIterationCount(9)
            .WithInvocationCount(1).WithUnrollFactor(1));
        AddColumn(StatisticColumn.Median, new RowsPerSecondColumn());
        AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}

/// <summary>Rows per second from the median.</summary>
public sealed class RowsPerSecondColumn : IColumn
{
    public string Id => "RowsPerSecond";
    public string ColumnName => "Rows/s (median)";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Data rows read per second, from the median time";
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        benchmarkCase.Descriptor.Type == typeof(PhotoBenchmarks) ? "-"
            : summary[benchmarkCase]?.ResultStatistics is { } stats ? (SurveyFiles.RowsOf(benchmarkCase.Descriptor.Type) / (stats.Median / 1e9)).ToString("N0") : "?";
}

/// <summary>The generated files (100,000 rows; 60,000 for xls), written once to the temp folder.</summary>
public static class SurveyFiles
{
    public const int Rows = 100_000;
    /// <summary>An .xls sheet holds at most 65,536 rows.</summary>
    public const int XlsRows = 60_000;

    public static int RowsOf(Type benchmark) => benchmark == typeof(XlsReading) ? XlsRows : Rows;

    public static string Get(string extension)
    {
        var rows = extension == "xls" ? XlsRows : Rows;
        var path = Path.Combine(Path.GetTempPath(), $"mineingest-bench-{rows}.{extension}");
        if (File.Exists(path)) return path;
        var survey = Generated.Survey(rows, "national");
        File.WriteAllBytes(path + ".tmp", extension switch { "xlsx" => survey.ToXlsx(), "xls" => survey.ToXls(), _ => survey.ToCsv() });
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    /// <summary>What the pipeline does with a file: read, normalise and validate every row.</summary>
    public static int ReadAndValidate(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = SurveyReader.Open(stream, path, new SurveyLimits());
        var validator = new RowValidator(ReferenceData.Default);
        var context = new ValidationContext(null, new DateOnly(2026, 11, 26));
        var accepted = 0;
        foreach (var row in reader.ReadRows()) if (validator.Validate(row, context).Accepted) accepted++;
        return accepted;
    }

    public static int ExcelDataReaderLoop(string path)
    {
        using var stream = File.OpenRead(path);
        using var excel = ExcelReaderFactory.CreateReader(stream);
        var n = 0;
        while (excel.Read())
        {
            for (var i = 0; i < excel.FieldCount; i++) _ = excel.GetValue(i);
            n++;
        }
        return n;
    }
}

/// <summary>One generated file, and the pipeline's full read of it; subclasses add the baseline.</summary>
[MemoryDiagnoser]
public abstract class SurveyReading(string extension)
{
    protected string Path { get; private set; } = "";

    [GlobalSetup]
    public void Setup() => Path = SurveyFiles.Get(extension);

    [Benchmark(Description = "MineIngest read + normalise + validate")]
    public int MineIngest() => SurveyFiles.ReadAndValidate(Path);

    /// <summary>The reading part alone (header search, cells to survey text), to see where the time goes.</summary>
    [Benchmark(Description = "MineIngest read + normalise only")]
    public int MineIngestReadOnly()
    {
        using var stream = File.OpenRead(Path);
        using var reader = SurveyReader.Open(stream, Path, new SurveyLimits());
        return reader.ReadRows().Count();
    }
}

public class XlsxReading() : SurveyReading("xlsx")
{
    [Benchmark(Baseline = true, Description = "ExcelDataReader plain loop")]
    public int ExcelDataReader() => SurveyFiles.ExcelDataReaderLoop(Path);

    /// <summary>The floor under any reader: inflate the sheet, nothing else.</summary>
    [Benchmark(Description = "Limit: inflate only")]
    public long Inflate()
    {
        using var zip = ZipFile.OpenRead(Path);
        using var sheet = zip.GetEntry("xl/worksheets/sheet1.xml")!.Open();
        var buffer = new byte[64 * 1024];
        long bytes = 0;
        int read;
        while ((read = sheet.Read(buffer)) > 0) bytes += read;
        return bytes;
    }

    /// <summary>The floor for an XmlReader-based reader: inflate the sheet and visit every XML node, nothing else.</summary>
    [Benchmark(Description = "Limit: inflate + XmlReader scan")]
    public int InflateAndScan()
    {
        using var zip = ZipFile.OpenRead(Path);
        using var xml = XmlReader.Create(zip.GetEntry("xl/worksheets/sheet1.xml")!.Open());
        var rows = 0;
        while (xml.Read())
            if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "row") rows++;
        return rows;
    }
}

public class XlsReading() : SurveyReading("xls")
{
    [Benchmark(Baseline = true, Description = "ExcelDataReader plain loop")]
    public int ExcelDataReader() => SurveyFiles.ExcelDataReaderLoop(Path);
}

public class CsvReading() : SurveyReading("csv")
{
    [Benchmark(Baseline = true, Description = "Sep plain loop")]
    public int Sep()
    {
        using var sep = nietras.SeparatedValues.Sep.Reader(o => o with { HasHeader = false }).FromFile(Path);
        var n = 0;
        foreach (var row in sep)
        {
            for (var i = 0; i < row.ColCount; i++) _ = row[i].Span;
            n++;
        }
        return n;
    }
}
