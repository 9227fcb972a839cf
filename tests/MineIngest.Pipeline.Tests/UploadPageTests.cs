using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using MineIngest.Domain;
using MineIngest.LocalHost;
using MineIngest.TestData;

using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;

namespace MineIngest.Pipeline.Tests;

/// <summary>The local stack, a Kerman and a national upload key, and Debian's Chromium driven by Playwright.</summary>
public sealed class UploadPageFixture : IAsyncLifetime
{
    private readonly Azurite _azurite = new();
    public Azurite Azurite => _azurite;
    private WebApplication? _app;
    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string Url { get; private set; } = "";
    public string KermanKey { get; private set; } = "";
    public string NationalKey { get; private set; } = "";
    public string WriterKey { get; private set; } = "";
    public BlobContainerClient Surveys { get; private set; } = null!;
    public DirectoryInfo Files { get; } = Directory.CreateTempSubdirectory("upload-page-");

    public async Task InitializeAsync()
    {
        Url = $"http://127.0.0.1:{_azurite.HostPort()}";
        _app = LocalHostApp.Build([$"--AzureWebJobsStorage={_azurite.ConnectionString}", $"--urls={Url}", "--Pipeline:MineViewRefreshSeconds=0",
            "--extensions:queues:maxPollingInterval=00:00:00.500", "--LocalHost:SweepSeconds=0.5", "--Logging:LogLevel:Default=Warning"]);
        await _app.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri(Url) };
        Surveys = new BlobContainerClient(_azurite.ConnectionString, PipelineOptions.SurveysContainer);
        var keys = _app.Services.GetRequiredService<ProvinceKeyStore>();
        KermanKey = (await keys.CreateAsync("kerman", CancellationToken.None)).Key;
        NationalKey = (await keys.CreateAsync("national", CancellationToken.None)).Key;
        WriterKey = (await keys.CreateAsync(ProvinceKeyStore.OfficeScope, CancellationToken.None)).Key;

        (_playwright, Browser) = await DashboardFixture.LaunchChromiumAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        try
        {
            // Every flow of the upload page, the rows fixed and sent, the withdrawals and the phone layouts ran under the policy.
            if (_app is not null) DashboardFixture.AssertNoViolationReports(_app);
        }
        finally
        {
            if (_app is not null) { await _app.StopAsync(); await _app.DisposeAsync(); }
            Http?.Dispose();
            _azurite.Dispose();
            Files.Delete(recursive: true);
        }
    }

    public string Write(string name, byte[] content)
    {
        var path = Path.Combine(Files.FullName, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}

/// <summary>The upload page's browser tests: a clerk with a province key and a browser, nothing else.</summary>
public sealed class UploadPageTests(UploadPageFixture fixture) : IClassFixture<UploadPageFixture>
{
    private async Task<IPage> OpenAsync(IBrowserContext context, string? key)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(fixture.Url + "/api/upload");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        if (key is not null)
        {
            await page.GetByTestId("key").FillAsync(key);
            await page.GetByTestId("save-key").ClickAsync();
        }
        return page;
    }

    private async Task<string> BlobNameAsync(string prefix, string endsWith)
    {
        await foreach (var b in fixture.Surveys.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, CancellationToken.None))
            if (b.Name.EndsWith(endsWith, StringComparison.Ordinal)) return b.Name;
        throw new InvalidOperationException($"No blob under {prefix} ends with {endsWith}.");
    }

    /// <summary>A count of the report as the page holds it (the text shows it in the page's digits).</summary>
    private static async Task<int> CountAsync(ILocator item, string name) => int.Parse((await item.GetByTestId($"count-{name}").GetAttributeAsync("data-value"))!);

    private static string PersianDigits(int n) => string.Concat(n.ToString(System.Globalization.CultureInfo.InvariantCulture).Select(c => (char)('۰' + (c - '0'))));

    private static async Task<ILocator> SettledAsync(IPage page, int index, float timeoutMs = 90_000)
    {
        var item = page.GetByTestId("file").Nth(index);
        await item.Locator("[data-testid=report-state].ok, [data-testid=fix-xlsx], [data-testid=file-rejected]").First.WaitForAsync(new() { Timeout = timeoutMs });
        return item;
    }

    [Fact]
    public async Task A_clerk_uploads_a_survey_with_errors_sees_every_error_and_the_rows_to_fix_sent_again_go_through()
    {
        await using var context = await fixture.Browser.NewContextAsync(new() { AcceptDownloads = true, ViewportSize = new() { Width = 1280, Height = 1100 } });
        var page = await OpenAsync(context, fixture.KermanKey);
        Assert.Equal("rtl", await page.GetAttributeAsync("html", "dir"));
        Assert.Equal("fa", await page.GetAttributeAsync("html", "lang"));
        Assert.Contains("kerman", await page.GetByTestId("key-province").TextContentAsync());

        var survey = new SurveyBuilder { Language = HeaderLanguage.Persian }
            .Add(RowBuilder.WorkedExample("PAGE-1"))
            .Add(RowBuilder.WorkedExample("PAGE-2").Set("latitude", 41.2))
            .Add(RowBuilder.WorkedExample("PAGE-3").Set("mineral", "kryptonite").Set("jobs_potential", 2.5))
            .Add(RowBuilder.WorkedExample("PAGE-4").Set("province", "Yazd"))
            .Add(RowBuilder.WorkedExample("PAGE-5"));
        await page.GetByTestId("files").SetInputFilesAsync(fixture.Write("kerman-page.xlsx", survey.ToXlsx()));
        var item = await SettledAsync(page, 0);

        Assert.Equal((5, 2, 3, 0, 0), (await CountAsync(item, "rows"), await CountAsync(item, "accepted"), await CountAsync(item, "rejected"),
            await CountAsync(item, "failed"), await CountAsync(item, "pending")));
        var surveys = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/surveys?province=kerman");
        var report = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/surveys/{surveys.GetProperty("items")[0].GetProperty("id").GetString()}");
        var expected = report.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("messageFa").GetString()!).Order().ToList();
        Assert.Equal(4, expected.Count); // latitude; mineral and jobs; province
        var shown = (await item.GetByTestId("error-row").Locator("td:nth-child(4)").AllTextContentsAsync()).Order().ToList();
        Assert.Equal(expected, shown);

        Directory.CreateDirectory(DashboardTests.ArtefactFolder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardTests.ArtefactFolder, "upload-fa.png"), FullPage = true });

        var download = await page.RunAndWaitForDownloadAsync(() => item.GetByTestId("fix-xlsx").ClickAsync());
        Assert.Equal("kerman-page-rows-to-fix.xlsx", download.SuggestedFilename);
        var downloaded = Path.Combine(fixture.Files.FullName, "downloaded.xlsx");
        await download.SaveAsAsync(downloaded);
        var (fixedBook, changed) = WorkbookEditor.ReplaceCells(await File.ReadAllBytesAsync(downloaded),
            new Dictionary<string, string> { ["41.2"] = "29.4", ["kryptonite"] = "chromite", ["2.5"] = "3", ["Yazd"] = "Kerman" });
        Assert.Equal(4, changed);

        await page.GetByTestId("files").SetInputFilesAsync(fixture.Write("kerman-page-fixed.xlsx", fixedBook));
        var second = await SettledAsync(page, 1);
        Assert.Equal((3, 3, 0, 0), (await CountAsync(second, "rows"), await CountAsync(second, "accepted"), await CountAsync(second, "rejected"),
            await CountAsync(second, "failed")));
        // On record, as read from the mines table: the two accepted at first and the three fixed ones, with the fixed values.
        foreach (var id in new[] { "PAGE-1", "PAGE-2", "PAGE-3", "PAGE-4", "PAGE-5" })
        {
            var mine = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/mines/kerman/{id}");
            Assert.Equal(id, mine.GetProperty("mineId").GetString());
        }
        Assert.Equal(29.4, (await fixture.Http.GetFromJsonAsync<JsonElement>("/api/mines/kerman/PAGE-2")).GetProperty("latitude").GetDouble());
        Assert.Equal(3, (await fixture.Http.GetFromJsonAsync<JsonElement>("/api/mines/kerman/PAGE-3")).GetProperty("jobsPotential").GetInt32());
    }

    [Fact]
    public async Task A_wrong_key_gets_the_route_message_in_the_page_language_and_a_pdf_is_refused_before_sending()
    {
        await using var context = await fixture.Browser.NewContextAsync();
        var page = await OpenAsync(context, "kerman.deadbeef.thisisnotthesecretofanykeyatall");
        var uploadRequests = new List<string>();
        page.Request += (_, r) => { if (r.Url.Contains("/uploads") || r.Url.Contains(":10000") || r.Url.Contains("devstoreaccount1")) uploadRequests.Add(r.Url); };

        await page.GetByTestId("files").SetInputFilesAsync(fixture.Write("kerman.csv", new SurveyBuilder().Add(RowBuilder.WorkedExample()).ToCsv()));
        var problem = page.GetByTestId("file").Nth(0).GetByTestId("problem");
        await problem.WaitForAsync();
        Assert.Equal(ClerkMessages.UploadKeyNotAccepted(ProvinceApi.ProvinceKeyHeader).Persian, await problem.TextContentAsync());
        Assert.Single(uploadRequests); // the upload route only: nothing reached storage

        await page.SelectOptionAsync("#lang", "en");
        Assert.Equal("ltr", await page.GetAttributeAsync("html", "dir"));
        Assert.Equal(ClerkMessages.UploadKeyNotAccepted(ProvinceApi.ProvinceKeyHeader).English, await problem.TextContentAsync());

        uploadRequests.Clear();
        await page.GetByTestId("files").SetInputFilesAsync(fixture.Write("report.pdf", "%PDF-1.4"u8.ToArray()));
        var refused = page.GetByTestId("file").Nth(1).GetByTestId("problem");
        await refused.WaitForAsync();
        Assert.Contains("report.pdf", await refused.TextContentAsync());
        Assert.Contains(".xlsx", await refused.TextContentAsync());
        await page.WaitForTimeoutAsync(500);
        Assert.Empty(uploadRequests);
    }

    [Fact]
    public async Task A_20_MB_workbook_goes_through_the_page_in_blocks_with_the_progress_bar_reaching_100_percent()
    {
        var random = new Random(20);
        var rows = 27_000;
        var survey = Generated.Survey(rows, "national");
        foreach (var row in survey.Rows) row.Set("notes", Convert.ToBase64String(random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 780)));
        var bytes = survey.ToXlsx();
        Assert.True(bytes.Length >= 20 * 1024 * 1024, $"{bytes.Length:N0} bytes");

        await using var context = await fixture.Browser.NewContextAsync();
        var page = await OpenAsync(context, fixture.NationalKey);
        await page.GetByTestId("files").SetInputFilesAsync(fixture.Write("national-big.xlsx", bytes));
        await page.WaitForSelectorAsync("[data-testid=progress][data-percent='100']", new() { Timeout = 120_000 });
        var item = await SettledAsync(page, 0, 240_000);
        Assert.Equal((rows, rows - rows / 20, rows / 20), (await CountAsync(item, "rows"), await CountAsync(item, "accepted"), await CountAsync(item, "rejected")));

        var blob = fixture.Surveys.GetBlockBlobClient(await BlobNameAsync("national/", "national-big.xlsx"));
        var blocks = (await blob.GetBlockListAsync()).Value.CommittedBlocks.ToList();
        Assert.Equal((bytes.Length + 4 * 1024 * 1024 - 1) / (4 * 1024 * 1024), blocks.Count);
    }

    [Fact]
    public async Task In_persian_the_report_names_columns_and_warnings_in_persian_with_persian_digits_in_the_shipped_font()
    {
        await using var context = await fixture.Browser.NewContextAsync();
        var page = await OpenAsync(context, fixture.KermanKey);
        var survey = new SurveyBuilder { Language = HeaderLanguage.Persian }
            .Add(RowBuilder.WorkedExample("PFA-1").Set("grade_pct", 10))           // accepted, grade below chromite's cut-off: a warning
            .Add(RowBuilder.WorkedExample("PFA-2").Set("latitude", 41.2))          // rejected: outside Iran
            .AddMany(10, i => RowBuilder.WorkedExample($"PFA-{i + 3}"));
        await page.GetByTestId("files").SetInputFilesAsync(fixture.Write("kerman-persian.xlsx", survey.ToXlsx()));
        var item = await SettledAsync(page, 0);
        var blob = await BlobNameAsync("kerman/", "kerman-persian.xlsx");
        var report = await fixture.Http.GetFromJsonAsync<JsonElement>(
            $"/api/surveys/{(await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/surveys?blob={Uri.EscapeDataString(blob)}")).GetProperty("items")[0].GetProperty("id").GetString()}");

        Assert.Equal("۱۲", await item.GetByTestId("count-rows").TextContentAsync());
        Assert.Equal("۱۱", await item.GetByTestId("count-accepted").TextContentAsync());
        var error = item.GetByTestId("error-row");
        Assert.Equal(1, await error.CountAsync());
        Assert.Equal(PersianDigits(3), await error.Locator("td:nth-child(1)").TextContentAsync()); // header on row 1, PFA-2 on row 3
        Assert.Equal("عرض جغرافیایی", await error.GetByTestId("field").TextContentAsync());
        Assert.Equal(report.GetProperty("errors")[0].GetProperty("messageFa").GetString(), await error.Locator("td:nth-child(4)").TextContentAsync());

        var warning = item.GetByTestId("warning-row");
        Assert.Equal(1, await warning.CountAsync());
        Assert.Equal(PersianDigits(2), await warning.Locator("td:nth-child(1)").TextContentAsync());
        Assert.Equal("عیار (درصد)", await warning.GetByTestId("field").TextContentAsync());
        var warningFa = report.GetProperty("warnings")[0].GetProperty("messageFa").GetString();
        Assert.Contains("کمتر از حد اقتصادی کرومیت", warningFa);
        Assert.Equal(warningFa, await warning.Locator("td:nth-child(4)").TextContentAsync());

        // The page's text is set in the font shipped with it, loaded from this app (not one the machine happens to have).
        Assert.StartsWith("Vazirmatn", await page.EvaluateAsync<string>("getComputedStyle(document.querySelector('[data-testid=warning-row] td')).fontFamily"));
        Assert.True(await page.EvaluateAsync<bool>(
            "async () => { await document.fonts.ready; return [...document.fonts].some(f => f.family.replace(/\"/g, '') === 'Vazirmatn' && f.status === 'loaded'); }"));
        using var font = await fixture.Http.GetAsync("/api/dashboard/vazirmatn-regular.woff2");
        Assert.Equal("font/woff2", font.Content.Headers.ContentType?.MediaType);

        await page.SelectOptionAsync("#lang", "en");
        Assert.Equal("12", await item.GetByTestId("count-rows").TextContentAsync());
        Assert.Equal("Latitude", await item.GetByTestId("error-row").GetByTestId("field").TextContentAsync());
        Assert.Equal(report.GetProperty("warnings")[0].GetProperty("message").GetString(), await item.GetByTestId("warning-row").Locator("td:nth-child(4)").TextContentAsync());
    }

    [Fact]
    public async Task The_page_takes_its_file_limit_from_the_server_and_refuses_a_larger_file_before_sending_it()
    {
        // A second host on the same storage whose survey limit is 1 MB.
        var url = $"http://127.0.0.1:{fixture.Azurite.HostPort()}";
        await using var app = LocalHostApp.Build([$"--AzureWebJobsStorage={fixture.Azurite.ConnectionString}", $"--urls={url}",
            "--Survey:Limits:MaxFileBytes=1048576", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        await using var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var sent = new List<string>();
        page.Request += (_, r) => { if (r.Url.Contains("/uploads") || r.Url.Contains("devstoreaccount1")) sent.Add(r.Url); };
        await page.GotoAsync(url + "/api/upload");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.GetByTestId("key").FillAsync(fixture.KermanKey);
        await page.GetByTestId("save-key").ClickAsync();

        await page.GetByTestId("files").SetInputFilesAsync(fixture.Write("kerman-2mb.csv", new byte[2 * 1024 * 1024]));
        var problem = page.GetByTestId("file").Nth(0).GetByTestId("problem");
        await problem.WaitForAsync();
        Assert.Equal("«kerman-2mb.csv» بزرگ‌تر از ۱ مگابایت است، سقف یک بررسی. آن را به چند فایل کوچک‌تر تقسیم کنید.", await problem.TextContentAsync());
        await page.WaitForTimeoutAsync(500);
        Assert.Empty(sent);
        await app.StopAsync();
    }

    [Fact]
    public async Task A_clerk_withdraws_a_wrong_upload_from_its_report_and_its_mines_leave_the_record()
    {
        await using var context = await fixture.Browser.NewContextAsync();
        var page = await OpenAsync(context, fixture.KermanKey);
        await page.GetByTestId("files").SetInputFilesAsync(fixture.Write("kerman-wrong.csv",
            new SurveyBuilder().AddMany(3, i => RowBuilder.WorkedExample($"PW-{i}")).ToCsv()));
        var item = await SettledAsync(page, 0);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Http.GetAsync("/api/mines/kerman/PW-1")).StatusCode);

        page.Dialog += async (_, dialog) => await dialog.AcceptAsync("فایل استان دیگری بود");
        await item.GetByTestId("withdraw").ClickAsync();
        var withdrawal = item.GetByTestId("withdrawal");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=withdrawal]')?.textContent.includes('پس گرفته شد')",
            null, new() { Timeout = 60_000 });
        Assert.Equal("این بررسی پس گرفته شد (فایل استان دیگری بود): ۰ معدن به حال پیشین بازگشت، ۳ معدن حذف شد، ۰ معدن دست نخورد.", await withdrawal.TextContentAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Http.GetAsync("/api/mines/kerman/PW-1")).StatusCode);
    }

    [Fact]
    public async Task The_office_withdraws_a_survey_from_the_dashboard_s_recent_surveys_with_its_writer_key()
    {
        var blob = "kerman/dashboard-withdraw.csv";
        await fixture.Surveys.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(new SurveyBuilder().AddMany(2, i => RowBuilder.WorkedExample($"DW-{i}")).ToCsv()));
        var id = (await PipelineFixture.WaitForSurveyAsync(fixture.Http, blob)).GetProperty("id").GetString();

        await using var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var answers = new Queue<string>(["sent by mistake", fixture.WriterKey]); // the reason, then the writer key
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync(answers.Dequeue());
        await page.GotoAsync(fixture.Url + "/api/dashboard");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        var row = page.GetByTestId("survey-row").Filter(new() { HasText = blob });
        await row.GetByTestId("withdraw").ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=withdraw-message]').textContent.length > 0");
        Assert.Contains(blob, await page.GetByTestId("withdraw-message").TextContentAsync());
        Assert.Empty(answers);

        JsonElement report = default;
        for (var i = 0; i < 120 && (report.ValueKind != JsonValueKind.Object || report.GetProperty("status").GetString() != "withdrawn"); i++)
        {
            await Task.Delay(250);
            report = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/surveys/{id}");
        }
        Assert.Equal("sent by mistake", report.GetProperty("withdrawal").GetProperty("reason").GetString());
        Assert.StartsWith("office (", report.GetProperty("withdrawal").GetProperty("by").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Http.GetAsync("/api/mines/kerman/DW-1")).StatusCode);
    }
}
