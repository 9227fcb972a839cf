using System.CommandLine;
using MineIngest.Domain;
using Spectre.Console;

namespace MineIngest.Cli;

/// <summary>The `mineingest` command line: upload, watch, status, template, summary, report, re-scoring and withdrawal here; keys, sign-in and backups in their own classes.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, Func<string, string?> environment, CancellationToken ct)
    {
        var apiOption = new Option<string?>("--api") { Description = "MineIngest API base, e.g. https://func-mineingest-xyz.azurewebsites.net/api (env MINEINGEST_API)", Recursive = true };
        var keyOption = new Option<string?>("--key") { Description = "The province's upload key (env MINEINGEST_KEY)", Recursive = true };
        var provinceOption = new Option<string?>("--province", "-p") { Description = "Province slug, e.g. kerman, or national (env MINEINGEST_PROVINCE)", Recursive = true };
        var configOption = new Option<string?>("--config") { Description = "Settings file (JSON: api, key, province, functionKey, storage); default ~/.config/mineingest/config.json (env MINEINGEST_CONFIG)", Recursive = true };
        var storageOption = new Option<string?>("--storage") { Description = "Storage connection string, or an account name to use your Azure sign-in (env MINEINGEST_STORAGE)", Recursive = true };

        CliSettings Settings(ParseResult r) => CliSettings.Resolve(environment, r.GetValue(configOption), r.GetValue(apiOption),
            r.GetValue(keyOption), r.GetValue(provinceOption), r.GetValue(storageOption));

        var files = new Argument<FileInfo[]>("files") { Description = "Survey files (.xlsx, .xls, .csv)", Arity = ArgumentArity.OneOrMore };
        var waitOption = new Option<bool>("--wait") { Description = "Wait for each survey's report and show it" };
        var timeoutOption = new Option<int>("--timeout-minutes") { Description = "How long --wait waits", DefaultValueFactory = _ => 30 };
        var upload = new Command("upload", "Upload survey files for a province") { files, waitOption, timeoutOption };
        upload.SetAction((r, token) => Run(console, async () =>
        {
            var settings = Settings(r);
            using var http = NewHttp();
            var api = new ApiClient(http, settings);
            var sender = new SurveySender(api, console);
            var province = settings.RequireProvince();
            var exit = ExitCodes.AllWentThrough;
            foreach (var file in r.GetValue(files)!)
            {
                var blob = await sender.SendAsync(file, province, token);
                if (r.GetValue(waitOption))
                    exit = Math.Max(exit, Reports.ShowSurvey(console, await api.WaitForSurveyAsync(blob, province, TimeSpan.FromMinutes(r.GetValue(timeoutOption)), token)));
            }
            return exit;
        }));

        var folder = new Argument<DirectoryInfo>("folder") { Description = "Folder to watch" };
        var intervalOption = new Option<double>("--interval") { Description = "Seconds between looks at the folder", DefaultValueFactory = _ => 10 };
        var watch = new Command("watch", "Upload every new or changed spreadsheet in a folder, once it has stopped growing") { folder, intervalOption };
        watch.SetAction((r, token) => Run(console, async () =>
        {
            var settings = Settings(r);
            if (settings.Credential is null) settings.RequireKey();
            using var http = NewHttp();
            var watcher = new FolderWatcher(new SurveySender(new ApiClient(http, settings), console), console, r.GetValue(folder)!.FullName,
                settings.RequireProvince(), TimeSpan.FromSeconds(Math.Max(0.1, r.GetValue(intervalOption))));
            return await watcher.RunAsync(token);
        }));

        var surveyArgument = new Argument<string>("survey") { Description = "A survey id, or a blob name such as kerman/20261126-101500-1a2b3c-survey.xlsx" };
        var errorsOutOption = new Option<FileInfo?>("--errors-out")
        {
            Description = "Also write the survey's rows to fix (rejected and failed rows as sent, with the reasons) to this .xlsx or .csv file",
        };
        var status = new Command("status", "Show a survey's report") { surveyArgument, errorsOutOption };
        status.SetAction((r, token) => Run(console, async () =>
        {
            using var http = NewHttp();
            var api = new ApiClient(http, Settings(r));
            var which = r.GetValue(surveyArgument)!.Trim();
            var survey = which.Contains('/')
                ? await api.FindSurveyAsync(which, token) is { } found ? await api.GetSurveyAsync(found.Id, token)
                    : throw new CliException($"No survey has been made from {which} yet. It may still be uploading, or the name is wrong.")
                : await api.GetSurveyAsync(which, token);
            var exit = Reports.ShowSurvey(console, survey);
            if (r.GetValue(errorsOutOption) is { } errorsOut)
            {
                var format = errorsOut.Extension.TrimStart('.').ToLowerInvariant();
                if (format is not ("xlsx" or "csv")) throw new CliException($"--errors-out must name a .xlsx or .csv file, not {errorsOut.Name}.");
                await File.WriteAllBytesAsync(errorsOut.FullName, await api.GetRowsToFixAsync(survey.Id, format, token), token);
                console.MarkupLineInterpolated($"{survey.Rejected + survey.Failed} row(s) to fix written to {errorsOut.FullName}: correct them there and upload that file.");
            }
            return exit;
        }));

        var writerKeyOption = new Option<string?>("--writer-key") { Description = "The programme office's writer key (env MINEINGEST_WRITER_KEY)" };
        var rescore = new Command("rescore", "Score every mine again with the app's current scoring settings (programme office)") { writerKeyOption };
        rescore.SetAction((r, token) => Run(console, async () =>
        {
            var settings = Settings(r);
            var writerKey = r.GetValue(writerKeyOption) ?? environment("MINEINGEST_WRITER_KEY");
            if (writerKey is null && settings.Credential is null)
                throw new CliException("Re-scoring needs the programme office's writer: sign in (" + CliSettings.HowToSignIn + ") or, with sign-in off, --writer-key or MINEINGEST_WRITER_KEY.");
            using var http = NewHttp();
            var run = await new ApiClient(http, settings).StartRescoreAsync(writerKey, token);
            console.MarkupLineInterpolated($"Re-scoring run {run.Run} started: {run.Mines} mines with settings {run.Fingerprint}. Progress: /api/health (backlog.rescore).");
            return ExitCodes.AllWentThrough;
        }));

        var reasonOption = new Option<string>("--reason") { Description = "Why the survey is withdrawn (kept with it and with every mine it wrote)", Required = true };
        var withdrawSurvey = new Argument<string>("survey") { Description = "A survey id, or a blob name such as kerman/20261126-101500-1a2b3c-survey.xlsx" };
        var withdraw = new Command("withdraw", "Withdraw a wrong survey: every mine and figure returns to what it was without it "
            + "(the office's --writer-key, or the province's own --key within 7 days of the upload)") { withdrawSurvey, reasonOption, writerKeyOption };
        withdraw.SetAction((r, token) => Run(console, async () =>
        {
            var settings = Settings(r);
            var writerKey = r.GetValue(writerKeyOption) ?? environment("MINEINGEST_WRITER_KEY");
            (string, string)? key = writerKey is not null ? (Pipeline.Api.OfficeApi.WriterKeyHeader, writerKey)
                : settings.Credential is not null ? null : (Pipeline.Api.ProvinceApi.ProvinceKeyHeader, settings.RequireKey());
            using var http = NewHttp();
            var api = new ApiClient(http, settings);
            var which = r.GetValue(withdrawSurvey)!.Trim();
            var id = which.Contains('/')
                ? (await api.FindSurveyAsync(which, token))?.Id ?? throw new CliException($"No survey has been made from {which} yet.")
                : which;
            var survey = await api.WithdrawAsync(id, r.GetValue(reasonOption)!, key, token);
            var w = survey.Withdrawal!;
            console.MarkupLineInterpolated($"Survey {survey.Blob} ({survey.Id}): {survey.Status}, {w.Done} of {w.Mines} mines done so far. `mineingest status {survey.Id}` shows the progress.");
            return ExitCodes.AllWentThrough;
        }));

        var templateOut = new Option<FileInfo>("--out", "-o")
        {
            Description = "Where to write the template", DefaultValueFactory = _ => new FileInfo(Domain.Writing.SurveyTemplate.FileName),
        };
        var template = new Command("template", "Write the survey template (xlsx: Persian and English headers, drop-downs, hints); needs no connection") { templateOut };
        template.SetAction((r, token) => Run(console, async () =>
        {
            var file = r.GetValue(templateOut)!;
            await using (var stream = file.Create()) await Domain.Writing.SurveyTemplate.WriteAsync(stream, ReferenceData.Default, token);
            console.MarkupLineInterpolated($"Survey template written to {file.FullName}");
            return ExitCodes.AllWentThrough;
        }));

        var mineralOption = new Option<string?>("--mineral") { Description = "Mineral slug or name" };
        var fromOption = new Option<string?>("--from") { Description = "Start of the period (Jalali or Gregorian date)" };
        var toOption = new Option<string?>("--to") { Description = "End of the period" };
        var summary = new Command("summary", "National or provincial figures") { mineralOption, fromOption, toOption };
        summary.SetAction((r, token) => Run(console, async () =>
        {
            using var http = NewHttp();
            var settings = Settings(r);
            var query = string.Join("&", new[] { ("province", settings.Province), ("mineral", r.GetValue(mineralOption)), ("from", r.GetValue(fromOption)), ("to", r.GetValue(toOption)) }
                .Where(p => !string.IsNullOrWhiteSpace(p.Item2)).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
            var (figures, age) = await new ApiClient(http, settings).GetSummaryAsync(query.Length == 0 ? "" : "?" + query, token);
            Reports.ShowSummary(console, figures, age);
            return ExitCodes.AllWentThrough;
        }));

        var periodOption = new Option<string?>("--period") { Description = "A Jalali period: 1399, 1399-Q1, 1399-H1, 1399-F5 (the first five months) or a month 1399-05" };
        var reportOut = new Option<FileInfo>("--out", "-o")
        {
            Description = "Where to write the report: .xlsx (a sheet per table) or .html (the printable page)",
            DefaultValueFactory = _ => new FileInfo("mineingest-report.xlsx"),
        };
        var report = new Command("report", "The programme's progress report for a period, in Persian, as a workbook or a printable page")
            { periodOption, fromOption, toOption, reportOut };
        report.SetAction((r, token) => Run(console, async () =>
        {
            var file = r.GetValue(reportOut)!;
            var format = file.Extension.TrimStart('.').ToLowerInvariant();
            if (format is not ("xlsx" or "html")) throw new CliException($"--out must name a .xlsx or .html file, not {file.Name}.");
            var settings = Settings(r);
            var query = string.Join("&", new[] { ("period", r.GetValue(periodOption)), ("from", r.GetValue(fromOption)), ("to", r.GetValue(toOption)), ("province", settings.Province) }
                .Where(p => !string.IsNullOrWhiteSpace(p.Item2)).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
            using var http = NewHttp();
            var bytes = await new ApiClient(http, settings).GetReportAsync(format == "xlsx" ? "report.xlsx" : "report", query, token);
            await File.WriteAllBytesAsync(file.FullName, bytes, token);
            console.MarkupLineInterpolated($"Progress report written to {file.FullName}");
            return ExitCodes.AllWentThrough;
        }));

        var keys = KeyCommands.Keys(console, Settings);

        var (login, logout) = SignInCommands.LoginAndLogout(console, Settings, environment);

        var root = new RootCommand("MineIngest: send mine surveys and see what became of their rows.")
        {
            apiOption, keyOption, provinceOption, configOption, storageOption, upload, watch, status, template, summary, report, rescore, withdraw, keys, login, logout,
            BackupCommands.Backup(console, Settings, writerKeyOption, environment), BackupCommands.Restore(console, Settings, environment),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) console.MarkupLineInterpolated($"[red]{error.Message}[/]");
            console.WriteLine("Run mineingest --help for the commands.");
            return ExitCodes.Error;
        }
        var output = new StringWriter();
        var exit = await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, ct);
        if (output.ToString() is { Length: > 0 } text) console.Profile.Out.Writer.Write(text); // help and version, as System.CommandLine laid them out
        return exit;
    }

    internal static HttpClient NewHttp() => new() { Timeout = TimeSpan.FromSeconds(100) };

    internal static async Task<int> Run(IAnsiConsole console, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (CliException ex)
        {
            console.MarkupLineInterpolated($"[red]{ex.Message}[/]");
            return ExitCodes.Error;
        }
        catch (OperationCanceledException)
        {
            console.WriteLine("Stopped.");
            return ExitCodes.Error;
        }
        catch (Azure.RequestFailedException ex)
        {
            console.MarkupLineInterpolated($"[red]Storage refused the request: {ex.Message.Split('\n')[0]}[/]");
            return ExitCodes.Error;
        }
    }
}
