using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using MineIngest.Cli;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Backup;
using MineIngest.Pipeline.Records;
using MineIngest.TestData;
using Spectre.Console;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The restore drill: a record holding every kind of entry is backed up, its tables deleted, the backup restored into a
/// fresh Azurite, and a new host on it answers every route as the old one did. Then a backup taken mid-survey, damaged
/// backups, a non-empty target and one province alone.
/// </summary>
public sealed class BackupRestoreTests
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
        };
        foreach (var id in surveyIds) routes.AddRange([$"/api/surveys/{id}", $"/api/surveys/{id}/errors.csv", $"/api/surveys/{id}/errors.json"]);
        var answers = new Dictionary<string, string>();
        foreach (var route in routes)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, route);
            request.Headers.Add(OfficeApi.WriterKeyHeader, writerKey);
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            answers[route] = $"{(int)response.StatusCode} " + (response.Content.Headers.ContentType?.MediaType == "application/json" ? WithoutFreshness(body) : body);
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

    internal static async Task<(int Exit, string Output)> CliAsync(params string[] args)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 400;
        var exit = await Task.Run(() => CliApp.RunAsync(args, console, _ => null, CancellationToken.None));
        return (exit, output.ToString());
    }

    private static async Task<string> KeyAsync(Azurite azurite, string province)
    {
        var (exit, output) = await CliAsync("keys", "create", "--province", province, "--storage", azurite.ConnectionString);
        Assert.Equal(0, exit);
        return output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(province + ".", StringComparison.Ordinal));
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
        var writer = await KeyAsync(azurite, "office");
        await KeyAsync(azurite, "kerman");
        var ids = new List<string>();
        async Task Survey(string blob, SurveyBuilder survey) => ids.Add((await UploadAndWaitAsync(azurite, http, blob, survey)).GetProperty("id").GetString()!);

        await Survey("kerman/k-2020.csv", new SurveyBuilder().AddMany(5, i => RowBuilder.WorkedExample($"K-{i + 1}"))
            .Add(RowBuilder.WorkedExample("K-6").Set("latitude", 41.2))      // rejected: outside Iran
            .Add(RowBuilder.WorkedExample("K-7").Set("grade_pct", 10)));     // accepted with a warning
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
            var (exit, output) = await CliAsync("backup", "--writer-key", writer, "--api", host.Url + "/api");
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
        var restore = await CliAsync("restore", "--backup", backupId, "--from", source.ConnectionString, "--to", target.ConnectionString);
        Assert.True(restore.Exit == 0, restore.Output);
        Assert.Contains($"Restored backup {backupId}", restore.Output);

        using var restored = LocalHostProcess.Start(target, null, "--LocalHost:SweepSeconds=0.5", "--LocalHost:BackupMinutes=0");
        await WaitUntilAnsweringAsync(restored);
        var after = await AnswersAsync(restored.Http, writer, before.Keys.Where(k => k.StartsWith("/api/surveys/", StringComparison.Ordinal) && k.Count(c => c == '/') == 3).Select(k => k.Split('/')[3]));
        foreach (var (route, answer) in before) Assert.True(answer == after[route], $"{route}\nbefore: {answer}\nafter:  {after[route]}");
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
