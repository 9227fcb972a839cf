using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using MineIngest.LocalHost;
using MineIngest.Pipeline;

namespace MineIngest.Pipeline.Tests;

/// <summary>The local stack with the three sample surveys loaded, and Debian's Chromium driven by Playwright.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private readonly Azurite _azurite = new();
    private WebApplication? _app;
    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string Url { get; private set; } = "";
    public string AzuriteConnectionString => _azurite.ConnectionString;

    public async Task InitializeAsync()
    {
        Url = $"http://127.0.0.1:{_azurite.HostPort()}";
        _app = LocalHostApp.Build([$"--AzureWebJobsStorage={_azurite.ConnectionString}", $"--urls={Url}", "--Pipeline:MineViewRefreshSeconds=0",
            "--extensions:queues:maxPollingInterval=00:00:00.500", "--Logging:LogLevel:Default=Warning"]);
        await _app.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri(Url) };
        var surveys = new Azure.Storage.Blobs.BlobContainerClient(_azurite.ConnectionString, PipelineOptions.SurveysContainer);
        await surveys.CreateIfNotExistsAsync();
        foreach (var (file, folder) in new[] { ("kerman-1399-spring.xlsx", "kerman"), ("yazd-2021.csv", "yazd"), ("national-1400.xls", "national") })
        {
            await surveys.GetBlobClient($"{folder}/{file}").UploadAsync(Path.Combine(Azurite.RepoRoot, "samples", file));
            await PipelineFixture.WaitForSurveyAsync(Http, $"{folder}/{file}");
        }

        (_playwright, Browser) = await LaunchChromiumAsync();
    }

    /// <summary>Debian's Chromium under Playwright, headless, as the browser tests use it.</summary>
    public static async Task<(IPlaywright, IBrowser)> LaunchChromiumAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium package (apt-get install chromium); .ci/run does.");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true,
            // As root in a sandbox, with no network beyond loopback: no sandbox, no background connections.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        try
        {
            if (_app is not null) AssertNoViolationReports(_app);
        }
        finally
        {
            if (_app is not null) { await _app.StopAsync(); await _app.DisposeAsync(); }
            Http?.Dispose();
            _azurite.Dispose();
        }
    }

    /// <summary>Every page the tests opened on this host ran under its policy: the host received no violation report.</summary>
    internal static void AssertNoViolationReports(WebApplication app)
    {
        var reports = app.Services.GetRequiredService<MineIngest.Pipeline.Api.CspReportsApi>();
        Assert.True(reports.Received == 0, $"{reports.Received} Content-Security-Policy violation(s) reported by the pages: " + string.Join("\n", reports.Recent));
    }
}

public sealed class DashboardTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    /// <summary>Where the screenshot is kept (ignored by git; CI can collect it).</summary>
    public static string ArtefactFolder { get; } = Path.Combine(Azurite.RepoRoot, "tests", "artifacts");

    private async Task<IPage> OpenAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        var failures = new List<string>();
        page.RequestFailed += (_, r) => failures.Add(r.Url);
        await page.GotoAsync(fixture.Url + "/"); // the local stack's root redirects to /api/dashboard
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.EndsWith("/api/dashboard", page.Url);
        Assert.Empty(failures);
        return page;
    }

    private static async Task<int> ValueAsync(IPage page, string testId) =>
        int.Parse((await page.GetByTestId(testId).GetAttributeAsync("data-value"))!, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Figures_on_screen_equal_the_summary_and_every_mine_is_a_point_on_the_map()
    {
        await using var context = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 2200 } });
        var page = await OpenAsync(context);
        var summary = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/summary");
        Assert.True(summary.GetProperty("mines").GetInt32() >= 8, $"the samples should give at least 8 mines, not {summary.GetProperty("mines").GetInt32()}");

        Assert.Equal(summary.GetProperty("mines").GetInt32(), await ValueAsync(page, "fig-mines"));
        Assert.Equal(summary.GetProperty("provinces").GetInt32(), await ValueAsync(page, "fig-provinces"));
        foreach (var tier in new[] { "A", "B", "C" })
            Assert.Equal(summary.GetProperty("byTier").GetProperty(tier).GetInt32(), await ValueAsync(page, $"fig-tier{tier}"));
        foreach (var status in new[] { "idle", "reviving", "revived", "active" })
            Assert.Equal(summary.GetProperty("byStatus").GetProperty(status).GetInt32(), await ValueAsync(page, $"fig-{status}"));
        Assert.Equal(summary.GetProperty("jobsPotential").GetInt32(), await ValueAsync(page, "fig-jobsPotential"));

        Assert.Equal(summary.GetProperty("mines").GetInt32(), await page.Locator("#mine-points circle").CountAsync());
        Assert.Equal(summary.GetProperty("byProvince").GetArrayLength(), await page.Locator("#bars-province [data-testid=bar]").CountAsync());

        Directory.CreateDirectory(ArtefactFolder);
        var shot = Path.Combine(ArtefactFolder, "dashboard.png");
        await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 20_000);
    }

    [Fact]
    public async Task The_period_picker_changes_revived_and_jobs_as_the_api_counts_them()
    {
        await using var context = await fixture.Browser.NewContextAsync();
        var page = await OpenAsync(context);
        async Task<(int Revived, int Jobs)> PickAsync(string year, string span, string jalaliFrom, string jalaliTo)
        {
            await page.SelectOptionAsync("#period-year", year);
            await page.SelectOptionAsync("#period-span", span);
            // The page writes the period's dates after its figures (and drops answers to earlier choices):
            // once they name this period, the figures beside them are this period's.
            await page.WaitForFunctionAsync("([from, to]) => { const t = document.querySelector('#period-dates').textContent; return t.startsWith(from) && t.includes('– ' + to); }",
                new[] { jalaliFrom, jalaliTo });
            return (await ValueAsync(page, "period-revived"), await ValueAsync(page, "period-jobs"));
        }
        async Task<(int, int)> ApiAsync(string from, string to)
        {
            var s = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/summary?from={from}&to={to}"); // Jalali dates, as the contract allows
            return (s.GetProperty("revived").GetInt32(), s.GetProperty("jobsCreated").GetInt32());
        }

        var firstFive1399 = await PickAsync("1399", "first5", "1399/01/01", "1399/05/31");
        Assert.Equal(await ApiAsync("1399-01-01", "1399-05-31"), firstFive1399);
        Assert.True(firstFive1399.Revived > 0, "the Kerman sample has a mine revived in Khordad 1399");
        Assert.Contains("1399/01/01 (2020-03-20)", await page.Locator("#period-dates").TextContentAsync());
        // The progress report of the chosen period: its link, followed once, states the same figures.
        var link = (await page.GetAttributeAsync("#report-link", "href"))!;
        Assert.Contains("from=2020-03-20&to=2020-08-21", link);
        Assert.Contains($"{firstFive1399.Revived} mines were revived and {firstFive1399.Jobs} jobs were created", await fixture.Http.GetStringAsync(link));

        var autumn1398 = await PickAsync("1398", "q3", "1398/07/01", "1398/09/30");
        Assert.Equal(await ApiAsync("1398-07-01", "1398-09-30"), autumn1398);
        Assert.NotEqual(firstFive1399, autumn1398);
    }

    [Fact]
    public async Task A_filter_narrows_the_ranking_a_click_shows_the_breakdown_and_persian_turns_the_page_right_to_left()
    {
        await using var context = await fixture.Browser.NewContextAsync(new() { AcceptDownloads = true });
        var page = await OpenAsync(context);
        var rows = page.GetByTestId("ranking-row");
        var all = await rows.CountAsync();
        await page.SelectOptionAsync("#f-province", "yazd");
        await page.WaitForFunctionAsync("n => document.querySelectorAll('[data-testid=ranking-row]').length !== n", all);
        var yazd = await rows.CountAsync();
        var expected = (await fixture.Http.GetFromJsonAsync<JsonElement>("/api/mines?province=yazd&top=25")).GetProperty("items").GetArrayLength();
        Assert.Equal(expected, yazd);
        Assert.InRange(yazd, 1, all - 1);
        foreach (var cell in await page.Locator("#ranking tbody tr td:nth-child(4)").AllTextContentsAsync()) Assert.Equal("Yazd", cell);

        await rows.First.ClickAsync();
        Assert.Equal(6, await page.GetByTestId("component").CountAsync());

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-csv"));
        var bytes = await File.ReadAllBytesAsync((await download.PathAsync())!);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]); // the BOM Excel needs to read UTF-8
        var csv = Encoding.UTF8.GetString(bytes[3..]);
        Assert.Contains("یزد", csv);
        Assert.Equal(yazd + 1, csv.Split("\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal("mineingest-ranking-yazd.csv", download.SuggestedFilename);

        await page.SelectOptionAsync("#lang", "fa");
        Assert.Equal("rtl", await page.GetAttributeAsync("html", "dir"));
        Assert.Equal("معادن", await page.Locator("#figures .label").First.TextContentAsync());
        foreach (var cell in await page.Locator("#ranking tbody tr td:nth-child(4)").AllTextContentsAsync()) Assert.Equal("یزد", cell);

        await page.GetByTestId("survey-row").First.ClickAsync();
        await page.WaitForSelectorAsync("#survey-errors:not([hidden])");
    }
    [Fact]
    public async Task The_problem_chart_counts_as_the_summary_the_filter_narrows_and_a_mine_shows_its_timeline()
    {
        // A later survey of one sample mine, all else as it was: the mine gets a second version, the figures stay.
        var mine = (await fixture.Http.GetFromJsonAsync<JsonElement>("/api/mines?province=kerman&top=1")).GetProperty("items")[0];
        string? Text(string name) => mine.GetProperty(name).ValueKind == JsonValueKind.Null ? null : mine.GetProperty(name).ToString();
        var row = new TestData.RowBuilder();
        foreach (var (key, name) in new[] { ("mine_id", "mineId"), ("mine_name", "name"), ("province", "province"), ("county", "county"), ("mineral", "mineral"),
                     ("status", "status"), ("latitude", "latitude"), ("longitude", "longitude"), ("reserve_tonnes", "reserveTonnes"), ("grade_pct", "gradePct"),
                     ("road_km", "roadKm"), ("power_km", "powerKm"), ("jobs_potential", "jobsPotential"), ("jobs_created", "jobsCreated"),
                     ("investment_bn_rial", "investmentBnRial"), ("idle_since", "idleSince"), ("problem", "problem"), ("revived_on", "revivedOn") })
            row.Set(key, Text(name));
        row.Set("survey_date", "2025-01-05");
        var surveys = new Azure.Storage.Blobs.BlobContainerClient(fixture.AzuriteConnectionString, PipelineOptions.SurveysContainer);
        await surveys.GetBlobClient("kerman/later.csv").UploadAsync(BinaryData.FromBytes(new TestData.SurveyBuilder().Add(row).ToCsv()), overwrite: true);
        var report = await PipelineFixture.WaitForSurveyAsync(fixture.Http, "kerman/later.csv");
        Assert.Equal(1, report.GetProperty("accepted").GetInt32());

        await using var context = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 2600 } });
        var page = await OpenAsync(context);
        var summary = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/summary");
        var groups = summary.GetProperty("byProblem").EnumerateArray().ToList();
        Assert.Equal(groups.Count, await page.GetByTestId("problem-bar").CountAsync());
        foreach (var g in groups)
        {
            var bar = page.Locator($"[data-testid=problem-bar][data-problem='{g.GetProperty("problem").GetString()}'] .n");
            Assert.Equal(g.GetProperty("mines").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), await bar.TextContentAsync());
        }

        var problem = groups.OrderByDescending(g => g.GetProperty("mines").GetInt32()).First().GetProperty("problem").GetString()!;
        var expected = (await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/mines?problem={problem}&top=25")).GetProperty("items").GetArrayLength();
        await page.SelectOptionAsync("#f-problem", problem);
        await page.WaitForFunctionAsync("n => document.querySelectorAll('[data-testid=ranking-row]').length === n", expected);

        await page.SelectOptionAsync("#f-problem", "");
        await page.SelectOptionAsync("#f-province", "kerman");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=ranking-row]')].every(r => r.textContent.includes('کرمان') || r.textContent.includes('Kerman'))");
        await page.GetByTestId("ranking-row").Filter(new() { HasText = mine.GetProperty("mineId").GetString() }).First.ClickAsync();
        await page.GetByTestId("timeline-point").Nth(1).WaitForAsync();
        Assert.Equal(2, await page.GetByTestId("timeline-point").CountAsync());
        Assert.Equal(2, (await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/mines/kerman/{mine.GetProperty("mineId").GetString()}/history"))
            .GetProperty("versions").GetArrayLength());
        Directory.CreateDirectory(ArtefactFolder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ArtefactFolder, "dashboard-detail.png"), FullPage = true });
    }
}

/// <summary>The committed bundle is what the sources build to (npm packages as pinned in package-lock.json).</summary>
public sealed class DashboardBundleTests
{
    [Fact]
    public void The_committed_bundle_is_built_from_the_current_sources()
    {
        var dashboard = Path.Combine(Azurite.RepoRoot, "dashboard");
        if (new[] { "esbuild", "vazirmatn", "workbox-precaching", "idb" }.Any(p => !File.Exists(Path.Combine(dashboard, "node_modules", p, "package.json"))))
            Run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], dashboard);
        var built = Path.Combine(Path.GetTempPath(), $"mineingest-dashboard-{Guid.NewGuid():N}.js");
        var builtSignIn = Path.Combine(Path.GetTempPath(), $"mineingest-signin-{Guid.NewGuid():N}.js");
        var builtField = Directory.CreateTempSubdirectory("mineingest-field-");
        try
        {
            Run("node", ["build.mjs", "--out", built, "--signin-out", builtSignIn, "--field-out", builtField.FullName], dashboard);
            foreach (var file in new[] { "field.js", "field-worker.js" })
                Assert.True(File.ReadAllBytes(Path.Combine(dashboard, "dist", file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(builtField.FullName, file))),
                    $"dashboard/dist/{file} is stale: run `cd dashboard && npm ci && npm run build` and commit it.");
            Assert.True(File.ReadAllBytes(Path.Combine(dashboard, "dist", "dashboard.js")).AsSpan().SequenceEqual(File.ReadAllBytes(built)),
                "dashboard/dist/dashboard.js is stale: run `cd dashboard && npm ci && npm run build` and commit it.");
            Assert.True(File.ReadAllBytes(Path.Combine(dashboard, "dist", "signin.js")).AsSpan().SequenceEqual(File.ReadAllBytes(builtSignIn)),
                "dashboard/dist/signin.js is stale: run `cd dashboard && npm ci && npm run build` and commit it.");
            foreach (var face in new[] { "Regular", "Bold" })
                Assert.True(File.ReadAllBytes(Path.Combine(dashboard, "dist", $"vazirmatn-{face.ToLowerInvariant()}.woff2")).AsSpan()
                    .SequenceEqual(File.ReadAllBytes(Path.Combine(dashboard, "node_modules", "vazirmatn", "fonts", "webfonts", $"Vazirmatn-{face}.woff2"))),
                    $"dashboard/dist/vazirmatn-{face.ToLowerInvariant()}.woff2 is not the pinned package's font: run `cd dashboard && npm ci && npm run build` and commit it.");
        }
        finally
        {
            File.Delete(built);
            File.Delete(builtSignIn);
            builtField.Delete(recursive: true);
        }
    }

    private static void Run(string command, string[] args, string folder)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(command, args)
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)} failed: {output.Result}{error}");
    }

}
