using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using MineIngest.Pipeline.Backup;
using MineIngest.Pipeline.Records;
using MineIngest.TestData;

/// <summary>
/// Backup and restore of a record of <c>rows</c> mines (--backup): the backup asked for through the route as the office
/// does, timed, with its bytes and the app's storage requests; the restore into a second, fresh Azurite with a host already
/// running on it, timed to the first /api/summary that counts every mine (the recovery time, the app's own part).
/// </summary>
internal static class Backups
{
    public static async Task<List<string[]>> RunAsync(string root, int runs, int rows)
    {
        var backups = new List<double>();
        var restores = new List<double>();
        var answered = new List<double>();
        string bytes = "", requests = "", restoreRequests = "";
        for (var run = 0; run < runs; run++)
        {
            await using var source = await Stack.StartAsync(root);
            await source.IngestAsync($"national/backup-{rows}.csv", Generated.Survey(rows, "national", allValid: true).ToCsv(), rows);
            var writer = (await new MineIngest.Pipeline.Access.ProvinceKeyStore(Storage(source.Connection), MineIngest.Domain.ReferenceData.Default, TimeProvider.System)
                .CreateAsync(MineIngest.Pipeline.Access.ProvinceKeyStore.OfficeScope, CancellationToken.None)).Key;
            var before = await source.RequestsAsync();
            var watch = Stopwatch.StartNew();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/backups");
            request.Headers.Add(MineIngest.Pipeline.Api.OfficeApi.WriterKeyHeader, writer);
            using var http = new HttpClient { BaseAddress = new Uri(source.Url), Timeout = TimeSpan.FromMinutes(10) };
            var response = await http.SendAsync(request);
            var made = await response.Content.ReadFromJsonAsync<JsonElement>();
            backups.Add(watch.Elapsed.TotalSeconds);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException("backup: " + made);
            var id = made.GetProperty("id").GetString()!;
            var after = await source.RequestsAsync();
            requests = string.Join(", ", after.Select(kv => (kv.Key, N: kv.Value - before.GetValueOrDefault(kv.Key))).Where(x => x.N > 0).OrderByDescending(x => x.N).Select(x => $"{x.Key} {x.N}"));
            var store = new BackupStore(Storage(source.Connection).Blobs.GetBlobContainerClient("backups"));
            var manifest = (await store.ManifestIfExistsAsync(id, CancellationToken.None))!;
            bytes = $"{manifest.Tables.Sum(t => t.Bytes) / 1e6:0.0} MB of tables (gzip) + {manifest.Blobs.Sum(b => b.Bytes) / 1e6:0.0} MB of files";
            Console.Error.WriteLine($"  backup {id}: {backups[^1]:0.0} s, {manifest.Entities:N0} entities, {bytes}; {requests}");

            await using var target = await Stack.StartAsync(root);
            var counter = new StorageRequestCounter();
            watch.Restart();
            using (var verified = await new BackupVerifier(store).VerifyAsync(id, null, _ => { }, CancellationToken.None))
                await new BackupRestorer(Storage(target.Connection, counter), TimeProvider.System).RestoreAsync(verified, replace: false, _ => { }, CancellationToken.None);
            restores.Add(watch.Elapsed.TotalSeconds);
            restoreRequests = string.Join(", ", counter.Snapshot().Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}"));
            // The host on the target was running all along: the restore's change-log entry makes its view read the mines.
            using var ask = new HttpRequestMessage(HttpMethod.Get, "/api/summary");
            ask.Headers.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { NoCache = true };
            using var targetHttp = new HttpClient { BaseAddress = new Uri(target.Url), Timeout = TimeSpan.FromMinutes(2) };
            var summary = await (await targetHttp.SendAsync(ask)).Content.ReadFromJsonAsync<JsonElement>();
            answered.Add(watch.Elapsed.TotalSeconds);
            if (summary.GetProperty("mines").GetInt32() != rows) throw new InvalidOperationException($"After the restore the summary counted {summary.GetProperty("mines")} mines, not {rows}.");
            Console.Error.WriteLine($"  restore: {restores[^1]:0.0} s, first exact summary at {answered[^1]:0.0} s; {restoreRequests}");
        }
        string Median(List<double> s) => $"{s.Order().ElementAt(s.Count / 2):0.0} s (runs {string.Join(", ", s.Select(x => x.ToString("0.0")))})";
        return
        [
            [$"Backup of {rows:N0} mines through POST /api/backups", Median(backups), ""],
            ["... its size; the app's storage requests", $"{bytes}; {requests}", ""],
            [$"Restore of that backup into an empty Azurite (checked, then written)", Median(restores), ""],
            ["... its storage requests", restoreRequests, ""],
            ["... to the first /api/summary counting every mine, on a host already running there", Median(answered), ""],
        ];
    }

    private static StorageClients Storage(string connection, StorageRequestCounter? counter = null) => StorageClients.FromConfiguration(
        new ConfigurationBuilder().AddInMemoryCollection([new("AzureWebJobsStorage", connection)]).Build(), counter);
}
