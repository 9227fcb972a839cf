using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using MineIngest.Pipeline.Office;
using MineIngest.TestData;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The pages with sign-in on, as people use them: a Kerman clerk signs in on the local provider's own form, uploads a
/// survey and reads its report; an office writer signs in on the dashboard and withdraws it; the audit list and the
/// mine's history then name both. Every request the browser made is kept, and none carries a secret in its URL.
/// </summary>
public sealed class SignInPageTests(SignInFixture f) : IClassFixture<SignInFixture>
{
    private readonly ConcurrentQueue<(string Url, string? Authorization)> _requests = new();
    private readonly List<string> _axe = [];

    private async Task<IPage> SignInAsync(IBrowser browser, string path, string username, bool phone = false)
    {
        // The provider's certificate is made on this machine.
        var context = await browser.NewContextAsync(new() { IgnoreHTTPSErrors = true, ViewportSize = phone ? new() { Width = 390, Height = 844 } : null });
        var page = await context.NewPageAsync();
        page.Request += (_, r) => _requests.Enqueue((r.Url, r.Headers.TryGetValue("authorization", out var a) ? a : null));
        var console = new ConcurrentQueue<string>();
        page.Console += (_, m) => console.Enqueue($"{m.Text} at {m.Location}");
        await page.GotoAsync(f.Host.Url + path);
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.True(await page.GetByTestId("sign-in").IsVisibleAsync(), "No sign-in button: " + string.Join("\n", console));
        _axe.AddRange((await Axe.ViolationsAsync(page)).Select(v => $"{path} before sign-in: {v}"));
        await page.GetByTestId("sign-in").ClickAsync();
        await page.GetByLabel("User name").WaitForAsync();
        _axe.AddRange((await Axe.ViolationsAsync(page)).Select(v => $"the provider's sign-in form: {v}"));
        // The provider's form is as strict as the app's pages: its policy, and its rules from a file of its own.
        var form = await page.Context.APIRequest.GetAsync(page.Url);
        Assert.Contains("default-src 'none'", form.Headers["content-security-policy"]);
        Assert.EndsWith("/style.css", await page.EvaluateAsync<string>("() => document.styleSheets[0].href"));
        await SubmitLoginAsync(page, f.SignIn, username, () => string.Join("\n", console));
        Assert.StartsWith(f.Host.Url + path, page.Url);
        await page.WaitForSelectorAsync("body[data-ready=true]");
        var faults = console.Where(m => m.Contains("404") || m.Contains("Content Security Policy")).ToList();
        Assert.True(faults.Count == 0, string.Join("\n", faults));
        _axe.AddRange((await Axe.ViolationsAsync(page)).Select(v => $"{path} signed in: {v}"));
        return page;
    }

    /// <summary>The provider's form filled as the person would, and the page back and signed in.</summary>
    internal static async Task SubmitLoginAsync(IPage page, LocalSignIn signIn, string username, Func<string> console)
    {
        await page.GetByLabel("User name").FillAsync(username);
        await page.GetByLabel("Password").FillAsync(signIn.User(username).Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // Back and signed in is a state of the page, not a navigation event: waiting for the URL's load raced the page's own
        // history change after the redirect (the page was back and signed in, the wait still timed out).
        try
        {
            await page.GetByTestId("sign-out").WaitForAsync(new() { Timeout = 60_000 });
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"Sign-in did not come back: at {page.Url}: {await page.Locator("body").InnerTextAsync()}\n{console()}\n{signIn.LogTail}");
        }
    }

    /// <summary>The printable report opened from the dashboard (fetched with the token): styled, its language link works, nothing refused.</summary>
    private static async Task OpenReportInBothLanguagesAsync(IPage dashboard)
    {
        var report = await dashboard.Context.RunAndWaitForPageAsync(() => dashboard.GetByTestId("report-link").ClickAsync());
        var reportConsole = new ConcurrentQueue<string>();
        report.Console += (_, m) => { if (m.Type is "error" or "warning") reportConsole.Enqueue(m.Text); };
        await report.GetByTestId("lead").WaitForAsync();
        var firstLanguage = await report.Locator("html").GetAttributeAsync("lang");
        // report.css (#eef2f7 headers) loaded: the written document resolves the report's links as the route would. Once
        // its stylesheets have loaded (a link's sheet is null until then; the lead can show before, as it does for a person).
        await report.WaitForFunctionAsync("() => [...document.querySelectorAll('link[rel=stylesheet]')].every(l => l.sheet)");
        Assert.Equal("rgb(238, 242, 247)", await report.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('th')).backgroundColor"));
        await report.GetByTestId("language").ClickAsync();
        await report.WaitForFunctionAsync($"() => document.documentElement.lang && document.documentElement.lang !== '{firstLanguage}' && document.querySelector('[data-testid=lead]')");
        Assert.True(reportConsole.IsEmpty, string.Join("\n", reportConsole));
        await report.CloseAsync();
    }

    /// <summary>On a desktop and on a 390 x 844 phone: every page of the flow, the provider's form included, under the policy.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_clerk_uploads_and_an_office_writer_withdraws_and_both_are_named_with_no_secret_in_any_url(bool phone)
    {
        var suffix = phone ? "-phone" : "";
        var (playwright, browser) = await DashboardFixture.LaunchChromiumAsync();
        using var _ = playwright;
        await using var __ = browser;
        var clerk = f.SignIn.User("kerman-clerk");
        var writer = f.SignIn.User("office-writer");

        // The mines are on record already from an earlier survey, so that withdrawing the clerk's leaves their history.
        var container = new Azure.Storage.Blobs.BlobContainerClient(f.Azurite.ConnectionString, PipelineOptions.SurveysContainer);
        await container.GetBlobClient($"kerman/sign-in-earlier{suffix}.csv").UploadAsync(BinaryData.FromBytes(
            new SurveyBuilder().AddMany(3, i => RowBuilder.WorkedExample($"SP{suffix}-{i}")).ToCsv()), overwrite: true);
        await PipelineFixture.WaitForSurveyAsync(f.Writer, $"kerman/sign-in-earlier{suffix}.csv", timeout: TimeSpan.FromSeconds(120));

        // The clerk: no key field, their name and province shown, a survey sent and its report read.
        var upload = await SignInAsync(browser, "/api/upload", "kerman-clerk", phone);
        Assert.Empty(_axe);
        Assert.False(await upload.Locator("#key-panel").IsVisibleAsync());
        Assert.Contains(clerk.Name, await upload.GetByTestId("signed-in").TextContentAsync());
        var file = Path.Combine(Directory.CreateTempSubdirectory("sign-in-page-").FullName, $"kerman-signed-in{suffix}.csv");
        await File.WriteAllBytesAsync(file, new SurveyBuilder().AddMany(3, i => RowBuilder.WorkedExample($"SP{suffix}-{i}").Set("survey_date", new DateOnly(2021, 1, 10))).ToCsv());
        await upload.GetByTestId("files").SetInputFilesAsync(file);
        await upload.WaitForFunctionAsync("() => document.querySelector('[data-testid=count-accepted]')?.dataset.value === '3' && !document.querySelector('[data-testid=state]')",
            null, new() { Timeout = 90_000 });

        // The writer: the dashboard's recent surveys, withdraw, a reason.
        var dashboard = await SignInAsync(browser, "/api/dashboard", "office-writer", phone);
        Assert.Empty(_axe);
        Assert.Contains(writer.Name, await dashboard.GetByTestId("signed-in").TextContentAsync());
        await OpenReportInBothLanguagesAsync(dashboard);
        dashboard.Dialog += async (_, dialog) => await dialog.AcceptAsync("sent before the province checked it");
        await dashboard.GetByTestId("survey-row").Filter(new() { HasText = $"kerman-signed-in{suffix}.csv" }).GetByTestId("withdraw").ClickAsync();
        await dashboard.WaitForFunctionAsync($"() => document.querySelector('[data-testid=withdraw-message]').textContent.includes('kerman-signed-in{suffix}.csv')");

        // The office waits for the withdrawal to finish, as for a report; then asks once each.
        var surveyId = (await PipelineFixture.WaitForSurveyAsync(f.Writer, (await f.Writer.GetFromJsonAsync<JsonElement>("/api/surveys")).GetProperty("items")
            .EnumerateArray().First(s => s.GetProperty("blob").GetString()!.EndsWith($"kerman-signed-in{suffix}.csv")).GetProperty("blob").GetString()!, timeout: TimeSpan.FromSeconds(120))).GetProperty("id").GetString();
        for (var i = 0; i < 240 && (await f.Writer.GetFromJsonAsync<JsonElement>($"/api/surveys/{surveyId}")).GetProperty("status").GetString() != "withdrawn"; i++) await Task.Delay(250);
        var audit = (await f.Writer.GetFromJsonAsync<JsonElement>("/api/audit")).GetProperty("items").EnumerateArray().ToList();
        var link = Assert.Single(audit, e => e.GetProperty("action").GetString() == AuditActions.UploadLink && e.GetProperty("subject").GetString()!.EndsWith($"kerman-signed-in{suffix}.csv"));
        Assert.Equal((clerk.Name, clerk.Oid, "user"), (link.GetProperty("actorName").GetString(), link.GetProperty("actorId").GetString(), link.GetProperty("actorKind").GetString()));
        var withdrawal = Assert.Single(audit, e => e.GetProperty("action").GetString() == AuditActions.Withdrawal && e.GetProperty("detail").GetString()!.Contains($"kerman-signed-in{suffix}.csv"));
        Assert.Equal((writer.Name, writer.Oid), (withdrawal.GetProperty("actorName").GetString(), withdrawal.GetProperty("actorId").GetString()));

        var versions = (await f.Writer.GetFromJsonAsync<JsonElement>($"/api/mines/kerman/SP{suffix}-1/history")).GetProperty("versions");
        Assert.Equal(2, versions.GetArrayLength());
        var version = versions.EnumerateArray().Single(v => v.GetProperty("surveyId").GetString() == surveyId);
        Assert.True(version.GetProperty("withdrawn").GetBoolean());
        Assert.Contains(clerk.Name, version.GetProperty("uploadedBy").GetString());
        Assert.Contains(writer.Name, version.GetProperty("withdrawnBy").GetString());

        // No secret in a URL: no key, function key, token or password; the only signature is the upload link's, to blob storage.
        var requests = _requests.ToList();
        var tokens = requests.Select(r => r.Authorization).OfType<string>().Select(a => a["Bearer ".Length..]).Distinct().ToList();
        Assert.NotEmpty(tokens);
        var secrets = tokens.Concat([clerk.Password, writer.Password]).ToList();
        foreach (var (url, _) in requests)
        {
            Assert.DoesNotContain(secrets, s => url.Contains(s, StringComparison.Ordinal) || url.Contains(Uri.EscapeDataString(s), StringComparison.Ordinal));
            var query = new Uri(url).Query;
            foreach (var name in new[] { "code=", "key=", "token=", "access_token", "password", "client_secret" })
                Assert.False(query.Contains(name, StringComparison.OrdinalIgnoreCase) && !url.Contains("/oauth2/v2.0/authorize", StringComparison.Ordinal), $"{name} in {url}");
            if (query.Contains("sig=", StringComparison.Ordinal)) Assert.StartsWith(f.Azurite.ConnectionString.Split("BlobEndpoint=")[1].Split(';')[0], url);
        }
    }

    [Fact]
    public async Task A_person_at_a_terminal_signs_in_with_a_device_code_and_the_command_then_sends_as_them()
    {
        var (playwright, browser) = await DashboardFixture.LaunchChromiumAsync();
        using var _ = playwright;
        await using var __ = browser;
        var folder = Directory.CreateTempSubdirectory("sign-in-login-").FullName;
        var environment = new Dictionary<string, string?>
        {
            ["MINEINGEST_TENANT"] = LocalSignIn.Tenant, ["MINEINGEST_AUTHORITY_HOST"] = f.SignIn.Origin + "/", ["MINEINGEST_TRUST_CERT"] = f.SignIn.CertificateFile,
            ["MINEINGEST_SIGNIN_RECORD"] = Path.Combine(folder, "signin.json"), ["MINEINGEST_CONFIG"] = null,
        };
        var output = new StringWriter();
        var login = Cli(["login"], environment, output);

        // The person: the address and code the command printed, the provider's pages, their password.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string text;
        while (!(text = output.ToString()).Contains("enter the code", StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(200);
        var words = text.Split([' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        var address = words.First(w => w.StartsWith("https://", StringComparison.Ordinal));
        var code = words[Array.IndexOf(words, "code") + 1];
        var clerk = f.SignIn.User("kerman-clerk");
        await using var context = await browser.NewContextAsync(new() { IgnoreHTTPSErrors = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync(address);
        await page.GetByLabel("Code").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await page.GetByLabel("User name").FillAsync("kerman-clerk");
        await page.GetByLabel("Password").FillAsync(clerk.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        try
        {
            await page.GetByText("You are signed in").WaitForAsync();
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"No success page: at {page.Url}: {await page.Locator("body").InnerTextAsync()}\n{f.SignIn.LogTail}");
        }
        Assert.True(await login == 0, output.ToString());
        Assert.Contains("Signed in as", output.ToString());

        // Then the command sends as that person, with no key and no secret given.
        var file = Path.Combine(folder, "kerman-terminal.csv");
        await File.WriteAllBytesAsync(file, new SurveyBuilder().Add(RowBuilder.WorkedExample("TERM-1")).ToCsv());
        var upload = new StringWriter();
        Assert.True(await Cli(["upload", file, "--province", "kerman"], environment, upload) == 0, upload.ToString());
        var blob = upload.ToString().Split(" as ")[1].Trim();
        var report = await PipelineFixture.WaitForSurveyAsync(f.Writer, blob, timeout: TimeSpan.FromSeconds(120));
        var survey = await f.Writer.GetFromJsonAsync<JsonElement>($"/api/surveys/{report.GetProperty("id").GetString()}");
        Assert.Equal($"{clerk.Name} (user {clerk.Oid})", survey.GetProperty("uploadedBy").GetString());
    }

    private Task<int> Cli(string[] args, Dictionary<string, string?> environment, StringWriter output) =>
        CommandLine.RunAsync(args, environment, output, f.Host.Url + "/api");
}
