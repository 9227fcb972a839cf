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
using MineIngest.Pipeline.View;

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

    private static async Task<(HttpResponseMessage Response, JsonElement Body)> AskOnceAsync(HttpClient http, string path, bool noCache = false, string? ifNoneMatch = null,
        string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Add(ViewToken.Header, token);
        if (noCache) request.Headers.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { NoCache = true };
        if (ifNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0 && response.StatusCode != HttpStatusCode.NotModified) Assert.Fail($"{path}: {(int)response.StatusCode} with no body");
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
    public async Task With_storage_stopped_a_plain_answer_comes_at_once_and_says_how_old_it_is_and_no_cache_waits_at_most_3_s()
    {
        using var host = StartHost();
        await UploadAndWaitForReportAsync(host, "semnan/base.csv", "ST", "semnan", 3);
        var (_, loaded) = await AskOnceAsync(host.Http, "/api/summary");
        Assert.False(loaded.GetProperty("stale").GetBoolean());

        await _azurite.StopAsync();
        var stopped = DateTimeOffset.UtcNow;
        // Past the refresh period and the time a refresh may take (1 + 3 s): the view's last check is older than allowed.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var clock = Stopwatch.StartNew();
        var (response, summary) = await AskOnceAsync(host.Http, "/api/summary");
        clock.Stop();
        output.WriteLine($"Answered in {clock.Elapsed.TotalMilliseconds:0} ms with storage stopped: {summary}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(summary.GetProperty("stale").GetBoolean());
        Assert.True(summary.GetProperty("checkedAt").GetDateTimeOffset() <= stopped, summary.ToString());
        Assert.True(summary.GetProperty("ageSeconds").GetDouble() >= 5, summary.ToString());
        Assert.Equal(3, summary.GetProperty("mines").GetInt32());
        Assert.Equal("true", response.Headers.GetValues("X-View-Stale").Single());

        // Asked to be checked now, the request waits for storage, at most MineViewWaitSeconds, and then says it is stale.
        clock.Restart();
        var (_, checkedNow) = await AskOnceAsync(host.Http, "/api/mines?top=5", noCache: true);
        clock.Stop();
        output.WriteLine($"no-cache answered in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.InRange(clock.Elapsed.TotalSeconds, 2.5, 6);
        Assert.True(checkedNow.GetProperty("stale").GetBoolean());
        Assert.Equal(3, checkedNow.GetProperty("items").GetArrayLength());
    }

    /// <summary>
    /// Storage held still (Azurite stopped with SIGSTOP: connections open, nothing answered) while a 20,000-row survey is
    /// scored: plain requests are answered from the view held, at once, their age growing with the pause and marked stale
    /// once it passes the refresh period and a refresh's time; after storage answers again and the report says
    /// completed, one request counts every row.
    /// </summary>
    [Fact]
    public async Task While_storage_is_held_still_mid_survey_plain_reads_answer_from_the_view_at_once_and_tell_its_age()
    {
        using var host = StartHost();
        await UploadAndWaitForReportAsync(host, "kerman/base.csv", "HB", "kerman", 5);
        var surveys = new BlobContainerClient(_azurite.ConnectionString, PipelineOptions.SurveysContainer);
        var csv = new SurveyBuilder().AddMany(20_000, i => RowBuilder.WorkedExample($"HELD-{i}", "yazd")).ToCsv();
        await surveys.GetBlobClient("yazd/held.csv").UploadAsync(BinaryData.FromBytes(csv), overwrite: true);
        // Held as soon as the survey is being scored.
        while (true)
        {
            var items = (await PipelineFixture.GetJsonAsync(host.Http, "/api/surveys?blob=yazd%2Fheld.csv")).GetProperty("items");
            if (items.GetArrayLength() > 0)
            {
                Assert.Equal("processing", items[0].GetProperty("status").GetString());
                break;
            }
            await Task.Delay(100);
        }
        _azurite.Pause();
        var held = DateTimeOffset.UtcNow;
        try
        {
            foreach (var wait in new[] { 0.5, 5.5 })
            {
                await Task.Delay(TimeSpan.FromSeconds(wait));
                foreach (var path in new[] { "/api/summary", "/api/mines?top=50" })
                {
                    var clock = Stopwatch.StartNew();
                    var (response, body) = await AskOnceAsync(host.Http, path);
                    clock.Stop();
                    var asked = DateTimeOffset.UtcNow;
                    output.WriteLine($"{path} after {(asked - held).TotalSeconds:0.0} s held: {clock.Elapsed.TotalMilliseconds:0} ms, checkedAt {body.GetProperty("checkedAt")}, " +
                                     $"age {body.GetProperty("ageSeconds")}, stale {body.GetProperty("stale")}");
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"{path} took {clock.Elapsed.TotalSeconds:0.0} s with storage held");
                    // The truth: no check can have begun while storage was held, the age counts from the last one, and it
                    // is stale once that is older than 4 s (MineViewRefreshSeconds + MineViewWaitSeconds): not after
                    // half a second held, but after six.
                    var checkedAt = body.GetProperty("checkedAt").GetDateTimeOffset();
                    Assert.True(checkedAt <= held, body.GetProperty("checkedAt").ToString());
                    var age = body.GetProperty("ageSeconds").GetDouble();
                    Assert.InRange(age, (asked - checkedAt).TotalSeconds - 1.1, (asked - checkedAt).TotalSeconds + 0.1);
                    Assert.Equal(wait > 1, body.GetProperty("stale").GetBoolean());
                    Assert.Equal(wait > 1 ? "true" : "false", response.Headers.GetValues("X-View-Stale").Single());
                }
            }
        }
        finally
        {
            _azurite.Resume();
        }
        var report = await PipelineFixture.WaitForSurveyAsync(host.Http, "yazd/held.csv", timeout: TimeSpan.FromMinutes(3));
        Assert.Equal("completed", report.GetProperty("status").GetString());
        var (_, summary) = await AskOnceAsync(host.Http, "/api/summary");
        Assert.Equal(20_005, summary.GetProperty("mines").GetInt32());
        Assert.False(summary.GetProperty("stale").GetBoolean());
    }

    /// <summary>
    /// Read-your-writes across instances without asking every request to wait: instance B checks its view by itself only
    /// every ten minutes here. A meeting recorded through instance A is not in B's plain answer (B's readers do not wait);
    /// a request that sends back the token of an answer older than B's last check is answered at once from that check; the
    /// request that sends the meeting's token waits for a check after it, and counts the meeting.
    /// </summary>
    [Fact]
    public async Task A_view_token_makes_a_read_on_another_instance_wait_for_the_write_and_only_that_read()
    {
        using var a = StartHost();
        await UploadAndWaitForReportAsync(a, "qazvin/base.csv", "TK", "qazvin", 2);
        var reportList = await a.Http.GetAsync("/api/surveys?blob=qazvin%2Fbase.csv");
        var before = reportList.Headers.GetValues(ViewToken.Header).Single();
        using var b = LocalHostProcess.Start(_azurite, null, "--Pipeline:MineViewRefreshSeconds=600", "--LocalHost:SweepSeconds=0.5");
        await WaitUntilAnswersAsync(b);
        var (_, first) = await AskOnceAsync(b.Http, "/api/summary?province=qazvin");
        Assert.Equal(2, first.GetProperty("mines").GetInt32());
        Assert.Equal(0, first.GetProperty("committeeMeetings").GetInt32());
        var checkedBefore = first.GetProperty("checkedAt").GetDateTimeOffset();

        var writer = (await new ProvinceKeyStore(StorageClients.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection([new("AzureWebJobsStorage", _azurite.ConnectionString)]).Build()), ReferenceData.Default, TimeProvider.System)
            .CreateAsync(ProvinceKeyStore.OfficeScope, CancellationToken.None)).Key;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/api/committees")
        {
            Content = JsonContent.Create(new { date = "1403-02-10", province = "qazvin", investors = new[] { "Sepahan Invest" },
                mines = new[] { new { mineId = "TK-0", outcome = "agreement signed" } } }),
        };
        post.Headers.Add(OfficeApi.WriterKeyHeader, writer);
        var posted = await a.Http.SendAsync(post);
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        var token = posted.Headers.GetValues(ViewToken.Header).Single();

        var (_, plain) = await AskOnceAsync(b.Http, "/api/summary?province=qazvin");
        Assert.Equal(0, plain.GetProperty("committeeMeetings").GetInt32());
        Assert.Equal(checkedBefore, plain.GetProperty("checkedAt").GetDateTimeOffset());
        var (_, older) = await AskOnceAsync(b.Http, "/api/summary?province=qazvin", token: before);
        Assert.Equal(0, older.GetProperty("committeeMeetings").GetInt32());
        Assert.Equal(checkedBefore, older.GetProperty("checkedAt").GetDateTimeOffset());
        Assert.False(older.GetProperty("stale").GetBoolean());

        var (_, after) = await AskOnceAsync(b.Http, "/api/summary?province=qazvin", token: token);
        Assert.Equal(1, after.GetProperty("committeeMeetings").GetInt32());
        Assert.True(after.GetProperty("checkedAt").GetDateTimeOffset() >= ViewToken.Parse(token), after.ToString());
        Assert.False(after.GetProperty("stale").GetBoolean());
    }

    private static async Task WaitUntilAnswersAsync(LocalHostProcess host)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                if ((await host.Http.GetAsync("/api/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The second host did not answer.\n" + host.LogTail);
            await Task.Delay(200);
        }
    }

    public void Dispose() => _azurite.Dispose();
}
