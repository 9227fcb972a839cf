using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using MineIngest.Cli;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Backup;
using MineIngest.Pipeline.Records;
using MineIngest.TestData;
using Xunit.Abstractions;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The restore drill: a record holding every kind of entry is backed up, its tables deleted, the backup restored into a
/// fresh Azurite, and a new host on it answers every route as the old one did. Then a backup taken mid-survey, damaged
/// backups, a non-empty target and one province alone.
/// </summary>
public sealed class BackupRestoreTests(ITestOutputHelper output)
{
    /// <summary>Every route a person reads, with what each answered; the freshness fields (when the view was checked) aside.</summary>
    private static async Task<Dictionary<string, string>> AnswersAsync(HttpClient http, string writerKey, IEnumerable<string> surveyIds)
    {
        var routes = new List<string>
        {
            "/api/summary", "/api/summary?province=kerman", "/api/summary?from=2020-01-01&to=2020-12-31", "/api/summary?from=1399-01-01&to=1399-12-30",
            "/api/summary?mineral=chromite&from=2021-01-01&to=2021-12-31", "/api/mines", "/api/mines?province=yazd", "/api/mines?tier=B",
            "/api/mines/kerman/K-1", "/api/mines/kerman/K-2", "/api/mines/kerman/K-3", "/api/mines/kerman/K-7", "/api/mines/yazd/Y-1", "/api/mines/kerman/K-9",
            "/api/mines/kerman/K-1/history", "/api/mines/kerman/K-2/history", "/api/mines/yazd/Y-2/history",
            "/api/mines/kerman/K-1/solution", "/api/committees", "/api/report?period=1399", "/api/report?period=1400&lang=en", "/api/investor-list.csv",
            "/api/surveys", "/api/audit?from=2000-01-01&to=2100-01-01", "/api/audit.csv?from=2000-01-01&to=2100-01-01", "/api/mines.csv",
            "/api/mines/kerman/K-1/photos", $"/api/mines/kerman/K-1/photos/{surveyIds.First()}-1.jpg",
        };
        foreach (var id in surveyIds) routes.AddRange([$"/api/surveys/{id}", $"/api/surveys/{id}/errors.csv", $"/api/surveys/{id}/errors.json"]);
        var answers = new Dictionary<string, string>();
        foreach (var route in routes)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, route);
            request.Headers.Add(OfficeApi.WriterKeyHeader, writerKey);
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            answers[route] = $"{(int)response.StatusCode} " + (response.Content.Headers.ContentType?.MediaType switch
            {
                "application/json" => WithoutFreshness(body),
                "image/jpeg" => "jpeg sha256 " + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await response.Content.ReadAsByteArrayAsync())),
                _ => body,
            });
        }
        using var keys = new HttpRequestMessage(HttpMethod.Get, "/api/keys");
        keys.Headers.Add(OfficeApi.WriterKeyHeader, writerKey);
        answers["/api/keys"] = await (await http.SendAsync(keys)).Content.ReadAsStringAsync();
        return answers;
    }

    private static string WithoutFreshness(string json)
    {
        var node = JsonNode.Parse(json);
        if (node is JsonObject o) foreach (var name in new[] { "asOf", "checkedAt", "ageSeconds", "stale" }) o.Remove(name);
        return node?.ToJsonString() ?? "";
    }

    private static async Task<JsonElement> UploadAndWaitAsync(Azurite azurite, HttpClient http, string blob, SurveyBuilder survey)
    {
        var container = new BlobContainerClient(azurite.ConnectionString, PipelineOptions.SurveysContainer);
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(survey.ToCsv()), overwrite: true);
        return await PipelineFixture.WaitForSurveyAsync(http, blob, timeout: TimeSpan.FromMinutes(3));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string writerKey, object? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add(OfficeApi.WriterKeyHeader, writerKey);
        return await http.SendAsync(request);
    }

    private static RowBuilder Yazd(string id) => RowBuilder.WorkedExample(id, "yazd").Set("latitude", 31.9).Set("longitude", 54.4).Set("mineral", "iron-ore");

    /// <summary>A record with every kind of entry: surveys with rejected rows and warnings, histories, a withdrawal, a solution changed, a meeting, audit entries and keys.</summary>
    private static async Task<(string WriterKey, List<string> SurveyIds)> FillAsync(Azurite azurite, HttpClient http)
    {
        var writer = await TestCli.KeyAsync(azurite, "office");
        var kerman = await TestCli.KeyAsync(azurite, "kerman");
        var ids = new List<string>();
        async Task Survey(string blob, SurveyBuilder survey) => ids.Add((await UploadAndWaitAsync(azurite, http, blob, survey)).GetProperty("id").GetString()!);

        await Survey("kerman/k-2020.csv", new SurveyBuilder().AddMany(5, i => RowBuilder.WorkedExample($"K-{i + 1}"))
            .Add(RowBuilder.WorkedExample("K-6").Set("latitude", 41.2))      // rejected: outside Iran
            .Add(RowBuilder.WorkedExample("K-7").Set("grade_pct", 10)));     // accepted with a warning
        // A surveyor's photo of K-1, sent with the first survey.
        using (var photo = new HttpRequestMessage(HttpMethod.Put, $"/api/provinces/kerman/surveys/{ids[0]}/mines/K-1/photos/1") { Content = new ByteArrayContent(PhotoBuilder.CameraJpeg(2000, 1500)) })
        {
            photo.Headers.Add(ProvinceApi.ProvinceKeyHeader, kerman);
            Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(photo)).StatusCode);
        }
        await Survey("yazd/y-2021.csv", new SurveyBuilder().AddMany(3, i => Yazd($"Y-{i + 1}").Set("survey_date", new DateOnly(2021, 2, 1))));
        await Survey("kerman/k-2021.csv", new SurveyBuilder()
            .Add(RowBuilder.WorkedExample("K-1").Set("survey_date", new DateOnly(2021, 6, 1)).Set("status", "revived").Set("revived_on", new DateOnly(2021, 5, 20)).Set("jobs_created", 12))
            .Add(Yazd("Y-2").Set("survey_date", new DateOnly(2021, 7, 1)).Set("status", "reviving")));
        await Survey("kerman/k-wrong.csv", new SurveyBuilder()
            .Add(RowBuilder.WorkedExample("K-2").Set("survey_date", new DateOnly(2022, 1, 1)).Set("jobs_potential", 90))
            .Add(RowBuilder.WorkedExample("K-9").Set("survey_date", new DateOnly(2022, 1, 1))));

        var withdraw = await SendAsync(http, HttpMethod.Post, $"/api/surveys/{ids[^1]}/withdraw", writer, new WithdrawRequest("Typed into the wrong template"));
        Assert.True(withdraw.IsSuccessStatusCode, await withdraw.Content.ReadAsStringAsync());
        for (var i = 0; i < 240 && (await PipelineFixture.GetJsonAsync(http, $"/api/surveys/{ids[^1]}")).GetProperty("status").GetString() != "withdrawn"; i++) await Task.Delay(250);

        foreach (var state in new[] { "proposed", "agreed" })
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Put, "/api/mines/kerman/K-1/solution", writer,
                new { text = "Lease a crusher through the provincial fund", responsibleBody = "Kerman industry office", targetDate = "1404-06-31", state })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(http, HttpMethod.Post, "/api/committees", writer, new
        {
            date = "1403-05-01", province = "kerman", investors = new[] { "Investor A", "Investor B" }, notes = "Second meeting in Kerman",
            mines = new[] { new { mineId = "K-1", outcome = "interested" }, new { mineId = "K-3", outcome = "declined" } },
        })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(http, HttpMethod.Post, "/api/keys", writer, new { province = "yazd" })).StatusCode);
        return (writer, ids);
    }

    [Fact]
    public async Task A_record_backed_up_then_deleted_is_restored_into_a_new_storage_and_answers_every_route_as_before()
    {
        using var source = new Azurite();
        string writer, backupId;
        Dictionary<string, string> before;
        using (var host = LocalHostProcess.Start(source, null, "--LocalHost:SweepSeconds=0.5", "--Pipeline:RowsPerChunk=3", "--LocalHost:BackupMinutes=0"))
        {
            (writer, var ids) = await FillAsync(source, host.Http);
            var (exit, output) = await TestCli.RunAsync("backup", "--writer-key", writer, "--api", host.Url + "/api");
            Assert.True(exit == 0, output);
            backupId = output.Split(' ', ':')[1];
            before = await AnswersAsync(host.Http, writer, ids);
            Assert.DoesNotContain(before, a => !a.Value.StartsWith("200 ", StringComparison.Ordinal) && a.Key != "/api/mines/kerman/K-9" && a.Key != "/api/keys");
            Assert.StartsWith("404 ", before["/api/mines/kerman/K-9"]); // removed by the withdrawal
            await host.KillAsync();
        }

        // Every table gone, as after `az storage table delete` run against the wrong account.
        var tables = new TableServiceClient(source.ConnectionString);
        await foreach (var table in tables.QueryAsync()) await tables.DeleteTableAsync(table.Name);

        using var target = new Azurite();
        var restore = await TestCli.RunAsync("restore", "--backup", backupId, "--from", source.ConnectionString, "--to", target.ConnectionString);
        Assert.True(restore.Exit == 0, restore.Output);
        Assert.Contains($"Restored backup {backupId}", restore.Output);

        using var restored = LocalHostProcess.Start(target, null, "--LocalHost:SweepSeconds=0.5", "--LocalHost:BackupMinutes=0");
        await WaitUntilAnsweringAsync(restored);
        var after = await AnswersAsync(restored.Http, writer, before.Keys.Where(k => k.StartsWith("/api/surveys/", StringComparison.Ordinal) && k.Count(c => c == '/') == 3).Select(k => k.Split('/')[3]));
        foreach (var (route, answer) in before) Assert.True(answer == after[route], $"{route}\nbefore: {answer}\nafter:  {after[route]}");
    }

    [Fact]
    public async Task A_backup_taken_while_a_20000_row_survey_is_scored_restores_without_any_of_it_and_the_survey_is_read_again_exactly()
    {
        const int rows = 20_000;
        using var source = new Azurite();
        var earlier = Generated.Survey(200, "national", allValid: true);
        foreach (var row in earlier.Rows) row.Set("survey_date", new DateOnly(2019, 1, 1));
        BackupDto backup;
        string bigId;
        Dictionary<string, string> before;
        using (var host = LocalHostProcess.Start(source, null, "--LocalHost:SweepSeconds=0.5", "--Pipeline:RowsPerChunk=1000", "--LocalHost:BackupMinutes=0"))
        {
            var writer = await TestCli.KeyAsync(source, "office");
            await UploadAndWaitAsync(source, host.Http, "national/earlier.csv", earlier);
            var container = new BlobContainerClient(source.ConnectionString, PipelineOptions.SurveysContainer);
            await container.GetBlobClient("national/round-20000.csv").UploadAsync(BinaryData.FromBytes(Generated.Survey(rows, "national").ToCsv()));
            // The backup is asked for once some of the survey's mines are written and before all of them are.
            JsonElement progress;
            do
            {
                await Task.Delay(100);
                var list = (await PipelineFixture.GetJsonAsync(host.Http, "/api/surveys?blob=national/round-20000.csv")).GetProperty("items");
                progress = list.GetArrayLength() > 0 ? list[0] : default;
            }
            while (progress.ValueKind == JsonValueKind.Undefined || progress.GetProperty("accepted").GetInt32() == 0);
            bigId = progress.GetProperty("id").GetString()!;
            var response = await SendAsync(host.Http, HttpMethod.Post, "/api/backups", writer);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            backup = (await response.Content.ReadFromJsonAsync<BackupDto>(ApiResults.Json))!;
            var survey = await PipelineFixture.WaitForSurveyAsync(host.Http, "national/round-20000.csv", timeout: TimeSpan.FromMinutes(5));
            Assert.Equal("completed", survey.GetProperty("status").GetString());
            before = await MineAnswersAsync(host.Http, bigId);
            await host.KillAsync();
        }

        using var target = new Azurite();
        var restore = await TestCli.RunAsync("restore", "--backup", backup.Id, "--from", source.ConnectionString, "--to", target.ConnectionString);
        Assert.True(restore.Exit == 0, restore.Output);
        var storage = StorageClients.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection([new("AzureWebJobsStorage", target.ConnectionString)]).Build());
        var mines = new List<TableEntity>();
        foreach (var (_, table) in storage.AllMines) await foreach (var m in table.QueryAsync<TableEntity>()) mines.Add(m);
        var restoredSurvey = (await storage.SurveyTable.GetEntityAsync<SurveyEntity>(SurveyEntity.Partition, bigId)).Value;
        output.WriteLine($"Backup {backup.Id}: {backup.Entities} entities, surveys left out: {string.Join(", ", backup.LeftOut.Select(s => s.Blob))}");
        if (backup.LeftOut.Any(s => s.Id == bigId))
        {
            // Wholly absent: its record says only that the file was received; no chunk, row error, mine or version of it.
            Assert.Equal((SurveyStage.Reading, 0, 0), (restoredSurvey.Stage, restoredSurvey.Rows, restoredSurvey.Accepted));
            Assert.Empty(await storage.ChunkResults.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {bigId}")).ToListAsync());
            Assert.Empty(await storage.RowErrors.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {bigId}")).ToListAsync());
            Assert.Equal(earlier.Rows.Count, mines.Count);
            Assert.All(mines, m => Assert.Equal(("2019-01-01", 1), (MineEntity.From(m).SurveyDate, MineHistory.VersionsOf(MineEntity.From(m), m).Count)));
        }
        else
        {
            // Wholly in it: settled before the backup began, with its exact counts.
            Assert.Equal((rows, rows - rows / 20, rows / 20), (restoredSurvey.Rows, restoredSurvey.Accepted, restoredSurvey.Rejected));
        }

        using var restored = LocalHostProcess.Start(target, null, "--LocalHost:SweepSeconds=0.5", "--Pipeline:RowsPerChunk=1000", "--LocalHost:BackupMinutes=0");
        var report = await PipelineFixture.WaitForSurveyAsync(restored.Http, "national/round-20000.csv", timeout: TimeSpan.FromMinutes(5));
        Assert.Equal("completed", report.GetProperty("status").GetString());
        var after = await MineAnswersAsync(restored.Http, bigId);
        foreach (var (route, answer) in before) Assert.True(answer == after[route], $"{route}\nbefore: {answer}\nafter:  {after[route]}");
    }

    private static async Task<Dictionary<string, string>> MineAnswersAsync(HttpClient http, string surveyId)
    {
        var answers = new Dictionary<string, string>();
        var routes = new List<string> { "/api/summary", "/api/mines?top=100", $"/api/surveys/{surveyId}", "/api/mines?province=tehran&top=5000" };
        var provinces = Domain.ReferenceData.Default.Provinces;
        foreach (var i in new[] { 0, 1, 2, 7, 19, 150, 199, 5000, 19_999 }) routes.Add($"/api/mines/{provinces[i % provinces.Count].Slug}/G-{i:D6}/history");
        foreach (var route in routes)
        {
            using var response = await http.GetAsync(route);
            answers[route] = $"{(int)response.StatusCode} " + WithoutFreshness(await response.Content.ReadAsStringAsync());
        }
        return answers;
    }

    [Fact]
    public async Task A_damaged_incomplete_or_newer_backup_is_refused_before_anything_is_written_and_a_province_is_restored_alone()
    {
        using var source = new Azurite();
        string backupId;
        using (var host = LocalHostProcess.Start(source, null, "--LocalHost:SweepSeconds=0.5", "--LocalHost:BackupMinutes=0"))
        {
            var writer = await TestCli.KeyAsync(source, "office");
            await UploadAndWaitAsync(source, host.Http, "kerman/k.csv", new SurveyBuilder().AddMany(4, i => RowBuilder.WorkedExample($"K-{i + 1}")));
            await UploadAndWaitAsync(source, host.Http, "yazd/y.csv", new SurveyBuilder().AddMany(3, i => Yazd($"Y-{i + 1}")));
            var (exit, said) = await TestCli.RunAsync("backup", "--writer-key", writer, "--api", host.Url + "/api");
            Assert.True(exit == 0, said);
            backupId = said.Split(' ', ':')[1];
        }
        var backups = new BlobContainerClient(source.ConnectionString, "backups");
        var kermanFile = $"{backupId}/{BackupLayout.TableFile(PipelineOptions.MinesTableOf("kerman"))}";
        var original = (await backups.GetBlobClient(kermanFile).DownloadContentAsync()).Value.Content.ToArray();
        var manifest = (await backups.GetBlobClient(BackupLayout.Manifest(backupId)).DownloadContentAsync()).Value.Content.ToString();

        using var target = new Azurite();
        Task<(int Exit, string Output)> Restore(params string[] more) =>
            TestCli.RunAsync(["restore", "--backup", backupId, "--from", source.ConnectionString, "--to", target.ConnectionString, .. more]);
        async Task AssertRefusedAsync(string expected)
        {
            var (exit, said) = await Restore();
            Assert.NotEqual(0, exit);
            Assert.Contains(expected, said);
            Assert.Contains("Nothing was written.", said);
            Assert.Empty(await new TableServiceClient(target.ConnectionString).QueryAsync().ToListAsync());
            Assert.Empty(await new BlobServiceClient(target.ConnectionString).GetBlobContainersAsync().ToListAsync());
        }

        var damaged = original.ToArray();
        damaged[damaged.Length / 2] ^= 0x01;
        await backups.GetBlobClient(kermanFile).UploadAsync(BinaryData.FromBytes(damaged), overwrite: true);
        await AssertRefusedAsync($"Backup is damaged: {BackupLayout.TableFile(PipelineOptions.MinesTableOf("kerman"))} has");
        await backups.GetBlobClient(kermanFile).DeleteAsync();
        await AssertRefusedAsync($"Backup is incomplete: {BackupLayout.TableFile(PipelineOptions.MinesTableOf("kerman"))} is missing");
        await backups.GetBlobClient(kermanFile).UploadAsync(BinaryData.FromBytes(original), overwrite: true);
        await backups.GetBlobClient(BackupLayout.Manifest(backupId)).UploadAsync(BinaryData.FromString(manifest.Replace("\"format\": 1,", "\"format\": 2,")), overwrite: true);
        await AssertRefusedAsync("is in format 2, newer than this app reads (format 1)");
        await backups.GetBlobClient(BackupLayout.Manifest(backupId)).UploadAsync(BinaryData.FromString(manifest), overwrite: true);

        var restored = await Restore();
        Assert.True(restored.Exit == 0, restored.Output);
        Assert.Contains(PipelineOptions.MinesTableOf("kerman") + ": 4", restored.Output);
        var again = await Restore();
        Assert.NotEqual(0, again.Exit);
        Assert.Contains("The target is not empty", again.Output);
        Assert.Contains("--replace", again.Output);

        // One province's mines damaged (one deleted, one changed, one added) and Yazd's changed too: Kerman alone comes back.
        var kerman = new TableClient(target.ConnectionString, PipelineOptions.MinesTableOf("kerman"));
        var yazd = new TableClient(target.ConnectionString, PipelineOptions.MinesTableOf("yazd"));
        var before = await kerman.QueryAsync<TableEntity>().ToListAsync();
        await kerman.DeleteEntityAsync("kerman", before[0].RowKey);
        await kerman.UpsertEntityAsync(new TableEntity("kerman", before[1].RowKey) { ["Notes"] = "overwritten by a wrong script" }, TableUpdateMode.Merge);
        await kerman.AddEntityAsync(new TableEntity("kerman", "stray") { ["Data"] = before[2].GetString("Data") });
        await yazd.UpsertEntityAsync(new TableEntity("yazd", "Y-1") { ["Notes"] = "a change made since the backup" }, TableUpdateMode.Merge);
        var province = await Restore("--only-province", "kerman", "--replace");
        Assert.True(province.Exit == 0, province.Output);
        Assert.Contains("1 record(s) not in the backup were removed", province.Output);
        var after = await kerman.QueryAsync<TableEntity>().ToListAsync();
        Assert.Equal(before.Select(e => (e.RowKey, e.GetString("Data"), e.GetString("Notes"))), after.Select(e => (e.RowKey, e.GetString("Data"), e.GetString("Notes"))));
        Assert.Equal("a change made since the backup", (await yazd.GetEntityAsync<TableEntity>("yazd", "Y-1")).Value.GetString("Notes"));
        Assert.Equal(2, (await new TableClient(target.ConnectionString, PipelineOptions.SurveysTable).QueryAsync<TableEntity>().ToListAsync())
            .Count(e => e.PartitionKey == SurveyEntity.Partition));
    }

    internal static async Task WaitUntilAnsweringAsync(LocalHostProcess host)
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                if ((await host.Http.GetAsync("/api/upload/limits")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            Assert.False(host.HasExited, host.LogTail);
            await Task.Delay(100);
        }
        throw new TimeoutException("The host did not answer: " + host.LogTail);
    }
}
