using System.CommandLine;
using Microsoft.Extensions.Configuration;
using MineIngest.Pipeline.Backup;
using MineIngest.Pipeline.Records;
using Spectre.Console;

namespace MineIngest.Cli;

/// <summary>`mineingest backup` (through the API, as the office's writer) and `mineingest restore` (straight to storage, as an operator).</summary>
public static class BackupCommands
{
    public static Command Backup(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf, Option<string?> writerKeyOption, Func<string, string?> environment)
    {
        var backup = new Command("backup", "Make a backup of the whole record now (programme office's writers); `restore` puts one back") { writerKeyOption };
        backup.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var settings = settingsOf(r);
            var writerKey = CliApp.WriterKey(r, writerKeyOption, environment, settings, "A backup");
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            var made = await new ApiClient(http, settings).CreateBackupAsync(writerKey, token);
            console.MarkupLineInterpolated($"Backup {made.Id}: {made.Entities} entities in {made.Tables.Count} tables and {made.Files} files, as of {made.PointInTime:u}.");
            if (made.LeftOut.Count > 0)
                console.MarkupLineInterpolated($"{made.LeftOut.Count} survey(s) still being read or scored are not in it; after a restore they are read again from their uploads.");
            return ExitCodes.AllWentThrough;
        }));
        return backup;
    }

    public static Command Restore(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf, Func<string, string?> environment)
    {
        var idOption = new Option<string>("--backup") { Description = "The backup's id (as `mineingest backup` or GET /api/backups shows it)", Required = true };
        var toOption = new Option<string>("--to") { Description = "The storage to restore into: a connection string, or an account name to use your Azure sign-in", Required = true };
        var fromOption = new Option<string?>("--from") { Description = "The storage that keeps the backups (env MINEINGEST_BACKUP_STORAGE; default --storage)" };
        var containerOption = new Option<string>("--container") { Description = "The backups' container", DefaultValueFactory = _ => new BackupOptions().Container };
        var provinceOption = new Option<string?>("--only-province") { Description = "Restore only this province's mines and their histories (e.g. kerman)" };
        var replaceOption = new Option<bool>("--replace") { Description = "Restore into storage that holds records: they become exactly the backup's" };
        var restore = new Command("restore", "Restore a backup into empty storage (checked against its manifest before anything is written)")
            { idOption, toOption, fromOption, containerOption, provinceOption, replaceOption };
        restore.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var from = r.GetValue(fromOption) ?? environment("MINEINGEST_BACKUP_STORAGE") ?? settingsOf(r).Storage;
            var store = new BackupStore(Storage(from).Blobs.GetBlobContainerClient(r.GetValue(containerOption)!));
            var target = Storage(r.GetValue(toOption)!);
            var province = r.GetValue(provinceOption) is { } p
                ? Domain.ReferenceData.Default.FindProvince(p)?.Slug ?? throw new CliException($"\"{p}\" is not a province of Iran.") : null;
            void Progress(string line) => console.MarkupLineInterpolated($"[grey]{line}[/]");
            try
            {
                using var verified = await new BackupVerifier(store).VerifyAsync(r.GetValue(idOption)!, province, Progress, token);
                var result = await new BackupRestorer(target, TimeProvider.System).RestoreAsync(verified, r.GetValue(replaceOption), Progress, token);
                console.MarkupLineInterpolated($"Restored backup {result.BackupId} (as of {result.PointInTime:u}): {result.Total} entities in {result.Entities.Count} tables, {result.Files} files.");
                foreach (var (table, count) in result.Entities.Where(e => e.Value > 0)) console.MarkupLineInterpolated($"  {table}: {count}");
                if (result.Removed > 0) console.MarkupLineInterpolated($"{result.Removed} record(s) not in the backup were removed.");
                if (verified.Manifest.LeftOut.Count > 0)
                    console.MarkupLineInterpolated($"{verified.Manifest.LeftOut.Count} survey(s) in progress at the backup are read again from their uploads once the app runs.");
                return ExitCodes.AllWentThrough;
            }
            catch (BackupRefusedException ex)
            {
                throw new CliException(ex.Message + " Nothing was written.");
            }
        }));
        return restore;
    }

    /// <summary>Storage from a connection string, or an account name reached with the user's Azure sign-in.</summary>
    internal static StorageClients Storage(string connectionOrAccount) => StorageClients.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(
        connectionOrAccount.Contains('=')
            ? new Dictionary<string, string?> { [StorageClients.ConnectionName] = connectionOrAccount }
            : new Dictionary<string, string?> { [$"{StorageClients.ConnectionName}:accountName"] = connectionOrAccount }).Build());
}
