using System.CommandLine;
using Spectre.Console;

namespace MineIngest.Cli;

/// <summary>`mineingest login` (device code, the tokens kept in the user's cache) and `mineingest logout`.</summary>
public static class SignInCommands
{
    public static (Command Login, Command Logout) LoginAndLogout(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf, Func<string, string?> environment)
    {
        var login = new Command("login", "Sign in as yourself (device code: open the address shown and enter the code), for the commands that follow");
        login.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var settings = settingsOf(r);
            var options = CliSettings.Authority(CliSettings.DeviceCodeOptions(environment), environment);
            options.DeviceCodeCallback = (code, _) =>
            {
                console.MarkupLineInterpolated($"To sign in, open {code.VerificationUri} and enter the code {code.UserCode}");
                return Task.CompletedTask;
            };
            var record = await new Azure.Identity.DeviceCodeCredential(options).AuthenticateAsync(new Azure.Core.TokenRequestContext([settings.Scope]), token);
            var path = CliSettings.SignInRecordPath(environment);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using (var file = File.Create(path)) await record.SerializeAsync(file, token);
            console.MarkupLineInterpolated($"Signed in as {record.Username}. The commands now send your sign-in; `mineingest logout` forgets it.");
            return ExitCodes.AllWentThrough;
        }));
        var logout = new Command("logout", "Forget the sign-in of `mineingest login`");
        logout.SetAction((_, _) => CliApp.Run(console, () =>
        {
            File.Delete(CliSettings.SignInRecordPath(environment));
            console.MarkupLine("Signed out.");
            return Task.FromResult(ExitCodes.AllWentThrough);
        }));
        return (login, logout);
    }
}
