using System.CommandLine;
using MineIngest.Domain;
using MineIngest.Pipeline.Events;
using Spectre.Console;

namespace MineIngest.Cli;

/// <summary>`mineingest upload|watch|events|status|withdraw|template`: a province's surveys, sent, followed and taken back.</summary>
public static class SurveyCommands
{
    /// <summary>Uploads survey files, and with --wait shows each report.</summary>
    public static Command Upload(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf)
    {
        var files = new Argument<FileInfo[]>("files") { Description = "Survey files (.xlsx, .xls, .csv)", Arity = ArgumentArity.OneOrMore };
        var waitOption = new Option<bool>("--wait") { Description = "Wait for each survey's report (told by the province's event stream) and show it" };
        var timeoutOption = new Option<int>("--timeout-minutes") { Description = "How long --wait waits", DefaultValueFactory = _ => 30 };
        var upload = new Command("upload", "Upload survey files for a province") { files, waitOption, timeoutOption };
        upload.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var settings = settingsOf(r);
            using var http = CliApp.NewHttp();
            var api = new ApiClient(http, settings);
            var sender = new SurveySender(api, console);
            var province = settings.RequireProvince();
            var outcomes = r.GetValue(waitOption) ? new SurveyOutcomes(new EventStream(api, settings, province, null), api, console, province) : null;
            var exit = ExitCodes.AllWentThrough;
            foreach (var file in r.GetValue(files)!)
            {
                var blob = await sender.SendAsync(file, province, token);
                if (outcomes is not null)
                    exit = Math.Max(exit, await outcomes.ShowAsync(await outcomes.WaitAsync(blob, TimeSpan.FromMinutes(r.GetValue(timeoutOption)), token), token));
            }
            return exit;
        }));
        return upload;
    }

    /// <summary>Uploads every new or changed spreadsheet of a folder once it has stopped growing.</summary>
    public static Command Watch(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf)
    {
        var folder = new Argument<DirectoryInfo>("folder") { Description = "Folder to watch" };
        var intervalOption = new Option<double>("--interval") { Description = "Seconds between looks at the folder", DefaultValueFactory = _ => 10 };
        var watch = new Command("watch", "Upload every new or changed spreadsheet in a folder, once it has stopped growing") { folder, intervalOption };
        watch.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var settings = settingsOf(r);
            if (settings.Credential is null) settings.RequireKey();
            using var http = CliApp.NewHttp();
            var api = new ApiClient(http, settings);
            var province = settings.RequireProvince();
            var watcher = new FolderWatcher(new SurveySender(api, console), console, r.GetValue(folder)!.FullName,
                province, TimeSpan.FromSeconds(Math.Max(0.1, r.GetValue(intervalOption))))
            {
                Outcomes = new SurveyOutcomes(new EventStream(api, settings, province, null), api, console, province),
            };
            return await watcher.RunAsync(token);
        }));
        return watch;
    }

    /// <summary>Prints a stream's events and takes each off once printed; with --follow, waits for more.</summary>
    public static Command Events(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf, Option<string?> writerKeyOption, Func<string, string?> environment)
    {
        var followOption = new Option<bool>("--follow", "-f") { Description = "Keep waiting for new events (Ctrl-C stops)" };
        var officeOption = new Option<bool>("--office") { Description = "The programme office's stream of every event (its writers) instead of a province's" };
        var jsonOption = new Option<bool>("--json") { Description = "Print each event as its CloudEvents JSON, one per line (for a province system's own loop)" };
        var events = new Command("events", "Print what happened to the province's surveys (survey.received, .completed, .failed, .withdrawn), taking each event off its stream once printed")
            { followOption, officeOption, jsonOption, writerKeyOption };
        events.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var settings = settingsOf(r);
            var office = r.GetValue(officeOption);
            var writerKey = office ? CliApp.WriterKey(r, writerKeyOption, environment, settings, "The office's stream") : null;
            using var http = CliApp.NewHttp();
            var stream = new EventStream(new ApiClient(http, settings), settings, office ? null : settings.RequireProvince(), writerKey);
            while (true)
            {
                var batch = await stream.ReceiveAsync(TimeSpan.FromSeconds(30), token);
                // In the order they happened: a queue keeps it roughly; a survey's own events also carry their sequence.
                foreach (var e in batch.OrderBy(e => e.Event.Time).ThenBy(e => e.Event.ExtensionAttributes.TryGetValue(PipelineEvents.Sequence, out var q) ? q?.ToString() : ""))
                {
                    console.Profile.Out.Writer.WriteLine(r.GetValue(jsonOption) ? e.Json : EventStream.Describe(e));
                    await stream.TakeOffAsync(e, token);
                }
                if (batch.Count > 0) continue;
                if (!r.GetValue(followOption)) return ExitCodes.AllWentThrough;
                await Task.Delay(TimeSpan.FromSeconds(1), token);
            }
        }));
        return events;
    }

    /// <summary>Shows a survey's report, and writes its rows to fix when asked.</summary>
    public static Command Status(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf)
    {
        var surveyArgument = new Argument<string>("survey") { Description = "A survey id, or a blob name such as kerman/20261126-101500-1a2b3c-survey.xlsx" };
        var errorsOutOption = new Option<FileInfo?>("--errors-out")
        {
            Description = "Also write the survey's rows to fix (rejected and failed rows as sent, with the reasons) to this .xlsx or .csv file",
        };
        var status = new Command("status", "Show a survey's report") { surveyArgument, errorsOutOption };
        status.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            using var http = CliApp.NewHttp();
            var api = new ApiClient(http, settingsOf(r));
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
        return status;
    }

    /// <summary>Withdraws a wrong survey (the office, or the province within its days).</summary>
    public static Command Withdraw(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf, Option<string?> writerKeyOption, Func<string, string?> environment)
    {
        var reasonOption = new Option<string>("--reason") { Description = "Why the survey is withdrawn (kept with it and with every mine it wrote)", Required = true };
        var withdrawSurvey = new Argument<string>("survey") { Description = "A survey id, or a blob name such as kerman/20261126-101500-1a2b3c-survey.xlsx" };
        var withdraw = new Command("withdraw", "Withdraw a wrong survey: every mine and figure returns to what it was without it "
            + "(the office's --writer-key, or the province's own --key within 7 days of the upload)") { withdrawSurvey, reasonOption, writerKeyOption };
        withdraw.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var settings = settingsOf(r);
            var writerKey = r.GetValue(writerKeyOption) ?? environment("MINEINGEST_WRITER_KEY");
            (string, string)? key = writerKey is not null ? (Pipeline.Api.OfficeApi.WriterKeyHeader, writerKey)
                : settings.Credential is not null ? null : (Pipeline.Api.ProvinceApi.ProvinceKeyHeader, settings.RequireKey());
            using var http = CliApp.NewHttp();
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
        return withdraw;
    }

    /// <summary>Writes the survey template; needs no connection.</summary>
    public static Command Template(IAnsiConsole console)
    {
        var templateOut = new Option<FileInfo>("--out", "-o")
        {
            Description = "Where to write the template", DefaultValueFactory = _ => new FileInfo(Domain.Writing.SurveyTemplate.FileName),
        };
        var template = new Command("template", "Write the survey template (xlsx: Persian and English headers, drop-downs, hints); needs no connection") { templateOut };
        template.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var file = r.GetValue(templateOut)!;
            await using (var stream = file.Create()) await Domain.Writing.SurveyTemplate.WriteAsync(stream, ReferenceData.Default, token);
            console.MarkupLineInterpolated($"Survey template written to {file.FullName}");
            return ExitCodes.AllWentThrough;
        }));
        return template;
    }
}
