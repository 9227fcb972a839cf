using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The field form with sign-in, as in Azure: the surveyor's province comes from their role; with no signal and a sign-in
/// that can no longer be renewed, entering goes on, and only sending asks them to sign in again; signed in, the mines go.
/// </summary>
public sealed class FieldSignInTests(SignInFixture f) : IClassFixture<SignInFixture>
{
    [Fact]
    public async Task An_expired_sign_in_never_blocks_entering_offline_and_asks_to_sign_in_again_only_to_send()
    {
        var (playwright, browser) = await DashboardFixture.LaunchChromiumAsync();
        using var _ = playwright;
        await using var __ = browser;
        var context = await browser.NewContextAsync(new()
        {
            IgnoreHTTPSErrors = true, ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true,
            Geolocation = new() { Latitude = 30.2839f, Longitude = 57.0834f, Accuracy = 8 }, Permissions = ["geolocation"],
        });
        var page = await context.NewPageAsync();
        var console = new ConcurrentQueue<string>();
        page.Console += (_, m) => console.Enqueue($"{m.Type}: {m.Text}");
        await page.GotoAsync(f.Host.Url + "/api/field");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.GetByTestId("sign-in").ClickAsync();
        await SignInPageTests.SubmitLoginAsync(page, f.SignIn, "kerman-clerk", () => string.Join("\n", console));
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.WaitForFunctionAsync("() => document.body.dataset.offlineReady === 'true' && navigator.serviceWorker.controller !== null");
        Assert.False(await page.Locator("#key-panel").IsVisibleAsync());
        Assert.Equal("kerman", await page.InputValueAsync("#f-province"));

        // No signal, and the sign-in can no longer be renewed (its tokens gone from the browser; the account remains).
        await context.SetOfflineAsync(true);
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("body[data-ready=true]");
        var removed = await page.EvaluateAsync<int>("() => { const keys = Object.keys(localStorage).filter((k) => /accesstoken|refreshtoken|idtoken/i.test(k)); keys.forEach((k) => localStorage.removeItem(k)); return keys.length; }");
        Assert.True(removed > 0, "no token was kept in the browser's storage");
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("body[data-ready=true]");

        // Entering goes on: a mine kept on the phone, placed by the phone.
        await page.FillAsync("#f-mine_id", "FS-001");
        await page.FillAsync("#f-mine_name", "کرومیت کوه شاه");
        await page.SelectOptionAsync("#f-mineral", "chromite");
        await page.SelectOptionAsync("#f-status", "idle");
        await page.GetByTestId("locate").ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('#f-latitude').value !== ''");
        await page.FillAsync("#f-reserve_tonnes", "90000");
        await page.FillAsync("#f-grade_pct", "30");
        await page.FillAsync("#f-jobs_potential", "7");
        await page.GetByTestId("keep").ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=entry]')?.dataset.state === 'kept'");

        // The signal returns: sending asks for the sign-in, and the mine stays kept.
        await context.SetOfflineAsync(false);
        await page.WaitForFunctionAsync("() => /sign in again|دوباره وارد شوید/.test(document.querySelector('[data-testid=send-state]').textContent)",
            null, new() { Timeout = 30_000 });
        Assert.Equal("kept", await page.GetByTestId("entry").GetAttributeAsync("data-state"));
        Assert.True(await page.GetByTestId("sign-in").IsVisibleAsync());

        // Signed in again: the mine is sent, and its report says accepted.
        // The provider still holds the person's session from the morning: it may send them straight back, signed in.
        await page.GetByTestId("sign-in").ClickAsync();
        await page.GetByTestId("sign-out").Or(page.GetByLabel("User name")).WaitForAsync(new() { Timeout = 60_000 });
        if (await page.GetByLabel("User name").IsVisibleAsync()) await SignInPageTests.SubmitLoginAsync(page, f.SignIn, "kerman-clerk", () => string.Join("\n", console));
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=entry]')?.dataset.state === 'accepted'", null, new() { Timeout = 90_000 });
        var listed = (await f.Writer.GetFromJsonAsync<JsonElement>("/api/surveys")).GetProperty("items").EnumerateArray()
            .Where(s => s.GetProperty("blob").GetString()!.Contains("field-form-kerman", StringComparison.Ordinal)).ToList();
        var survey = await f.Writer.GetFromJsonAsync<JsonElement>($"/api/surveys/{Assert.Single(listed).GetProperty("id").GetString()}");
        Assert.Equal((1, 1), (survey.GetProperty("rows").GetInt32(), survey.GetProperty("accepted").GetInt32()));
        Assert.Contains(f.SignIn.User("kerman-clerk").Name, survey.GetProperty("uploadedBy").GetString());
        Assert.Empty(await Axe.ViolationsAsync(page));
    }
}
