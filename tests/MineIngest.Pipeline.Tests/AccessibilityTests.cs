using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;
using MineIngest.TestData;

namespace MineIngest.Pipeline.Tests;

/// <summary>axe-core (pinned in dashboard/package-lock.json) over the pages as people see them: it must find nothing.</summary>
public static class Axe
{
    private static readonly Lazy<string> Script = new(() =>
    {
        var dashboard = Path.Combine(Azurite.RepoRoot, "dashboard");
        var path = Path.Combine(dashboard, "node_modules", "axe-core", "axe.min.js");
        if (!File.Exists(path))
        {
            using var npm = Process.Start(new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"]) { WorkingDirectory = dashboard })!;
            npm.WaitForExit();
        }
        return File.ReadAllText(path);
    });

    /// <summary>Each violation as "rule: what it says (how many elements)"; empty when the page has none.</summary>
    public static async Task<IReadOnlyList<string>> ViolationsAsync(IPage page)
    {
        // Evaluated by the browser's debugging protocol, not added as a <script> element: the pages' policy refuses inline scripts.
        await page.EvaluateAsync(Script.Value + "\n;undefined");
        var result = await page.EvaluateAsync<JsonElement>("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.map(v => `${v.id}: ${v.help} (${v.nodes.length}: ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')})`)");
        return result.EnumerateArray().Select(v => v.GetString()!).ToList();
    }
}

public sealed class AccessibilityTests(UploadPageFixture fixture) : IClassFixture<UploadPageFixture>
{
    [Theory]
    [InlineData("fa", 1280)]
    [InlineData("en", 1280)]
    [InlineData("fa", 390)]
    public async Task The_upload_page_with_rows_to_fix_in_the_page_has_no_axe_violations(string lang, int width)
    {
        await using var context = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(fixture.Url + "/api/upload");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.SelectOptionAsync("#lang", lang);
        await page.GetByTestId("key").FillAsync(fixture.KermanKey);
        await page.GetByTestId("save-key").ClickAsync();
        await page.GetByTestId("files").SetInputFilesAsync(fixture.Write($"axe-{lang}-{width}.csv", new SurveyBuilder()
            .Add(RowBuilder.WorkedExample($"AX-{lang}{width}-1")).Add(RowBuilder.WorkedExample($"AX-{lang}{width}-2").Set("mineral", "طلا").Set("latitude", 41.2)).ToCsv()));
        await page.GetByTestId("fix-row").First.WaitForAsync(new() { Timeout = 90_000 });
        // A cell fixed, so that a row shows each of its states.
        await page.GetByTestId("cell-latitude").First.FillAsync("29.5");
        await page.Locator("[data-testid=fix-row][data-state=wrong]").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 10_000 });
        Assert.Empty(await Axe.ViolationsAsync(page));
    }

    [Fact]
    public async Task The_dashboard_has_no_axe_violations()
    {
        await using var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(fixture.Url + "/api/dashboard");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.Empty(await Axe.ViolationsAsync(page));
    }
}
