using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MineIngest.Domain;
using MineIngest.TestData;
using Xunit.Abstractions;

using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// Answers are never older than the report, checked the way a person checks: upload, wait for the report, then ask
/// once. The host runs as its own process with the shipped view settings (refreshed at most every second).
/// </summary>
public sealed class FreshnessTests(ITestOutputHelper output) : IDisposable
{
    private readonly Azurite _azurite = new();

    private LocalHostProcess StartHost() => LocalHostProcess.Start(_azurite, null, "--Pipeline:MineViewRefreshSeconds=1", "--LocalHost:SweepSeconds=0.5");

    private async Task<JsonElement> UploadAndWaitForReportAsync(LocalHostProcess host, string blob, string prefix, string province, int mines)
    {
        var surveys = new BlobContainerClient(_azurite.ConnectionString, PipelineOptions.SurveysContainer);
        await surveys.CreateIfNotExistsAsync();
        var csv = new SurveyBuilder().AddMany(mines, i => RowBuilder.WorkedExample($"{prefix}-{i}", province)).ToCsv();
        await surveys.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(csv), overwrite: true);
        var report = await PipelineFixture.WaitForSurveyAsync(host.Http, blob);
        Assert.Equal("completed", report.GetProperty("status").GetString());
        Assert.Equal(mines, report.GetProperty("accepted").GetInt32());
        return report;
    }

    private static async Task<(HttpResponseMessage Response, JsonElement Body)> AskOnceAsync(HttpClient http, string path, bool noCache = false, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (noCache) request.Headers.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { NoCache = true };
        if (ifNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement);
    }

    [Fact]
    public async Task After_half_a_minute_idle_the_first_summary_after_a_report_includes_the_survey()
    {
        using var host = StartHost();
        await UploadAndWaitForReportAsync(host, "kerman/first.csv", "FIRST", "kerman", 4);
        var (_, loaded) = await AskOnceAsync(host.Http, "/api/summary");
        Assert.Equal(4, loaded.GetProperty("mines").GetInt32());

        await Task.Delay(TimeSpan.FromSeconds(30));
        await UploadAndWaitForReportAsync(host, "yazd/second.csv", "SECOND", "yazd", 3);

        var (response, summary) = await AskOnceAsync(host.Http, "/api/summary");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(7, summary.GetProperty("mines").GetInt32());
        Assert.False(summary.GetProperty("stale").GetBoolean());
        Assert.True(summary.GetProperty("ageSeconds").GetDouble() <= 1.0, summary.ToString());
        var (_, page) = await AskOnceAsync(host.Http, "/api/mines?province=yazd");
        Assert.Equal(3, page.GetProperty("items").GetArrayLength());
    }

    /// <summary>
    /// Two instances, as behind Azure's load balancer: the host scores and reports, a second instance (the pipeline's
    /// services, no trigger) answers the API while a dashboard polls it every 200 ms, so its view is always checked
    /// within the last second, often just before the survey completes. The request sent with no-cache right after the
    /// report says completed includes every row.
    /// </summary>
    [Fact]
    public async Task With_no_cache_one_request_right_after_the_report_includes_it_on_another_instance_while_a_client_polls()
    {
        using var host = StartHost();
        await using var other = _azurite.PipelineServices([("Pipeline:MineViewRefreshSeconds", "1")]);
        var summaryApi = other.GetRequiredService<SummaryApi>();
        var minesApi = other.GetRequiredService<MinesApi>();
        await UploadAndWaitForReportAsync(host, "fars/base.csv", "BASE", "fars", 2);
        using var stop = new CancellationTokenSource();
        var polls = 0;
        var poller = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Assert.Equal(200, (await AskAsync(other, summaryApi.SummaryAsync, "")).Status);
                polls++;
                await Task.Delay(200);
            }
        });

        for (var round = 1; round <= 3; round++)
        {
            await UploadAndWaitForReportAsync(host, $"tehran/round-{round}.csv", $"R{round}", "tehran", 5);
            var summary = (await AskAsync(other, summaryApi.SummaryAsync, "", noCache: true)).Body;
            Assert.Equal(2 + 5 * round, summary.GetProperty("mines").GetInt32());
            var page = (await AskAsync(other, minesApi.MinesAsync, "?province=tehran&top=100", noCache: true)).Body;
            Assert.Equal(5 * round, page.GetProperty("items").GetArrayLength());
        }
        await stop.CancelAsync();
        await poller;
        output.WriteLine($"The other client polled the summary {polls} times meanwhile");
        Assert.True(polls > 5);
    }

    /// <summary>One request to an instance without a host: the handler's answer executed as ASP.NET Core would.</summary>
    private static async Task<(int Status, JsonElement Body)> AskAsync(IServiceProvider services, Func<HttpRequest, CancellationToken, Task<IResult>> handler,
        string query, bool noCache = false)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        if (noCache) context.Request.Headers.CacheControl = "no-cache";
        using var body = new MemoryStream();
        context.Response.Body = body;
        await (await handler(context.Request, CancellationToken.None)).ExecuteAsync(context);
        return (context.Response.StatusCode, JsonDocument.Parse(body.ToArray()).RootElement.Clone());
    }

    [Fact]
    public async Task A_committee_meeting_posted_is_counted_by_the_next_summary_of_the_same_host()
    {
        using var host = StartHost();
        await UploadAndWaitForReportAsync(host, "qazvin/base.csv", "QC", "qazvin", 2);
        var (_, before) = await AskOnceAsync(host.Http, "/api/summary?province=qazvin");
        Assert.Equal(0, before.GetProperty("committeeMeetings").GetInt32());

        var keys = new ProvinceKeyStore(StorageClients.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection([new("AzureWebJobsStorage", _azurite.ConnectionString)]).Build()), ReferenceData.Default, TimeProvider.System);
        var writer = (await keys.CreateAsync(ProvinceKeyStore.OfficeScope, CancellationToken.None)).Key;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/api/committees")
        {
            Content = JsonContent.Create(new { date = "1403-02-10", province = "qazvin", investors = new[] { "Sepahan Invest" },
                mines = new[] { new { mineId = "QC-0", outcome = "agreement signed" } } }),
        };
        post.Headers.Add(OfficeApi.WriterKeyHeader, writer);
        Assert.Equal(HttpStatusCode.Created, (await host.Http.SendAsync(post)).StatusCode);

        var (_, after) = await AskOnceAsync(host.Http, "/api/summary?province=qazvin");
        Assert.Equal(1, after.GetProperty("committeeMeetings").GetInt32());
        Assert.Equal(1, after.GetProperty("minesWithAgreement").GetInt32());
        var (_, listed) = await AskOnceAsync(host.Http, "/api/committees?province=qazvin");
        Assert.Equal(1, listed.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task A_matching_ETag_gets_304_and_the_ETag_changes_when_a_survey_lands()
    {
        using var host = StartHost();
        await UploadAndWaitForReportAsync(host, "isfahan/one.csv", "E1", "isfahan", 2);
        var (first, body) = await AskOnceAsync(host.Http, "/api/summary", noCache: true);
        var etag = first.Headers.ETag?.ToString();
        Assert.NotNull(etag);
        Assert.NotNull(first.Content.Headers.LastModified);
        Assert.Equal(2, body.GetProperty("mines").GetInt32());

        var (again, _) = await AskOnceAsync(host.Http, "/api/summary", noCache: true, ifNoneMatch: etag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());
        var (otherQuestion, _) = await AskOnceAsync(host.Http, "/api/mines?top=5", ifNoneMatch: "W/\"not-this-one\"");
        Assert.Equal(HttpStatusCode.OK, otherQuestion.StatusCode);

        await UploadAndWaitForReportAsync(host, "isfahan/two.csv", "E2", "isfahan", 3);
        var (changed, newBody) = await AskOnceAsync(host.Http, "/api/summary", noCache: true, ifNoneMatch: etag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag?.ToString());
        Assert.Equal(5, newBody.GetProperty("mines").GetInt32());
    }

    [Fact]
    public async Task With_storage_stopped_the_answer_comes_within_5_s_and_says_it_is_stale()
    {
        using var host = StartHost();
        await UploadAndWaitForReportAsync(host, "semnan/base.csv", "ST", "semnan", 3);
        var (_, loaded) = await AskOnceAsync(host.Http, "/api/summary");
        Assert.False(loaded.GetProperty("stale").GetBoolean());

        await _azurite.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));   // past MineViewRefreshSeconds: the view must be checked again
        var clock = Stopwatch.StartNew();
        var (response, summary) = await AskOnceAsync(host.Http, "/api/summary");
        clock.Stop();
        output.WriteLine($"Answered in {clock.Elapsed.TotalSeconds:0.0} s with storage stopped: {summary}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(summary.GetProperty("stale").GetBoolean());
        Assert.True(summary.GetProperty("ageSeconds").GetDouble() >= 2, summary.ToString());
        Assert.Equal(3, summary.GetProperty("mines").GetInt32());
        Assert.Equal("true", response.Headers.GetValues("X-View-Stale").Single());

        // A second request while storage is away does not wait again for a storage that just failed to answer.
        clock.Restart();
        var (_, second) = await AskOnceAsync(host.Http, "/api/mines?top=5");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(second.GetProperty("stale").GetBoolean());
        Assert.Equal(3, second.GetProperty("items").GetArrayLength());
    }

    public void Dispose() => _azurite.Dispose();
}
