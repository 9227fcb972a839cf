using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using MineIngest.TestData;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// A clerk fixes rejected rows in the upload page, without a spreadsheet program: each fix checked by the server as they
/// type, the edits surviving a reload, the fixed rows sent as a survey of their own.
/// </summary>
public sealed class FixRowsPageTests(UploadPageFixture fixture) : IClassFixture<UploadPageFixture>
{
    [Theory]
    [InlineData("fa", 1280, 1000, "semnan")]
    [InlineData("en", 1280, 1000, "qom")]
    [InlineData("fa", 390, 844, "ilam")]
    public async Task A_clerk_fixes_four_of_five_rejected_rows_in_the_page_and_sends_them(string lang, int width, int height, string province)
    {
        var phone = width < 600;
        await using var context = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, IsMobile = phone, HasTouch = phone });
        var page = await context.NewPageAsync();
        await page.GotoAsync(fixture.Url + "/api/upload");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.SelectOptionAsync("#lang", lang);
        await page.GetByTestId("key").FillAsync(fixture.NationalKey);
        await page.GetByTestId("save-key").ClickAsync();

        // Three good rows, five rejected for five different reasons.
        var id = (string s) => $"FX-{province}-{s}";
        var survey = new SurveyBuilder()
            .AddMany(3, i => RowBuilder.WorkedExample(id($"ok{i}"), province))
            .Add(RowBuilder.WorkedExample(id("lat"), province).Set("latitude", 41.2))
            .Add(RowBuilder.WorkedExample(id("mineral"), province).Set("mineral", "طلا"))
            .Add(RowBuilder.WorkedExample(id("revived"), province).Set("status", "revived"))
            .Add(RowBuilder.WorkedExample(id("date"), province).Set("survey_date", "1399-13-01"))
            .Add(RowBuilder.WorkedExample(id("tonnes"), province).Set("reserve_tonnes", "lots"));
        var file = fixture.Write($"{province}-fix.csv", survey.ToCsv());
        await page.GetByTestId("files").SetInputFilesAsync(file);
        var original = page.GetByTestId("file").Nth(0);
        await original.GetByTestId("fix-row").Nth(4).WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 90_000 });
        Assert.Equal(5, await original.GetByTestId("fix-row").CountAsync());
        Assert.Equal(5, await original.GetByTestId("bad-cell").CountAsync());

        // Two fixes, then a reload: the edits are still there.
        await FixAsync(page, id("lat"), "latitude", "29.5", phone);
        await FixAsync(page, id("mineral"), "mineral", "Chromite", phone, choose: true);
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.GetByTestId("fixes-restored").WaitForAsync(new() { Timeout = 30_000 });
        Assert.Equal("29.5", await Row(page, id("lat")).GetByTestId("cell-latitude").InputValueAsync());
        await ValidAsync(page, id("lat"));
        await ValidAsync(page, id("mineral"));

        await FixAsync(page, id("revived"), "revived_on", "1400-01-15", phone);
        await FixAsync(page, id("date"), "survey_date", "1399-12-01", phone);
        // The fifth keeps its reason.
        var fifth = Row(page, id("tonnes"));
        Assert.Equal("untouched", await fifth.GetAttributeAsync("data-state"));
        Assert.Equal(1, await fifth.GetByTestId("bad-cell").CountAsync());

        await page.GetByTestId("send-fixes").ClickAsync();
        // The new survey is an upload like any other: its own item, named after the original.
        var fixes = page.GetByTestId("file").Filter(new() { Has = page.Locator("h3", new() { HasText = $"{province}-fix-fixes-1.csv" }) });
        await fixes.Locator("[data-testid=report-state].ok").WaitForAsync(new() { Timeout = 90_000 });
        Assert.Equal("4", await fixes.GetByTestId("count-accepted").GetAttributeAsync("data-value"));
        Assert.Equal("0", await fixes.GetByTestId("count-rejected").GetAttributeAsync("data-value"));

        // Asked once: the summary counts the fixed mines, and the original survey still has its five rejections.
        var summary = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/summary?province={province}");
        Assert.Equal(7, summary.GetProperty("mines").GetInt32());
        foreach (var fixedMine in new[] { "lat", "mineral", "revived", "date" })
            Assert.Equal(HttpStatusCode.OK, (await fixture.Http.GetAsync($"/api/mines/{province}/{id(fixedMine)}")).StatusCode);
        var surveys = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/surveys?province=national");
        var first = surveys.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("blob").GetString()!.EndsWith($"{province}-fix.csv"));
        Assert.Equal(5, first.GetProperty("rejected").GetInt32());
        Assert.Equal(3, first.GetProperty("accepted").GetInt32());
        if (phone) await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardTests.ArtefactFolder, $"phone-fix-rows-{lang}.png") });
    }

    private static ILocator Row(IPage page, string mineId, string state = "") =>
        page.GetByTestId("file").Nth(0).Locator($"[data-testid=fix-row]{state}:has([data-testid=cell-mine_id][value='{mineId}'])");

    /// <summary>Corrects one cell as a clerk does (on a phone, paging to the row first) and waits for the server's verdict.</summary>
    private static async Task FixAsync(IPage page, string mineId, string column, string value, bool phone, bool choose = false)
    {
        var row = Row(page, mineId);
        if (phone)
        {
            var first = page.GetByTestId("file").Nth(0).GetByTestId("previous-row");
            while (await first.IsEnabledAsync()) await first.ClickAsync();
            var next = page.GetByTestId("file").Nth(0).GetByTestId("next-row");
            while (!await row.IsVisibleAsync() && await next.IsEnabledAsync()) await next.ClickAsync();
            Assert.True(await row.IsVisibleAsync());
            // One row at a time, its bad field first.
            Assert.Equal(1, await page.GetByTestId("file").Nth(0).Locator("[data-testid=fix-row]:visible").CountAsync());
        }
        var cell = row.GetByTestId($"cell-{column}");
        if (choose) await cell.SelectOptionAsync(value); else await cell.FillAsync(value);
        await ValidAsync(page, mineId);
    }

    private static async Task ValidAsync(IPage page, string mineId)
    {
        var row = Row(page, mineId);
        try
        {
            // The page redraws the row when the server answers: wait for a row in that state, not for this element to change.
            await Row(page, mineId, "[data-state=valid]").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 10_000 });
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"{mineId} is not valid: {await row.GetAttributeAsync("data-state")}: {await row.InnerTextAsync()}");
        }
        Assert.Equal(0, await row.GetByTestId("bad-cell").CountAsync());
    }
}
