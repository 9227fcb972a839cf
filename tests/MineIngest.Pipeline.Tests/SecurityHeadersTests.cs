using System.Net;
using System.Text;
using Microsoft.Playwright;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The headers every answer carries and the pages' Content-Security-Policy: a table of routes, then the pages walked in
/// a browser (desktop and phone, both languages) with every policy violation recorded, by the page and by the host.
/// </summary>
public sealed class SecurityHeadersTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private static readonly string[] Routes =
    [
        "/api/dashboard", "/api/upload", "/api/report?period=1399", "/api/report?period=1399&lang=en", "/api/dashboard/dashboard.js",
        "/api/dashboard/dashboard.css", "/api/summary", "/api/mines", "/api/mines/kerman/CHR-0012", "/api/mines/kerman/CHR-0012/history",
        "/api/surveys", "/api/committees", "/api/health", "/api/signin", "/api/upload/limits", "/api/mines/kerman/NO-SUCH",
        "/api/mines.csv", "/api/investor-list.csv", "/api/template.xlsx", "/api/report.xlsx?period=1399", "/api/audit.csv",
    ];

    [Fact]
    public async Task Every_answer_carries_the_security_headers_and_files_are_attachments()
    {
        var wrong = new List<string>();
        foreach (var route in Routes)
        {
            using var response = await fixture.Http.GetAsync(route);
            string? Header(string name) => response.Headers.TryGetValues(name, out var v) ? string.Join(",", v)
                : response.Content.Headers.TryGetValues(name, out var c) ? string.Join(",", c) : null;
            var expected = new Dictionary<string, string>
            {
                ["X-Content-Type-Options"] = "nosniff", ["Referrer-Policy"] = "no-referrer", ["Cross-Origin-Opener-Policy"] = "same-origin",
                ["X-Frame-Options"] = "DENY",
            };
            foreach (var (name, value) in expected)
                if (Header(name) != value) wrong.Add($"{route}: {name} is \"{Header(name)}\", not \"{value}\"");
            if (Header("Permissions-Policy") is not { } permissions || !permissions.Contains("camera=()")) wrong.Add($"{route}: Permissions-Policy \"{Header("Permissions-Policy")}\"");
            var csp = Header("Content-Security-Policy") ?? "";
            foreach (var part in new[] { "default-src 'none'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "report-uri /api/csp-reports" })
                if (!csp.Contains(part, StringComparison.Ordinal)) wrong.Add($"{route}: the policy lacks {part}: \"{csp}\"");
            if (csp.Contains("unsafe", StringComparison.Ordinal)) wrong.Add($"{route}: the policy allows something unsafe: \"{csp}\"");
            if (Header("Server") is { } server) wrong.Add($"{route}: Server \"{server}\"");
            // http here: HSTS only where the app is served over https.
            if (Header("Strict-Transport-Security") is not null) wrong.Add($"{route}: HSTS over http");
            var type = response.Content.Headers.ContentType?.MediaType ?? "";
            if ((type.Contains("csv") || type.Contains("spreadsheet")) && response.Content.Headers.ContentDisposition?.DispositionType != "attachment")
                wrong.Add($"{route}: a {type} file without Content-Disposition: attachment");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    /// <summary>Records every violation the page sees (the securitypolicyviolation event), from before its first script runs.</summary>
    private const string RecordViolations =
        "window.__violations = []; document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));";

    private static async Task<List<string>> ViolationsAsync(IPage page) => [.. await page.EvaluateAsync<string[]>("window.__violations")];

    [Theory]
    [InlineData(1280, 1000, "en")]
    [InlineData(390, 844, "fa")]
    public async Task The_dashboard_a_mine_the_report_and_the_upload_page_run_under_the_policy_with_no_violation(int width, int height, string lang)
    {
        await using var context = await fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        await context.AddInitScriptAsync(RecordViolations);
        var seen = new List<string>();
        var page = await context.NewPageAsync();
        page.Response += (_, r) => { if (r.Status >= 400) seen.Add($"{r.Status} {r.Url}"); };
        page.Console += (_, m) => { if (m.Type == "error") seen.Add($"console: {m.Text} at {m.Location}"); };

        var dashboard = await page.GotoAsync(fixture.Url + "/api/dashboard");
        Assert.Contains("script-src 'self'", dashboard!.Headers["content-security-policy"]);
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.SelectOptionAsync("#lang", lang);
        await page.Locator("#mine-points circle").First.WaitForAsync();
        // A mine opened from the ranking: its score's breakdown (bars drawn with inline widths) and its timeline.
        await page.GetByTestId("ranking-row").First.ClickAsync();
        await page.GetByTestId("component").First.WaitForAsync();
        await page.GetByTestId("survey-row").First.ClickAsync();
        seen.AddRange((await ViolationsAsync(page)).Select(v => "dashboard: " + v));

        foreach (var report in new[] { "/api/report?period=1399", "/api/report?period=1399&lang=en" })
        {
            await page.GotoAsync(fixture.Url + report);
            await page.GetByTestId("lead").WaitForAsync();
            seen.AddRange((await ViolationsAsync(page)).Select(v => report + ": " + v));
        }

        await page.GotoAsync(fixture.Url + "/api/upload");
        await page.GetByTestId("drop").WaitForAsync();
        seen.AddRange((await ViolationsAsync(page)).Select(v => "upload: " + v));
        Assert.True(seen.Count == 0, string.Join("\n", seen));
    }
}
