using System.CommandLine;
using MineIngest.Domain;
using MineIngest.Pipeline.Access;
using Spectre.Console;

namespace MineIngest.Cli;

/// <summary>`mineingest keys create|list|revoke`: the provinces' upload keys, through the API when signed in, else straight to storage.</summary>
public static class KeyCommands
{
    public static Command Keys(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf) =>
        new("keys", "Province upload keys (for the programme office: through the API when signed in, else straight to storage)")
        {
            Create(console, settingsOf), List(console, settingsOf), Revoke(console, settingsOf),
        };

    /// <summary>Creates a key for a province and shows it once.</summary>
    private static Command Create(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf)
    {
        var create = new Command("create", "Create a key for a province and show it once");
        create.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var settings = settingsOf(r);
            string key;
            ProvinceKeyInfo info;
            if (settings.Credential is not null)
            {
                using var http = CliApp.NewHttp();
                var created = await new ApiClient(http, settings).CreateKeyAsync(settings.RequireProvince(), token);
                (info, key) = (new ProvinceKeyInfo(created.Province, created.Id, created.CreatedOn, null), created.Key);
            }
            else
            {
                var (store, folderName) = KeyStore(settings, requireProvince: true);
                (info, key) = await store.CreateAsync(folderName!, token);
            }
            console.MarkupLineInterpolated($"Key {info.Id} for {info.Province}:");
            console.WriteLine(key);
            console.MarkupLine("[yellow]Copy it now: it is stored only as a hash and cannot be shown again.[/]");
            return ExitCodes.AllWentThrough;
        }));
        return create;
    }

    /// <summary>Lists keys, of every province or one.</summary>
    private static Command List(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf)
    {
        var list = new Command("list", "List keys (all provinces, or --province)");
        list.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var settings = settingsOf(r);
            IReadOnlyList<ProvinceKeyInfo> listed;
            if (settings.Credential is not null)
            {
                using var http = CliApp.NewHttp();
                listed = await new ApiClient(http, settings).ListKeysAsync(settings.Province, token);
            }
            else
            {
                var (store, folderName) = KeyStore(settings, requireProvince: false);
                listed = await store.ListAsync(folderName, token);
            }
            var table = new Table().AddColumns("Province", "Key id", "Created (UTC)", "Revoked (UTC)");
            foreach (var k in listed)
                table.AddRow(k.Province, k.Id, k.CreatedOn.UtcDateTime.ToString("yyyy-MM-dd HH:mm"), k.RevokedOn?.UtcDateTime.ToString("yyyy-MM-dd HH:mm") ?? "");
            console.Write(table);
            return ExitCodes.AllWentThrough;
        }));
        return list;
    }

    /// <summary>Revokes a province's key, or all its keys.</summary>
    private static Command Revoke(IAnsiConsole console, Func<ParseResult, CliSettings> settingsOf)
    {
        var idOption = new Option<string?>("--id") { Description = "The key id to revoke; without it, every key of the province" };
        var revoke = new Command("revoke", "Revoke a province's key (or all its keys)") { idOption };
        revoke.SetAction((r, token) => CliApp.Run(console, async () =>
        {
            var settings = settingsOf(r);
            int revoked;
            string folderName;
            if (settings.Credential is not null)
            {
                folderName = settings.RequireProvince();
                var id = r.GetValue(idOption) ?? throw new CliException("Signed in, revoke one key at a time: --id.");
                using var http = CliApp.NewHttp();
                revoked = await new ApiClient(http, settings).RevokeKeyAsync(folderName, id, token);
            }
            else
            {
                var (store, folder) = KeyStore(settings, requireProvince: true);
                folderName = folder!;
                revoked = await store.RevokeAsync(folderName, r.GetValue(idOption), token);
            }
            if (revoked == 0) throw new CliException($"{folderName} has no live key{(r.GetValue(idOption) is { } id ? " with id " + id : "")}.");
            console.MarkupLineInterpolated($"Revoked {revoked} key(s) of {folderName}.");
            return ExitCodes.AllWentThrough;
        }));
        return revoke;
    }

    private static (ProvinceKeyStore Store, string? Folder) KeyStore(CliSettings settings, bool requireProvince)
    {
        var storage = BackupCommands.Storage(settings.Storage);
        var store = new ProvinceKeyStore(storage, ReferenceData.Default, TimeProvider.System);
        if (settings.Province is null)
            return requireProvince ? (store, settings.RequireProvince()) : (store, null);
        var folder = store.Scope(settings.Province)
                     ?? throw new CliException($"\"{settings.Province}\" is not a province of Iran (or national, or office for the programme office's writer key).");
        return (store, folder);
    }
}
