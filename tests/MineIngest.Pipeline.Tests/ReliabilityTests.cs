using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using MineIngest.TestData;
using Xunit.Abstractions;

using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// Every file put under surveys/ ends in a report, through bursts, storage outages, a host that was down,
/// and without any BlobCreated event. The host runs as its own process, as ./run.sh runs it.
/// </summary>
public sealed class ReliabilityTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Provinces = ["kerman", "yazd", "fars", "tehran", "isfahan", "razavi-khorasan", "zanjan", "semnan", "qom", "markazi"];
    private readonly Azurite _azurite = new();

    private BlobContainerClient Surveys => new(_azurite.ConnectionString, PipelineOptions.SurveysContainer);

    /// <summary>A small survey of distinct mines in one province's folder; <paramref name="bad"/> rows are outside Iran.</summary>
    private static byte[] SmallSurvey(string prefix, string province, int rows = 3, int bad = 1) => new SurveyBuilder()
        .AddMany(rows, i =>
        {
            var row = RowBuilder.WorkedExample($"{prefix}-{i}", province);
            return i < bad ? row.Set("latitude", 45.5) : row;
        }).ToCsv();

    private async Task UploadAllAsync(IEnumerable<(string Blob, byte[] Content)> files, int inFlight)
    {
        var surveys = Surveys;
        await surveys.CreateIfNotExistsAsync();
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = inFlight },
            async (file, ct) => await surveys.GetBlobClient(file.Blob).UploadAsync(BinaryData.FromBytes(file.Content), overwrite: true, ct));
    }

    /// <summary>Polls /api/surveys until every listed blob has a settled survey; returns them by blob.</summary>
    internal static async Task<Dictionary<string, JsonElement>> WaitForSettledAsync(LocalHostProcess host, IReadOnlyCollection<string> blobs, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var settled = new Dictionary<string, JsonElement>();
        while (true)
        {
            try
            {
                var items = (await PipelineFixture.GetJsonAsync(host.Http, "/api/surveys")).GetProperty("items").EnumerateArray();
                settled = items.Where(s => s.GetProperty("status").GetString() != "processing")
                    .GroupBy(s => s.GetProperty("blob").GetString()!).ToDictionary(g => g.Key, g => g.First());
                if (blobs.All(settled.ContainsKey)) return settled;
            }
            catch (HttpRequestException) { }
            Assert.False(host.HasExited, "The host process ended:\n" + host.LogTail);
            if (DateTime.UtcNow > deadline)
            {
                var missing = blobs.Where(b => !settled.ContainsKey(b)).ToList();
                throw new TimeoutException($"{missing.Count} of {blobs.Count} surveys did not settle in {timeout.TotalSeconds} s, e.g. {string.Join(", ", missing.Take(5))}");
            }
            await Task.Delay(500);
        }
    }

    private static int Int(JsonElement e, string name) => e.GetProperty(name).GetInt32();

    internal static void AssertAccounted(JsonElement survey, int rows, int rejected)
    {
        Assert.Equal("completed", survey.GetProperty("status").GetString());
        Assert.Equal(rows, Int(survey, "rows"));
        Assert.Equal(rows, Int(survey, "accepted") + Int(survey, "rejected") + Int(survey, "failed"));
        Assert.Equal((rows - rejected, rejected, 0, 0), (Int(survey, "accepted"), Int(survey, "rejected"), Int(survey, "failed"), Int(survey, "pending")));
    }

    [Fact]
    public async Task A_burst_of_300_uploads_twice_settles_all_600()
    {
        using var host = LocalHostProcess.Start(_azurite);
        var all = new List<string>();
        for (var round = 1; round <= 2; round++)
        {
            var files = Enumerable.Range(0, 300)
                .Select(i => ($"{Provinces[i % Provinces.Length]}/burst-{round}-{i:D3}.csv", SmallSurvey($"B{round}-{i:D3}", Provinces[i % Provinces.Length])))
                .ToList();
            var stopwatch = Stopwatch.StartNew();
            await UploadAllAsync(files, inFlight: 8);
            all.AddRange(files.Select(f => f.Item1));
            var settled = await WaitForSettledAsync(host, all, TimeSpan.FromSeconds(120));
            output.WriteLine($"Round {round}: 300 uploaded, all {all.Count} settled {stopwatch.Elapsed.TotalSeconds:0.0} s after the first upload began");
            foreach (var blob in all) AssertAccounted(settled[blob], rows: 3, rejected: 1);
        }
        var summary = await PipelineFixture.GetJsonAsync(host.Http, "/api/summary");
        Assert.Equal(600 * 2, Int(summary, "mines"));
    }

    [Fact]
    public async Task Storage_outage_of_20_s_mid_survey_loses_nothing_and_the_host_keeps_answering()
    {
        const int bigRows = 20_000;
        using var host = LocalHostProcess.Start(_azurite, null, "--Pipeline:RowsPerChunk=1000", "--Pipeline:RecoverAfterSeconds=10",
            "--extensions:queues:visibilityTimeout=00:00:02");
        var files = new List<(string Blob, byte[] Content)> { ("national/outage-1400.csv", Generated.Survey(bigRows, "national").ToCsv()) };
        files.AddRange(Enumerable.Range(0, 20).Select(i => ($"{Provinces[i % Provinces.Length]}/outage-{i:D2}.csv", SmallSurvey($"O-{i:D2}", Provinces[i % Provinces.Length], rows: 5, bad: 2))));
        var stopwatch = Stopwatch.StartNew();
        await UploadAllAsync(files, inFlight: 4);

        // Stop storage once the big survey is being scored, with work still pending.
        var midway = false;
        while (!midway && stopwatch.Elapsed < TimeSpan.FromSeconds(120))
        {
            try
            {
                var items = (await PipelineFixture.GetJsonAsync(host.Http, "/api/surveys?blob=national/outage-1400.csv")).GetProperty("items");
                midway = items.GetArrayLength() == 1 && Int(items[0], "accepted") > 0 && Int(items[0], "pending") > 0;
            }
            catch (HttpRequestException) { }
            if (!midway) await Task.Delay(100);
        }
        Assert.True(midway, "The big survey never reached scoring:\n" + host.LogTail);
        await _azurite.StopAsync();
        output.WriteLine($"Azurite stopped {stopwatch.Elapsed.TotalSeconds:0.0} s after the uploads began");

        await Task.Delay(TimeSpan.FromSeconds(8));
        var health = await host.Http.GetAsync("/api/health");
        var healthBody = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("unavailable", healthBody.GetProperty("status").GetString());
        Assert.Contains("Storage", healthBody.GetProperty("reason").GetString());
        await Task.Delay(TimeSpan.FromSeconds(12));
        Assert.False(host.HasExited, "The host process ended during the outage:\n" + host.LogTail);

        _azurite.Start();
        output.WriteLine($"Azurite started again {stopwatch.Elapsed.TotalSeconds:0.0} s after the uploads began");
        var settled = await WaitForSettledAsync(host, files.Select(f => f.Blob).ToList(), TimeSpan.FromSeconds(240));
        output.WriteLine($"All 21 surveys settled {stopwatch.Elapsed.TotalSeconds:0.0} s after the uploads began");

        AssertAccounted(settled["national/outage-1400.csv"], bigRows, bigRows / 20);
        foreach (var (blob, _) in files.Skip(1)) AssertAccounted(settled[blob], rows: 5, rejected: 2);
        var summary = await PipelineFixture.GetJsonAsync(host.Http, "/api/summary");
        Assert.Equal(bigRows - bigRows / 20 + 20 * 3, Int(summary, "mines"));   // every valid mine on record, none twice

        var after = await PipelineFixture.GetJsonAsync(host.Http, "/api/health");
        Assert.Equal("ok", after.GetProperty("status").GetString());
        Assert.Equal(0, Int(after.GetProperty("backlog"), "surveysProcessing"));
        Assert.Equal(0, Int(after.GetProperty("backlog"), "poisonMessages"));
        Assert.False(host.HasExited);
    }

    [Fact]
    public async Task A_file_uploaded_while_the_host_is_down_is_read_when_it_starts()
    {
        await UploadAllAsync([("qom/while-down.csv", SmallSurvey("D", "qom", rows: 4, bad: 1))], inFlight: 1);
        await Task.Delay(TimeSpan.FromSeconds(2));
        using var host = LocalHostProcess.Start(_azurite);

        var settled = await WaitForSettledAsync(host, ["qom/while-down.csv"], TimeSpan.FromSeconds(60));
        AssertAccounted(settled["qom/while-down.csv"], rows: 4, rejected: 1);
        var health = await PipelineFixture.GetJsonAsync(host.Http, "/api/health");
        var lastSweep = health.GetProperty("backlog").GetProperty("lastSweep");
        Assert.Equal(1, Int(lastSweep, "blobs"));
    }

    /// <summary>
    /// The Functions app's path when no BlobCreated event arrives: nothing but the sweep (what the timer calls) runs,
    /// with no trigger listener at all. A single-put blob and a block-committed one (no Content-MD5) are both read;
    /// the second sweep finds nothing to do; a file whose reading keeps failing ends rejected with a message.
    /// </summary>
    [Fact]
    public async Task Without_any_blob_event_the_sweep_reads_every_file_once()
    {
        await using var services = _azurite.PipelineServices([("Pipeline:RowsPerChunk", "2"), ("Pipeline:RecoverAfterSeconds", "5")]);
        var sweep = services.GetRequiredService<SurveySweep>();
        var storage = services.GetRequiredService<StorageClients>();
        await storage.EnsureCreatedAsync(CancellationToken.None);

        await UploadAllAsync([("yazd/single-put.csv", SmallSurvey("S", "yazd", rows: 3, bad: 1))], inFlight: 1);
        var blocks = Surveys.GetBlockBlobClient("fars/from-blocks.csv");
        var content = SmallSurvey("K", "fars", rows: 5, bad: 0);
        var blockId = Convert.ToBase64String("block-000"u8.ToArray());
        await blocks.StageBlockAsync(blockId, new MemoryStream(content));
        await blocks.CommitBlockListAsync([blockId]);
        Assert.Null((await blocks.GetPropertiesAsync()).Value.ContentHash);

        var clock = Stopwatch.StartNew();
        var first = await sweep.RunAsync(CancellationToken.None);
        output.WriteLine($"First sweep {clock.ElapsedMilliseconds} ms");
        Assert.Equal((2, 2, 2, 0), (first.Blobs, first.WithoutReport, first.Read, first.Failed));

        var surveys = new List<SurveyEntity>();
        await foreach (var s in storage.SurveyTable.QueryAsync<SurveyEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {SurveyEntity.Partition}"))) surveys.Add(s);
        Assert.Equal(["fars/from-blocks.csv", "yazd/single-put.csv"], surveys.Select(s => s.Blob).Order());
        Assert.All(surveys, s => Assert.True(s.Enqueued && s.Stage == SurveyStage.Processing));
        Assert.Equal((3, 5), (surveys.Single(s => s.Blob.StartsWith("yazd")).Rows, surveys.Single(s => s.Blob.StartsWith("fars")).Rows));
        var queue = new QueueClient(_azurite.ConnectionString, PipelineOptions.ChunkQueue);
        Assert.Equal(2 + 3, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount); // 2 + 3 chunks of 2 rows

        // The block blob now carries its MD5, and the survey id is the one its listing gives.
        var md5 = (await blocks.GetPropertiesAsync()).Value.ContentHash;
        Assert.Equal(System.Security.Cryptography.MD5.HashData(content), md5);
        Assert.Contains(surveys, s => s.RowKey == SurveyIdentity.Of("fars/from-blocks.csv", Convert.ToHexString(md5)));

        clock.Restart();
        var second = await sweep.RunAsync(CancellationToken.None);
        output.WriteLine($"Second sweep {clock.ElapsedMilliseconds} ms");
        Assert.Equal((2, 0, 0), (second.Blobs, second.WithoutReport, second.Read));
        var fresh = services.GetRequiredService<SurveyIngestor>(); // a new instance's sweep has no memory: the table answers
        var again = await ActivatorUtilities.CreateInstance<SurveySweep>(services, fresh).RunAsync(CancellationToken.None);
        Assert.Equal((2, 0), (again.Blobs, again.WithoutReport));
        Assert.Equal(5, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);

        // A file whose reading began three times and never finished (a reader that died each time) ends rejected, visibly.
        await UploadAllAsync([("qom/never-read.csv", SmallSurvey("N", "qom"))], inFlight: 1);
        var hash = (await Surveys.GetBlobClient("qom/never-read.csv").GetPropertiesAsync()).Value.ContentHash;
        var stuckId = SurveyIdentity.Of("qom/never-read.csv", Convert.ToHexString(hash));
        await storage.SurveyTable.AddEntityAsync(new SurveyEntity
        {
            RowKey = stuckId, Blob = "qom/never-read.csv", Folder = "qom", ReceivedAt = DateTimeOffset.UtcNow,
            ReadAttempts = SurveyIngestor.MaxReadAttempts, LastReadError = "IOException: injected",
        });
        var early = await sweep.RunAsync(CancellationToken.None);
        Assert.Equal(0, early.WithoutReport); // being read, as far as anyone knows: not touched before RecoverAfterSeconds
        await Task.Delay(TimeSpan.FromSeconds(6));
        var late = await sweep.RunAsync(CancellationToken.None);
        Assert.Equal((1, 1), (late.WithoutReport, late.Read));
        var stuck = (await storage.SurveyTable.GetEntityAsync<SurveyEntity>(SurveyEntity.Partition, stuckId)).Value;
        Assert.Equal(SurveyStage.Rejected, stuck.Stage);
        Assert.Contains("could not be read after 3 tries", stuck.Error);
    }

    public void Dispose() => _azurite.Dispose();
}
