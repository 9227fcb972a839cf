using System.Net;
using System.Net.Http.Json;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;
using MineIngest.LocalHost;
using MineIngest.Pipeline.Api;
using MineIngest.TestData;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// Script-bearing text in every free-text field a person can fill (mine names, counties, notes, mine ids, file names,
/// solution texts and responsible bodies, committee investors and notes, withdrawal reasons), then every page that shows
/// it opened in a browser: shown as text, and nothing ran or loaded. Once with the pages' policy and once without it
/// (a test setting): the escaping alone holds too.
/// </summary>
public sealed class HostilePagesTests : IAsyncLifetime
{
    /// <summary>Each would set window.__ran, or fetch from 127.0.0.1:9, if a page ever treated it as markup.</summary>
    private static readonly string[] Payloads =
    [
        "<img src=x onerror=\"window.__ran=(window.__ran||0)+1\">",
        "</script><script>window.__ran=(window.__ran||0)+1</script>",
        "<a href=\"javascript:window.__ran=1\" id=\"js-link\">link</a>",
        "<style>@import url(http://127.0.0.1:9/x.css)</style><b style=\"background:url(http://127.0.0.1:9/y.png)\">b</b>",
    ];

    private readonly Azurite _azurite = new();
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync() => (_playwright, _browser) = await DashboardFixture.LaunchChromiumAsync();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Hostile_text_in_every_field_is_shown_as_text_and_nothing_runs(bool withPolicy)
    {
        var url = $"http://127.0.0.1:{_azurite.HostPort()}";
        await using var app = LocalHostApp.Build([$"--AzureWebJobsStorage={_azurite.ConnectionString}", $"--urls={url}", "--Pipeline:MineViewRefreshSeconds=0",
            "--LocalHost:SweepSeconds=0.5", "--Logging:LogLevel:Default=Warning", $"--{SecurityHeaders.WithoutPolicySetting}={!withPolicy}"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var writer = await TestCli.KeyAsync(_azurite, "office");
        var fileName = "kerman/" + Payloads[0] + ".csv";
        await FillAsync(http, writer, fileName);

        await using var context = await _browser!.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 1600 } });
        var page = await context.NewPageAsync();
        var outside = new List<string>();
        page.Request += (_, r) => { if (r.Url.Contains("127.0.0.1:9/", StringComparison.Ordinal) || r.Url.StartsWith("javascript:", StringComparison.Ordinal)) outside.Add(r.Url); };

        var response = await page.GotoAsync(url + "/api/dashboard");
        Assert.Equal(withPolicy, response!.Headers.ContainsKey("content-security-policy"));
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await AssertShownAsync(page, "#ranking", Payloads[0]);
        await page.GetByTestId("ranking-row").Filter(new() { HasText = "H-1" }).ClickAsync();
        await page.GetByTestId("solution").WaitForAsync();
        await AssertShownAsync(page, "[data-testid=solution]", Payloads[0], Payloads[1]);
        await page.GetByTestId("survey-row").Filter(new() { HasText = Payloads[0] + ".csv" }).First.ClickAsync();
        await page.GetByTestId("survey-error").First.WaitForAsync();
        await AssertShownAsync(page, "#survey-errors", Payloads[3], Payloads[0]);
        await AssertNothingRanAsync(page, "dashboard");

        foreach (var report in new[] { "/api/report?period=1399", "/api/report?period=1399&lang=en" })
        {
            await page.GotoAsync(url + report);
            await page.GetByTestId("lead").WaitForAsync();
            await AssertShownAsync(page, "body", Payloads[0], Payloads[1]);
            await AssertNothingRanAsync(page, report);
        }
        // The upload page: a file named with a payload, whose rejected row's mine id is another, and its report.
        await page.GotoAsync(url + "/api/upload");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.GetByTestId("key").FillAsync(await TestCli.KeyAsync(_azurite, "kerman"));
        await page.GetByTestId("save-key").ClickAsync();
        var file = Path.Combine(Directory.CreateTempSubdirectory("hostile-").FullName, Payloads[0] + ".csv");
        await File.WriteAllBytesAsync(file, new SurveyBuilder().Add(RowBuilder.WorkedExample("H-20").Set("mine_name", Payloads[1]))
            .Add(RowBuilder.WorkedExample(Payloads[3]).Set("latitude", 45.5)).ToCsv());
        await page.GetByTestId("files").SetInputFilesAsync(file);
        var item = page.GetByTestId("file").Nth(0);
        await item.Locator("[data-testid=fix-xlsx]").WaitForAsync(new() { Timeout = 90_000 });
        var shown = await item.InnerTextAsync();
        Assert.Contains(Payloads[0] + ".csv", shown);
        Assert.Contains(Payloads[3], shown);
        await AssertNothingRanAsync(page, "the upload page");

        Assert.True(outside.Count == 0, "Requested from hostile text: " + string.Join(", ", outside));
        await app.StopAsync();
    }

    private static async Task AssertShownAsync(IPage page, string selector, params string[] texts)
    {
        var shown = await page.Locator(selector).First.InnerTextAsync();
        foreach (var text in texts) Assert.True(shown.Contains(text, StringComparison.Ordinal), $"{selector} does not show {text} as text:\n{shown}");
    }

    private static async Task AssertNothingRanAsync(IPage page, string where)
    {
        Assert.True(await page.EvaluateAsync<bool>("() => window.__ran === undefined"), $"A hostile text ran on {where}.");
        Assert.Equal(0, await page.Locator("#js-link, img[src=x]").CountAsync());
    }

    /// <summary>A survey whose revived mine is named, placed and noted with the payloads (and a rejected row whose mine id is one), a solution, a meeting, and a withdrawal.</summary>
    private async Task FillAsync(HttpClient http, string writer, string fileName)
    {
        var surveys = new BlobContainerClient(_azurite.ConnectionString, PipelineOptions.SurveysContainer);
        await surveys.CreateIfNotExistsAsync();
        var hostile = new SurveyBuilder()
            .Add(RowBuilder.WorkedExample("H-1").Set("mine_name", Payloads[0]).Set("county", Payloads[1]).Set("notes", Payloads[2])
                .Set("status", "revived").Set("revived_on", new DateOnly(2020, 6, 1)).Set("jobs_created", 5).Set("survey_date", new DateOnly(2020, 7, 1)))
            .Add(RowBuilder.WorkedExample(Payloads[3]).Set("latitude", 45.5));
        await surveys.GetBlobClient(fileName).UploadAsync(BinaryData.FromBytes(hostile.ToCsv()));
        await PipelineFixture.WaitForSurveyAsync(http, fileName);
        await surveys.GetBlobClient("kerman/withdraw-me.csv").UploadAsync(BinaryData.FromBytes(new SurveyBuilder().Add(RowBuilder.WorkedExample("H-9")).ToCsv()));
        var withdrawn = await PipelineFixture.WaitForSurveyAsync(http, "kerman/withdraw-me.csv");

        async Task SendAsync(HttpMethod method, string path, object body, HttpStatusCode expected)
        {
            using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
            request.Headers.Add(OfficeApi.WriterKeyHeader, writer);
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == expected, $"{method} {path}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        await SendAsync(HttpMethod.Put, "/api/mines/kerman/H-1/solution", new { text = Payloads[0], responsibleBody = Payloads[1], state = "agreed" }, HttpStatusCode.OK);
        await SendAsync(HttpMethod.Post, "/api/committees", new
        {
            date = "1399-05-01", province = "kerman", investors = new[] { Payloads[0], Payloads[1] }, notes = Payloads[2],
            mines = new[] { new { mineId = "H-1", outcome = "interested" } },
        }, HttpStatusCode.Created);
        await SendAsync(HttpMethod.Post, $"/api/surveys/{withdrawn.GetProperty("id").GetString()}/withdraw", new { reason = Payloads[3] }, HttpStatusCode.Accepted);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        _azurite.Dispose();
    }
}
