using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Playwright;
using MineIngest.Pipeline.Field;
using MineIngest.TestData;
using Xunit.Abstractions;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// A surveyor at a mine with no signal: the field form opened once with a signal, then the signal gone (the host
/// stopped, the browser offline), the page reloaded from its service worker, three mines entered (one placed by the
/// phone, one typed, one with an error the phone catches), photos attached; the browser closed and opened again; the
/// signal back: one survey file sent, each mine's outcome from its report, the photos stored under the province's
/// folder and shown on the mine in the dashboard; nothing sent twice after another reload.
/// </summary>
public sealed class FieldFormTests(FieldFormFixture fixture, ITestOutputHelper output) : IClassFixture<FieldFormFixture>
{
    public sealed record Device(string Lang, int Width, int Height, bool Phone, string Province, float Latitude, float Longitude);

    [Fact]
    public Task On_a_phone_in_Persian_mines_entered_with_no_signal_are_sent_once_when_it_returns() =>
        RunAsync(new Device("fa", 390, 844, true, "kerman", 30.2839f, 57.0834f), fixture.KermanKey, "FK");

    [Fact]
    public Task On_a_desktop_in_English_mines_entered_with_no_signal_are_sent_once_when_it_returns() =>
        RunAsync(new Device("en", 1280, 900, false, "yazd", 31.8974f, 54.3569f), fixture.YazdKey, "FY");

    /// <summary>
    /// With a signal all along: each mine kept is checked by the service at once (its warning shown with it) and waits,
    /// so that the day's mines go as one file when the surveyor presses Send now.
    /// </summary>
    [Fact]
    public async Task With_a_signal_each_mine_is_checked_by_the_service_and_the_days_mines_go_together_on_send_now()
    {
        var profile = Directory.CreateTempSubdirectory("field-profile-").FullName;
        var device = new Device("en", 390, 844, true, "fars", 29.61f, 52.53f);
        var browser = await fixture.OpenBrowserAsync(profile, device);
        try
        {
            var page = await FirstPageAsync(browser);
            await page.GotoAsync($"{fixture.Url}/api/field");
            await page.WaitForSelectorAsync("body[data-ready=true]");
            await page.SelectOptionAsync("#lang", "en");
            await page.GetByTestId("key").FillAsync(fixture.FarsKey);
            await page.GetByTestId("save-key").ClickAsync();
            for (var i = 1; i <= 2; i++)
            {
                await Fill(page, new() { ["mine_id"] = $"FS-00{i}", ["mine_name"] = $"Fars chromite {i}", ["latitude"] = "29.6", ["longitude"] = "52.5",
                    ["reserve_tonnes"] = "60000", ["grade_pct"] = i == 1 ? "12" : "30", ["jobs_potential"] = "5" }, new() { ["mineral"] = "chromite", ["status"] = "idle" });
                await KeepAsync(page, i);
            }
            // The service's check of the first: accepted with a warning (grade below the cut-off), shown with it.
            await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=server-check]').length === 2");
            Assert.Contains("cut-off", await page.Locator("[data-testid=entry][data-mine=FS-001]").InnerTextAsync());
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Empty(await SurveyFilesAsync("fars"));
            Assert.Equal(["kept", "kept"], await States(page));

            await page.GetByTestId("send").ClickAsync();
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=entry]')].every((e) => e.dataset.state === 'accepted')", null, new() { Timeout = 90_000 });
            Assert.Single(await SurveyFilesAsync("fars"));
        }
        finally
        {
            await browser.CloseAsync();
            Directory.Delete(profile, recursive: true);
        }
    }

    private async Task RunAsync(Device device, string key, string prefix)
    {
        var profile = Directory.CreateTempSubdirectory("field-profile-").FullName;
        var photos = new[] { fixture.Write($"{prefix}-camera.jpg", PhotoBuilder.CameraJpeg(3000, 2000)), fixture.Write($"{prefix}-small.jpg", PhotoBuilder.CameraJpeg(1200, 900)) };
        IBrowserContext? browser = null;
        try
        {
            // With a signal: the form is opened, the key kept, the page ready to work offline.
            browser = await fixture.OpenBrowserAsync(profile, device);
            var page = await FirstPageAsync(browser);
            await page.GotoAsync($"{fixture.Url}/api/field");
            await page.WaitForSelectorAsync("body[data-ready=true]");
            if (device.Lang == "en") await page.SelectOptionAsync("#lang", "en");
            await page.GetByTestId("key").FillAsync(key);
            await page.GetByTestId("save-key").ClickAsync();
            await page.WaitForFunctionAsync("() => document.body.dataset.offlineReady === 'true' && navigator.serviceWorker.controller !== null");

            // The signal goes: nothing answers any more. The page comes back from the service worker.
            await browser.SetOfflineAsync(true);
            await fixture.StopHostAsync();
            await page.ReloadAsync();
            await page.WaitForSelectorAsync("body[data-ready=true]");
            Assert.Equal(device.Lang == "fa" ? "rtl" : "ltr", await page.GetAttributeAsync("html", "dir"));
            Assert.Equal(device.Lang == "fa" ? "فرم میدانی بررسی معدن" : "Mine survey: field form", await page.TitleAsync());

            await EnterThreeMinesAsync(page, browser, device, prefix, photos);
            await AssertFitsAndAccessibleAsync(page, $"{device.Lang} {device.Width} px, three mines kept offline");

            // The browser is closed and opened again, still with no signal: everything entered is there.
            await browser.CloseAsync();
            browser = await fixture.OpenBrowserAsync(profile, device);
            await browser.SetOfflineAsync(true);
            page = await FirstPageAsync(browser);
            await page.GotoAsync($"{fixture.Url}/api/field");
            await page.WaitForSelectorAsync("body[data-ready=true]");
            Assert.Equal(["kept", "kept", "kept"], await States(page));
            Assert.Equal($"{prefix}-001", await page.GetByTestId("entry").First.GetAttributeAsync("data-mine"));

            // The signal returns: the day's mines go as one survey file, each shows its outcome, then the photos go.
            await fixture.StartHostAsync();
            await browser.SetOfflineAsync(false);
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-testid=entry]')].every((e) => e.dataset.state === 'accepted')",
                null, new() { Timeout = 90_000 });
            await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=entry]').dataset.photosSent === '2'", null, new() { Timeout = 30_000 });
            await AssertFitsAndAccessibleAsync(page, $"{device.Lang} {device.Width} px, the report per mine");
            Directory.CreateDirectory(DashboardTests.ArtefactFolder);
            await page.EvaluateAsync("() => document.querySelector('#entries-title').scrollIntoView()");
            await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardTests.ArtefactFolder, $"field-{device.Lang}-{device.Width}.png") });
            var warned = page.Locator($"[data-testid=entry][data-mine={prefix}-002] [data-testid=reason]");
            Assert.Contains(device.Lang == "fa" ? "عیار" : "cut-off", await warned.First.InnerTextAsync());

            var sent = await SurveyFilesAsync(device.Province);
            var file = Assert.Single(sent);
            output.WriteLine($"sent: {file}");
            Assert.StartsWith($"{device.Province}/", file);
            Assert.Contains($"field-form-{device.Province}-", file);
            using var http = new HttpClient { BaseAddress = new Uri(fixture.Url) };
            var listed = (await PipelineFixture.GetJsonAsync(http, $"/api/surveys?blob={Uri.EscapeDataString(file)}")).GetProperty("items");
            var survey = Assert.Single(listed.EnumerateArray());
            Assert.Equal((3, 3, 0), (survey.GetProperty("rows").GetInt32(), survey.GetProperty("accepted").GetInt32(), survey.GetProperty("rejected").GetInt32()));

            var stored = await PhotosAsync(device.Province, $"{prefix}-001");
            Assert.Equal(2, stored.Count);
            Assert.Equal([(1200, 900, false), (1600, 1067, false)], stored.Select(p => PhotoBuilder.Inspect(p.Bytes)).OrderBy(p => p.Width).ToList());
            Assert.All(stored, p => Assert.DoesNotContain(PhotoBuilder.CameraMake, System.Text.Encoding.ASCII.GetString(p.Bytes)));

            // The office opens the mine in the dashboard: its two photos are there.
            var dashboard = await browser.NewPageAsync();
            await dashboard.GotoAsync($"{fixture.Url}/api/dashboard");
            await dashboard.GetByTestId("ranking-row").Filter(new() { HasText = $"{prefix}-001" }).ClickAsync();
            await dashboard.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=mine-photo][data-loaded=true]').length === 2");
            await dashboard.CloseAsync();

            // Another reload with the signal: nothing is sent again.
            await page.ReloadAsync();
            await page.WaitForSelectorAsync("body[data-ready=true]");
            await page.WaitForFunctionAsync("() => document.querySelector('#send').disabled === false");
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal(sent, await SurveyFilesAsync(device.Province));
            Assert.Equal(stored.Select(p => p.ETag), (await PhotosAsync(device.Province, $"{prefix}-001")).Select(p => p.ETag));
            Assert.Equal(["accepted", "accepted", "accepted"], await States(page));
        }
        finally
        {
            if (browser is not null) await browser.CloseAsync();
            await fixture.StartHostAsync();
            Directory.Delete(profile, recursive: true);
        }
    }

    /// <summary>The browser's first tab, with what its pages write to the console in the test's output.</summary>
    private async Task<IPage> FirstPageAsync(IBrowserContext browser)
    {
        var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
        page.Console += (_, m) => output.WriteLine($"console {m.Type}: {m.Text}");
        return page;
    }

    /// <summary>Three mines: the first placed by the phone with two photos, the second typed after a poor fix outside the province, the third caught by the phone's checks and corrected.</summary>
    private async Task EnterThreeMinesAsync(IPage page, IBrowserContext browser, Device device, string prefix, string[] photos)
    {
        await Fill(page, new() { ["mine_id"] = $"{prefix}-001", ["mine_name"] = "کرومیت دره سبز", ["reserve_tonnes"] = "۱۲۰۰۰۰", ["grade_pct"] = "32", ["jobs_potential"] = "14" },
            new() { ["mineral"] = "chromite", ["status"] = "idle", ["problem"] = "financial" });
        await page.GetByTestId("locate").ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('#f-latitude').value !== ''");
        Assert.Equal(device.Latitude.ToString("0.000000", System.Globalization.CultureInfo.InvariantCulture), await page.InputValueAsync("#f-latitude"));
        Assert.Contains(device.Lang == "fa" ? "۱۲ متر" : "12 m", await page.GetByTestId("accuracy").InnerTextAsync());
        Assert.Equal(0, await page.GetByTestId("location-warning").CountAsync());
        // A file that is not a picture is refused on the phone, with its name and the reason; the two photos are taken.
        await page.GetByTestId("photos").SetInputFilesAsync(fixture.Write($"{prefix}-notes.jpg", "not a picture, a note typed in the car"u8.ToArray()));
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=photos-error]').textContent.includes('notes.jpg')");
        Assert.Equal(0, await page.GetByTestId("thumb").CountAsync());
        await page.GetByTestId("photos").SetInputFilesAsync(photos);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=thumb]').length === 2");
        Assert.Equal(["1600", "1200"], await page.GetByTestId("thumb").EvaluateAllAsync<string[]>("(n) => n.map((i) => i.dataset.width)"));
        await KeepAsync(page, 1);

        // A poor fix in another province: both warnings, and the coordinates typed instead.
        await browser.SetGeolocationAsync(new() { Latitude = 35.70f, Longitude = 51.40f, Accuracy = 180 });
        await page.GetByTestId("locate").ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=location-warning]').length === 2");
        await Fill(page, new() { ["mine_id"] = $"{prefix}-002", ["mine_name"] = "منگنز کوه سرخ", ["latitude"] = device.Province == "kerman" ? "۲۹٫۵۱۲" : "32.1", ["longitude"] = device.Province == "kerman" ? "57.44" : "54.9",
            ["reserve_tonnes"] = "80000", ["grade_pct"] = "12", ["jobs_potential"] = "10", ["jobs_created"] = "9", ["revived_on"] = "1402/11/20" },
            new() { ["mineral"] = "manganese", ["status"] = "revived" });
        await KeepAsync(page, 2);

        // Outside Iran: the phone says so, keeps nothing, and takes the corrected mine.
        await Fill(page, new() { ["mine_id"] = $"{prefix}-003", ["mine_name"] = "سنگ ساختمانی چشمه", ["latitude"] = "41.2", ["longitude"] = "56.1", ["reserve_tonnes"] = "50000", ["jobs_potential"] = "6" },
            new() { ["mineral"] = "construction-stone", ["status"] = "idle" });
        await page.GetByTestId("keep").ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=error-latitude]').textContent !== ''");
        Assert.Equal("true", await page.GetAttributeAsync("#f-latitude", "aria-invalid"));
        Assert.Equal(device.Lang == "fa" ? "باید از ۲۵ تا ۳۹٫۸ باشد." : "Must be from 25 to 39.8.", await page.GetByTestId("error-latitude").InnerTextAsync());
        Assert.Equal(2, await page.GetByTestId("entry").CountAsync());
        await page.FillAsync("#f-latitude", device.Province == "kerman" ? "30.1" : "31.5");
        await KeepAsync(page, 3);
        Assert.Equal(["kept", "kept", "kept"], await States(page));
    }

    /// <summary>Keeps the mine in the form; the entries' count says it was kept (the form's problems, if not, in the failure).</summary>
    private static async Task KeepAsync(IPage page, int entries)
    {
        await page.GetByTestId("keep").ClickAsync();
        try
        {
            await page.WaitForFunctionAsync($"() => document.querySelectorAll('[data-testid=entry]').length === {entries}", null, new() { Timeout = 10_000 });
        }
        catch (TimeoutException)
        {
            var errors = await page.Locator("#fields .error").EvaluateAllAsync<string[]>("(n) => n.filter((e) => e.textContent).map((e) => e.id + ': ' + e.textContent)");
            Assert.Fail($"not kept: {string.Join("; ", errors)}");
        }
    }

    private static async Task Fill(IPage page, Dictionary<string, string> texts, Dictionary<string, string> choices)
    {
        foreach (var (key, value) in choices) await page.SelectOptionAsync($"#f-{key}", value);
        foreach (var (key, value) in texts) await page.FillAsync($"#f-{key}", value);
    }

    private static Task<string[]> States(IPage page) => page.GetByTestId("entry").EvaluateAllAsync<string[]>("(n) => n.map((e) => e.dataset.state)");

    private async Task AssertFitsAndAccessibleAsync(IPage page, string what)
    {
        var faults = await page.EvaluateAsync<string[]>(PhoneLayoutTests.FaultsScript);
        Assert.True(faults.Length == 0, $"{what}:\n" + string.Join("\n", faults.Take(30)));
        var violations = await Axe.ViolationsAsync(page);
        Assert.True(violations.Count == 0, $"{what}:\n" + string.Join("\n", violations));
        output.WriteLine($"{what}: fits, axe finds nothing");
    }

    private async Task<List<string>> SurveyFilesAsync(string province)
    {
        var files = new List<string>();
        await foreach (var blob in new BlobContainerClient(fixture.Azurite.ConnectionString, PipelineOptions.SurveysContainer).GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{province}/", default))
            if (blob.Name.Contains("field-form", StringComparison.Ordinal)) files.Add(blob.Name);
        return files;
    }

    private async Task<List<(byte[] Bytes, Azure.ETag? ETag)>> PhotosAsync(string province, string mineId)
    {
        var container = new BlobContainerClient(fixture.Azurite.ConnectionString, FieldOptions.PhotosContainer);
        var photos = new List<(byte[], Azure.ETag?)>();
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, PhotoStore.MineFolder(province, mineId), default))
            photos.Add(((await container.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray(), blob.Properties.ETag));
        return photos.OrderBy(p => p.Item2.ToString()).ToList();
    }
}
