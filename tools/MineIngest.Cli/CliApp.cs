using System.CommandLine;
using MineIngest.Domain;
using Spectre.Console;

namespace MineIngest.Cli;

/// <summary>
/// The `mineingest` command line: the options every verb shares, and the verbs by group (<see cref="SurveyCommands"/>,
/// <see cref="OfficeCommands"/>, <see cref="KeyCommands"/>, <see cref="SignInCommands"/>, <see cref="BackupCommands"/>).
/// </summary>
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

        var writerKeyOption = new Option<string?>("--writer-key") { Description = "The programme office's writer key (env MINEINGEST_WRITER_KEY)" };
        var keys = KeyCommands.Keys(console, Settings);

        var (login, logout) = SignInCommands.LoginAndLogout(console, Settings, environment);

        var root = new RootCommand("MineIngest: send mine surveys and see what became of their rows.")
        {
            apiOption, keyOption, provinceOption, configOption, storageOption,
            SurveyCommands.Upload(console, Settings), SurveyCommands.Watch(console, Settings), SurveyCommands.Status(console, Settings),
            SurveyCommands.Events(console, Settings, writerKeyOption, environment),
            SurveyCommands.Template(console), OfficeCommands.Summary(console, Settings), OfficeCommands.Report(console, Settings),
            OfficeCommands.Rescore(console, Settings, writerKeyOption, environment), SurveyCommands.Withdraw(console, Settings, writerKeyOption, environment), keys, login, logout,
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

    /// <summary>
    /// The office's writer key from --writer-key or MINEINGEST_WRITER_KEY, or null when signed in (the token speaks for
    /// the writer); refused, naming <paramref name="what"/>, when neither.
    /// </summary>
    internal static string? WriterKey(ParseResult r, Option<string?> writerKeyOption, Func<string, string?> environment, CliSettings settings, string what)
    {
        var writerKey = r.GetValue(writerKeyOption) ?? environment("MINEINGEST_WRITER_KEY");
        if (writerKey is null && settings.Credential is null)
            throw new CliException(what + " needs the programme office's writer: sign in (" + CliSettings.HowToSignIn + ") or, with sign-in off, --writer-key or MINEINGEST_WRITER_KEY.");
        return writerKey;
    }

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
