using Microsoft.Playwright;
using MineIngest.TestData;
using Xunit.Abstractions;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The three pages on a phone (390 x 844, mobile emulation), in Persian and English: the clerk's whole flow on the
/// upload page (key, file, progress, report with rows to fix and withdraw), the dashboard with a mine opened, and the
/// progress report. Nothing may stand past the screen's edge except inside a box that scrolls by itself, the page never
/// scrolls sideways, every control is at least 24 x 24 px (WCAG 2.2 target size) and no text is set below 12 px.
/// </summary>
public sealed class PhoneLayoutTests(UploadPageFixture fixture, ITestOutputHelper output) : IClassFixture<UploadPageFixture>
{
    private const int Width = 390, Height = 844;

    /// <summary>Where the page breaks a phone's rules, as the browser lays it out: one line a fault, none when it fits.</summary>
    internal const string FaultsScript = """
        () => {
          const vw = document.documentElement.clientWidth;
          const faults = [];
          const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.dataset.testid ? `[${e.dataset.testid}]` : '')
            + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '');
          const scroller = (e) => {
            for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
              const x = getComputedStyle(p).overflowX;
              if (x === 'auto' || x === 'scroll') return p;
            }
            return null;
          };
          if (document.documentElement.scrollWidth > vw) faults.push(`the page is ${document.documentElement.scrollWidth} px wide on a ${vw} px screen`);
          for (const e of document.body.querySelectorAll('*')) {
            const r = e.getBoundingClientRect();
            if (r.width === 0 || r.height === 0 || getComputedStyle(e).visibility === 'hidden') continue;
            const box = scroller(e);
            if (box) {
              const b = box.getBoundingClientRect();
              if (b.left < -0.5 || b.right > vw + 0.5) faults.push(`${name(box)} (a scrolling box) spans ${Math.round(b.left)} to ${Math.round(b.right)}`);
            } else if (r.left < -0.5 || r.right > vw + 0.5) faults.push(`${name(e)} spans ${Math.round(r.left)} to ${Math.round(r.right)}`);
            const control = e.matches('button, select, input:not([type=hidden]), textarea, summary, [role=button]');
            if (control && (r.width < 23.5 || r.height < 23.5)) faults.push(`${name(e)} is ${Math.round(r.width)} x ${Math.round(r.height)} px`);
            const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim().length > 0);
            if (own && !e.closest('svg') && parseFloat(getComputedStyle(e).fontSize) < 11.95) faults.push(`${name(e)} text is ${getComputedStyle(e).fontSize}`);
          }
          return [...new Set(faults)];
        }
        """;

    private async Task AssertFitsAsync(IPage page, string what)
    {
        var faults = await page.EvaluateAsync<string[]>(FaultsScript);
        output.WriteLine($"{what}: {faults.Length} faults");
        Assert.True(faults.Length == 0, $"{what} on a {Width} px phone:\n" + string.Join("\n", faults.Take(30)));
    }

    private async Task<IBrowserContext> PhoneAsync() => await fixture.Browser.NewContextAsync(new()
    {
        ViewportSize = new() { Width = Width, Height = Height }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2, AcceptDownloads = true,
    });

    /// <summary>A survey put where a province's upload lands, waited for until its report is settled.</summary>
    private async Task UploadAsync(string blob, SurveyBuilder survey)
    {
        await fixture.Surveys.CreateIfNotExistsAsync();
        await fixture.Surveys.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(survey.ToCsv()));
        await PipelineFixture.WaitForSurveyAsync(fixture.Http, blob);
    }

    private static async Task ShotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(DashboardTests.ArtefactFolder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardTests.ArtefactFolder, name), FullPage = true });
    }

    [Theory]
    [InlineData("fa")]
    [InlineData("en")]
    public async Task The_clerk_s_whole_flow_on_the_upload_page_fits_a_phone(string lang)
    {
        await using var context = await PhoneAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(fixture.Url + "/api/upload");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        if (lang == "en") await page.SelectOptionAsync("#lang", "en");
        await AssertFitsAsync(page, $"upload page ({lang}), before the key");
        await page.GetByTestId("key").FillAsync(fixture.KermanKey);
        await page.GetByTestId("save-key").ClickAsync();

        var survey = new SurveyBuilder { Language = lang == "fa" ? HeaderLanguage.Persian : HeaderLanguage.English }
            .Add(RowBuilder.WorkedExample($"PHONE-{lang}-1").Set("mine_name", "معدن کرومیت با نامی بسیار بلند برای آزمودن شکستن سطر در صفحه"))
            .Add(RowBuilder.WorkedExample($"PHONE-{lang}-2").Set("latitude", 41.2))
            .Add(RowBuilder.WorkedExample($"PHONE-{lang}-3").Set("mineral", "kryptonite").Set("jobs_potential", 2.5))
            .Add(RowBuilder.WorkedExample($"PHONE-{lang}-4").Set("grade_pct", 5));
        await page.GetByTestId("files").SetInputFilesAsync(fixture.Write($"kerman-phone-survey-with-a-long-file-name-{lang}.xlsx", survey.ToXlsx()));
        var item = page.GetByTestId("file").Nth(0);
        await item.GetByTestId("fix-xlsx").WaitForAsync(new() { Timeout = 90_000 });
        await AssertFitsAsync(page, $"upload page ({lang}), the report with rows to fix and withdraw");
        await ShotAsync(page, $"phone-upload-{lang}.png");
    }

    [Theory]
    [InlineData("fa")]
    [InlineData("en")]
    public async Task The_dashboard_with_a_mine_opened_fits_a_phone(string lang)
    {
        await UploadAsync($"kerman/phone-dashboard-{lang}.csv", new SurveyBuilder()
            .Add(RowBuilder.WorkedExample($"DASH-{lang}-1")).Add(RowBuilder.WorkedExample($"K-12/7-{lang}")).Add(RowBuilder.WorkedExample($"DASH-{lang}-3").Set("latitude", 50)));

        await using var context = await PhoneAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(fixture.Url + "/api/dashboard");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        if (lang == "fa") await page.SelectOptionAsync("#lang", "fa");
        await page.Locator("#ranking tbody tr").First.WaitForAsync();
        await AssertFitsAsync(page, $"dashboard ({lang})");
        await ShotAsync(page, $"phone-dashboard-{lang}.png");

        // A mine whose id holds a slash opens from the ranking, and the page still fits with its detail shown.
        await page.Locator("#ranking tbody tr", new() { HasText = $"K-12/7-{lang}" }).ClickAsync();
        await page.Locator("#breakdown h4").First.WaitForAsync();
        Assert.DoesNotContain("error", await page.Locator("#breakdown").InnerHTMLAsync());
        await AssertFitsAsync(page, $"dashboard ({lang}) with a mine opened");
    }

    [Theory]
    [InlineData("fa")]
    [InlineData("en")]
    public async Task The_progress_report_fits_a_phone(string lang)
    {
        await UploadAsync($"kerman/phone-report-{lang}.csv", new SurveyBuilder()
            .Add(RowBuilder.WorkedExample($"REP-{lang}-1").Set("status", "revived").Set("revived_on", new DateOnly(2020, 6, 1)).Set("jobs_created", 12))
            .Add(RowBuilder.WorkedExample($"REP-{lang}-2")));

        await using var context = await PhoneAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(fixture.Url + $"/api/report?period=1399{(lang == "en" ? "&lang=en" : "")}");
        await page.GetByTestId("lead").WaitForAsync();
        await AssertFitsAsync(page, $"progress report ({lang})");
        await ShotAsync(page, $"phone-report-{lang}.png");
    }
}
