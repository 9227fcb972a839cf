using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using MineIngest.Domain;
using MineIngest.TestData;
using Xunit.Abstractions;

using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// Re-scoring when the criteria change, with the local host as its own process: a weight changed, every mine
/// scored again with it, the run survives a host kill, and a newer survey arriving meanwhile keeps its own row.
/// </summary>
public sealed class RescoreTests(ITestOutputHelper output) : IDisposable
{
    private const int KermanMines = 6_000; // 12 pages of 500, done one after another: long enough to kill the host mid-run
    private readonly Azurite _azurite = new();

    private static readonly string[] NewWeights = ["--Scoring:Resource=0.35", "--Scoring:Grade=0.10"];

    private LocalHostProcess StartHost(string url, params string[] settings) => LocalHostProcess.Start(_azurite, url,
        ["--Pipeline:RecoverAfterSeconds=6", "--LocalHost:SweepSeconds=0.5", "--extensions:queues:maxPollingInterval=00:00:00.500", .. settings]);

    private async Task<Dictionary<string, MineEntity>> ReadMinesAsync()
    {
        var mines = new Dictionary<string, MineEntity>();
        var tables = new TableServiceClient(_azurite.ConnectionString);
        foreach (var province in ReferenceData.Default.Provinces)
        {
            await foreach (var m in tables.GetTableClient(PipelineOptions.MinesTableOf(province.Slug)).QueryAsync<MineEntity>()) mines[$"{m.PartitionKey}/{m.RowKey}"] = m;
        }
        return mines;
    }

    private static async Task<JsonElement?> RescoreStatusAsync(HttpClient http)
    {
        try
        {
            var health = await http.GetFromJsonAsync<JsonElement>("/api/health");
            var rescore = health.GetProperty("backlog").GetProperty("rescore");
            return rescore.ValueKind == JsonValueKind.Null ? null : rescore;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    [Fact]
    public async Task A_changed_weight_rescores_every_mine_resumes_after_a_kill_and_loses_to_a_newer_survey()
    {
        var url = $"http://127.0.0.1:{_azurite.HostPort()}";
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var surveys = new BlobContainerClient(_azurite.ConnectionString, PipelineOptions.SurveysContainer);
        var random = new Random(14);
        var kerman = new SurveyBuilder().AddMany(KermanMines, i => RowBuilder.WorkedExample($"RS-{i:D5}", "kerman")
            .Set("reserve_tonnes", random.Next(1_000, 400_000)).Set("grade_pct", Math.Round(20 + random.NextDouble() * 25, 1)));

        var defaults = new ScoringOptions();
        using (var first = StartHost(url))
        {
            await surveys.CreateIfNotExistsAsync();
            await surveys.GetBlobClient("kerman/round-1.csv").UploadAsync(BinaryData.FromBytes(kerman.ToCsv()));
            await surveys.GetBlobClient("national/round-1.csv").UploadAsync(BinaryData.FromBytes(Generated.Survey(400, "national").ToCsv()));
            await PipelineFixture.WaitForSurveyAsync(http, "kerman/round-1.csv", timeout: TimeSpan.FromSeconds(180));
            await PipelineFixture.WaitForSurveyAsync(http, "national/round-1.csv", timeout: TimeSpan.FromSeconds(180));
            await first.KillAsync();
        }
        var before = await ReadMinesAsync();
        Assert.Equal(KermanMines + 380, before.Count);
        Assert.All(before.Values, m => Assert.Equal(defaults.Fingerprint(), m.ScoredWith));

        // The criteria change: the host starts with other weights and starts a run by itself.
        var changed = new ScoringOptions { Resource = 0.35, Grade = 0.10 };
        var clock = Stopwatch.StartNew();
        JsonElement? seen = null;
        using (var second = StartHost(url, NewWeights))
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(120))
            {
                if (await RescoreStatusAsync(http) is { } s && s.GetProperty("fingerprint").GetString() == changed.Fingerprint() && s.GetProperty("done").GetInt32() > 0)
                {
                    seen = s;
                    break;
                }
                await Task.Delay(100);
            }
            Assert.True(seen is not null, second.LogTail);
            // A newer survey of ten mines arrives while the run goes on.
            await surveys.GetBlobClient("kerman/round-2.csv").UploadAsync(BinaryData.FromBytes(new SurveyBuilder()
                .AddMany(10, i => RowBuilder.WorkedExample($"RS-{KermanMines - 1 - i:D5}", "kerman").Set("survey_date", "2024-05-01").Set("jobs_potential", 77)).ToCsv()));
            await PipelineFixture.WaitForSurveyAsync(http, "kerman/round-2.csv", timeout: TimeSpan.FromSeconds(60));
            seen = await RescoreStatusAsync(http);
            await second.KillAsync();
        }
        output.WriteLine($"Killed after {clock.Elapsed.TotalSeconds:0.0} s: {seen}");
        Assert.True(seen!.Value.GetProperty("pending").GetInt32() > 0, "The host was killed after the run ended: nothing to resume.");

        using (var third = StartHost(url, NewWeights))
        {
            JsonElement? status = null;
            while (clock.Elapsed < TimeSpan.FromSeconds(300))
            {
                status = await RescoreStatusAsync(http);
                if (status?.GetProperty("status").GetString() == "completed") break;
                await Task.Delay(250);
            }
            output.WriteLine($"Run after restart: {status} at {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.Equal("completed", status?.GetProperty("status").GetString());
            Assert.Equal(before.Count, status!.Value.GetProperty("mines").GetInt32());
            Assert.Equal(before.Count, status.Value.GetProperty("done").GetInt32());
            // Never more writes than mines: a page done again writes none of what it wrote before (ten were the newer survey's).
            // The page the kill cut short wrote its mines but was counted when redone, with none left to write: at most 500 uncounted.
            var rescored = status.Value.GetProperty("rescored").GetInt32();
            Assert.InRange(rescored, before.Count - 10 - Rescoring.PageSize, before.Count - 10);
        }

        var after = await ReadMinesAsync();
        var scorer = new RevivalScorer(changed, ReferenceData.Default);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.All(after.Values, m =>
        {
            Assert.Equal(changed.Fingerprint(), m.ScoredWith);
            Assert.Equal(scorer.Score(m.ToMine()).Value, m.Score, 9);
        });
        // Weight moved from grade to resource: every mine whose two components differ scores differently now.
        var moved = before.Where(b => Math.Abs(b.Value.Resource - b.Value.Grade) >= 0.01 && b.Value.SurveyDate != "2024-05-01").Select(b => b.Key).ToList();
        Assert.True(moved.Count > before.Count / 2, $"only {moved.Count} mines have resource and grade apart");
        Assert.All(moved, key => Assert.NotEqual(before[key].Score, after[key].Score, 6));
        var newer = after.Values.Where(m => m.SurveyDate == "2024-05-01").ToList();
        Assert.Equal(10, newer.Count);
        Assert.All(newer, m => Assert.Equal(77, m.JobsPotential));
    }

    [Fact]
    public async Task A_stale_page_never_replaces_what_a_newer_survey_wrote()
    {
        using var services = _azurite.PipelineServices([("Scoring:Resource", "0.35"), ("Scoring:Grade", "0.10")]);
        var storage = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<StorageClients>(services);
        var rescoring = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Rescoring>(services);
        await storage.EnsureCreatedAsync(CancellationToken.None);
        var old = new RevivalScorer(new ScoringOptions(), ReferenceData.Default);
        MineEntity Entity(string id, string date, int jobs)
        {
            var mine = RowBuilder.WorkedExample(id, "yazd").Set("survey_date", date).Set("jobs_potential", jobs).ToSurveyRow(2);
            var outcome = new RowValidator(ReferenceData.Default).Validate(mine, new ValidationContext("yazd", new DateOnly(2026, 11, 26)));
            var e = new MineEntity
            {
                PartitionKey = "yazd", RowKey = MineEntity.KeyFor(id), MineId = id, Name = outcome.Mine!.Name, Mineral = outcome.Mine.Mineral, Status = "idle",
                Latitude = 31.9, Longitude = 54.3, ReserveTonnes = outcome.Mine.ReserveTonnes, GradePct = outcome.Mine.GradePct, RoadKm = 10, PowerKm = 30,
                JobsPotential = jobs, InvestmentBnRial = 100, Problem = "financial", SurveyDate = date, SurveyId = "s-" + date, Row = 2,
            };
            e.Apply(old.Score(e.ToMine()), new ScoringOptions().Fingerprint());
            return e;
        }
        await storage.MinesOf("yazd").AddEntityAsync(Entity("YZ-1", "2020-05-10", 20));
        await storage.MinesOf("yazd").AddEntityAsync(Entity("YZ-2", "2020-05-10", 20));
        var stalePage = new List<MineEntity>();
        await foreach (var m in storage.MinesOf("yazd").QueryAsync<MineEntity>(e => e.PartitionKey == "yazd")) stalePage.Add(m);

        // A newer survey (scored by an instance still on the old settings) writes YZ-1 after the page was read.
        var newer = Entity("YZ-1", "2023-01-01", 61);
        await storage.MinesOf("yazd").UpdateEntityAsync(newer, Azure.ETag.All, TableUpdateMode.Replace);

        Assert.Equal(2, await rescoring.RescoreAsync(stalePage, CancellationToken.None));
        var yz1 = (await storage.MinesOf("yazd").GetEntityAsync<MineEntity>("yazd", "YZ-1")).Value;
        Assert.Equal(("2023-01-01", 61), (yz1.SurveyDate, yz1.JobsPotential)); // the newer row stands, scored with the new settings
        Assert.Equal(new ScoringOptions { Resource = 0.35, Grade = 0.10 }.Fingerprint(), yz1.ScoredWith);
        var fresh = new List<MineEntity>();
        await foreach (var m in storage.MinesOf("yazd").QueryAsync<MineEntity>(e => e.PartitionKey == "yazd")) fresh.Add(m);
        Assert.Equal(0, await rescoring.RescoreAsync(fresh, CancellationToken.None)); // a page read again writes nothing twice
    }

    public void Dispose() => _azurite.Dispose();
}
