using System.CommandLine;
using Spectre.Console;

namespace MineIngest.Cli;

/// <summary>`mineingest summary|report|rescore`: the programme office's figures, its progress report, and re-scoring.</summary>
public static class OfficeCommands
{
    /// <summary>Scores every mine again with the app's current settings.</summary>
    public static Command Rescore(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf, Option<string?> writerKeyOption, Func<string, string?> environment)
    {
        var rescore = new Command("rescore", "Score every mine again with the app's current scoring settings (programme office)") { writerKeyOption };
        rescore.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var settings = settingsOf(r);
            var writerKey = CliApp.WriterKey(r, writerKeyOption, environment, settings, "Re-scoring");
            using var http = CliApp.NewHttp();
            var run = await new ApiClient(http, settings).StartRescoreAsync(writerKey, token);
            console.MarkupLineInterpolated($"Re-scoring run {run.Run} started: {run.Mines} mines with settings {run.Fingerprint}. Progress: /api/health (backlog.rescore).");
            return ExitCodes.AllWentThrough;
        }));
        return rescore;
    }

    /// <summary>National or provincial figures.</summary>
    public static Command Summary(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf)
    {
        var mineralOption = new Option<string?>("--mineral") { Description = "Mineral slug or name" };
        var (fromOption, toOption) = Period();
        var summary = new Command("summary", "National or provincial figures") { mineralOption, fromOption, toOption };
        summary.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            using var http = CliApp.NewHttp();
            var settings = settingsOf(r);
            var query = string.Join("&", new[] { ("province", settings.Province), ("mineral", r.GetValue(mineralOption)), ("from", r.GetValue(fromOption)), ("to", r.GetValue(toOption)) }
                .Where(p => !string.IsNullOrWhiteSpace(p.Item2)).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
            var (figures, age) = await new ApiClient(http, settings).GetSummaryAsync(query.Length == 0 ? "" : "?" + query, token);
            Reports.ShowSummary(console, figures, age);
            return ExitCodes.AllWentThrough;
        }));
        return summary;
    }

    /// <summary>The programme's progress report for a period, as a workbook or a printable page.</summary>
    public static Command Report(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf)
    {
        var (fromOption, toOption) = Period();
        var periodOption = new Option<string?>("--period") { Description = "A Jalali period: 1399, 1399-Q1, 1399-H1, 1399-F5 (the first five months) or a month 1399-05" };
        var reportOut = new Option<FileInfo>("--out", "-o")
        {
            Description = "Where to write the report: .xlsx (a sheet per table) or .html (the printable page)",
            DefaultValueFactory = _ => new FileInfo("mineingest-report.xlsx"),
        };
        var report = new Command("report", "The programme's progress report for a period, in Persian, as a workbook or a printable page")
            { periodOption, fromOption, toOption, reportOut };
        report.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var file = r.GetValue(reportOut)!;
            var format = file.Extension.TrimStart('.').ToLowerInvariant();
            if (format is not ("xlsx" or "html")) throw new CliException($"--out must name a .xlsx or .html file, not {file.Name}.");
            var settings = settingsOf(r);
            var query = string.Join("&", new[] { ("period", r.GetValue(periodOption)), ("from", r.GetValue(fromOption)), ("to", r.GetValue(toOption)), ("province", settings.Province) }
                .Where(p => !string.IsNullOrWhiteSpace(p.Item2)).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
            using var http = CliApp.NewHttp();
            var bytes = await new ApiClient(http, settings).GetReportAsync(format == "xlsx" ? "report.xlsx" : "report", query, token);
            await File.WriteAllBytesAsync(file.FullName, bytes, token);
            console.MarkupLineInterpolated($"Progress report written to {file.FullName}");
            return ExitCodes.AllWentThrough;
        }));
        return report;
    }

    private static (Option<string?> From, Option<string?> To) Period() =>
        (new Option<string?>("--from") { Description = "Start of the period (Jalali or Gregorian date)" },
            new Option<string?>("--to") { Description = "End of the period" });
}
