using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using MineIngest.TestData;
using Xunit.Abstractions;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// Drives the local host as its own process, the way ./run.sh runs it: upload, kill it mid-ingestion,
/// start it again, and check that every row of a 10,000-row survey is accounted for exactly once.
/// </summary>
public sealed class KillRestartTests(ITestOutputHelper output) : IDisposable
{
    private const int Rows = 10_000;
    private readonly Azurite _azurite = new();

    private LocalHostProcess StartHost(string url) => LocalHostProcess.Start(_azurite, url,
        "--Pipeline:RowsPerChunk=500", "--Pipeline:RecoverAfterSeconds=10", "--extensions:queues:visibilityTimeout=00:00:02");

    [Fact]
    public async Task Every_row_is_accounted_once_after_the_host_is_killed_mid_ingestion()
    {
        var url = $"http://127.0.0.1:{_azurite.HostPort()}";
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        using var first = StartHost(url);
        var stopwatch = Stopwatch.StartNew();
        var container = new BlobContainerClient(_azurite.ConnectionString, "surveys");
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient("national/round-1400.csv").UploadAsync(BinaryData.FromBytes(Generated.Survey(Rows, "national").ToCsv()));

        // Kill as soon as scoring has begun and work is still pending.
        JsonElement? seen = null;
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(120))
        {
            try
            {
                var items = (await http.GetFromJsonAsync<JsonElement>("/api/surveys?blob=national/round-1400.csv")).GetProperty("items");
                if (items.GetArrayLength() == 1 && items[0].GetProperty("accepted").GetInt32() > 0) { seen = items[0]; break; }
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        Assert.NotNull(seen);
        await first.KillAsync();
        output.WriteLine($"Killed after {stopwatch.Elapsed.TotalSeconds:0.0} s with {seen.Value.GetProperty("accepted").GetInt32()} accepted, " +
                         $"{seen.Value.GetProperty("pending").GetInt32()} pending");
        Assert.True(seen.Value.GetProperty("pending").GetInt32() > 0, "The host was killed too late to test anything.");

        using var second = StartHost(url);
        var survey = await PipelineFixture.WaitForSurveyAsync(http, "national/round-1400.csv", timeout: TimeSpan.FromSeconds(240));
        var summary = await PipelineFixture.GetJsonAsync(http, "/api/summary");
        int Get(JsonElement e, string name) => e.GetProperty(name).GetInt32();
        output.WriteLine($"Completed after {stopwatch.Elapsed.TotalSeconds:0.0} s: rows {Get(survey, "rows")}, accepted {Get(survey, "accepted")}, " +
                         $"rejected {Get(survey, "rejected")}, failed {Get(survey, "failed")}, mines on record {Get(summary, "mines")}");

        Assert.Equal("completed", survey.GetProperty("status").GetString());
        Assert.Equal(Rows, Get(survey, "rows"));
        Assert.Equal(Rows / 20, Get(survey, "rejected"));                 // every twentieth row is outside Iran
        Assert.Equal(Rows - Rows / 20, Get(survey, "accepted"));
        Assert.Equal(0, Get(survey, "failed"));
        Assert.Equal(Get(survey, "accepted"), Get(summary, "mines"));      // each accepted row is one mine, none twice
        Assert.Equal(Rows / 20, survey.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("row").GetInt32()).Distinct().Count());
    }

    public void Dispose() => _azurite.Dispose();
}
