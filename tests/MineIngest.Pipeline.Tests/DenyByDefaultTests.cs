using System.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MineIngest.LocalHost;
using MineIngest.Pipeline.Api;

namespace MineIngest.Pipeline.Tests;

/// <summary>A route added without an access rule is closed, and a rule holds before the route's handler runs.</summary>
public sealed class DenyByDefaultTests : IAsyncLifetime
{
    private readonly Azurite _azurite = new();
    private WebApplication? _app;
    private HttpClient _http = null!;
    private int _forgottenRan;

    public async Task InitializeAsync()
    {
        var url = $"http://127.0.0.1:{_azurite.HostPort()}";
        // A route as a newcomer might add it: no rule in the table, no check in its handler.
        _app = LocalHostApp.Build([$"--AzureWebJobsStorage={_azurite.ConnectionString}", $"--urls={url}", "--Logging:LogLevel:Default=Warning"],
            extraRoutes: routes => routes.MapDelete("/api/mines/{province}/{mineId}", () => { Interlocked.Increment(ref _forgottenRan); return Results.Ok("deleted"); }));
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(url) };
    }

    [Fact]
    public async Task A_route_the_table_lacks_is_refused_before_its_handler_runs_and_unknown_paths_stay_404()
    {
        using var forgotten = await _http.DeleteAsync("/api/mines/kerman/K-1");
        Assert.Equal(HttpStatusCode.Forbidden, forgotten.StatusCode);
        var problem = await forgotten.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("no access rule", problem.GetProperty("detail").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detailFa").GetString()));
        Assert.Equal(0, _forgottenRan);

        using var unknown = await _http.GetAsync("/api/no-such-route");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        // A writer's route without the writer key is refused by the table's rule (and would be by its handler).
        using var keys = await _http.GetAsync("/api/keys");
        Assert.Equal(HttpStatusCode.Unauthorized, keys.StatusCode);
        using var summary = await _http.GetAsync("/api/summary");
        Assert.Equal(HttpStatusCode.OK, summary.StatusCode);
    }

    [Fact]
    public void The_table_finds_routes_with_values_and_nothing_outside_the_api()
    {
        var table = new RouteTable();
        var found = table.Find("GET", "/api/provinces/kerman/surveys/abc/errors.csv");
        Assert.Equal((RouteRule.Province, "kerman"), (found!.Value.Entry.Rule, found.Value.Values["province"]));
        Assert.Equal(RouteRule.Reader, table.Find("GET", "/api/investor-list.xlsx")!.Value.Entry.Rule);
        Assert.Equal(RouteRule.Writer, table.Find("put", "/api/mines/kerman/K-12%2F7/solution")!.Value.Entry.Rule);
        Assert.Null(table.Find("DELETE", "/api/mines/kerman/K-1"));
        Assert.Null(table.Find("GET", "/diagnostics/noop"));
    }

    [Fact]
    public async Task A_violation_report_is_taken_and_one_too_large_is_refused()
    {
        var report = """{"csp-report":{"document-uri":"http://127.0.0.1/api/dashboard","effective-directive":"script-src-elem","blocked-uri":"inline","line-number":3}}""";
        using var taken = await _http.PostAsync("/api/csp-reports", new StringContent(report, Encoding.UTF8, "application/csp-report"));
        Assert.Equal(HttpStatusCode.NoContent, taken.StatusCode);
        using var large = await _http.PostAsync("/api/csp-reports", new StringContent(new string('x', 20_000), Encoding.UTF8, "application/csp-report"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) { await _app.StopAsync(); await _app.DisposeAsync(); }
        _http.Dispose();
        _azurite.Dispose();
    }
}

/// <summary>Each caller's budget: one province's system past it gets 429 with Retry-After; another province, and readers, are not touched.</summary>
public sealed class CallerBudgetTests : IAsyncLifetime
{
    private readonly Azurite _azurite = new();
    private LocalHostProcess _host = null!;

    public Task InitializeAsync()
    {
        _host = LocalHostProcess.Start(_azurite, null, "--RateLimits:ValidationsPerMinute=5", "--RateLimits:UploadLinksPerMinute=3");
        return BackupRestoreTests.WaitUntilAnsweringAsync(_host);
    }

    private async Task<HttpStatusCode> ValidateAsync(string province, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/provinces/{province}/validate")
        {
            Content = JsonContent.Create(new { rows = new[] { new { row = 2, values = new Dictionary<string, string> { ["mine_id"] = "V-1" } } } }),
        };
        request.Headers.Add(ProvinceApi.ProvinceKeyHeader, key);
        using var response = await _host.Http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After: {response.Headers.RetryAfter}");
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("Too many requests", problem.GetProperty("detail").GetString());
            Assert.Contains("صبر کنید", problem.GetProperty("detailFa").GetString());
        }
        return response.StatusCode;
    }

    [Fact]
    public async Task A_province_past_its_validation_budget_gets_429_with_retry_after_and_another_province_does_not()
    {
        var kerman = await TestCli.KeyAsync(_azurite, "kerman");
        var yazd = await TestCli.KeyAsync(_azurite, "yazd");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++) statuses.Add(await ValidateAsync("kerman", kerman));
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(HttpStatusCode.OK, await ValidateAsync("yazd", yazd));
        // Another kind of route keeps its own budget: the summary still answers.
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("/api/summary")).StatusCode);
    }

    public Task DisposeAsync()
    {
        _host.Dispose();
        _azurite.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Bodies out of bounds are refused before any work: too large 413, too deep or a text too long 400, in both languages; nothing stored.</summary>
public sealed class RequestBoundsTests : IAsyncLifetime
{
    private readonly Azurite _azurite = new();
    private WebApplication? _app;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var url = $"http://127.0.0.1:{_azurite.HostPort()}";
        _app = LocalHostApp.Build([$"--AzureWebJobsStorage={_azurite.ConnectionString}", $"--urls={url}", "--Logging:LogLevel:Default=Warning"]);
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(url) };
    }

    private async Task<(HttpStatusCode Status, JsonElement Problem)> SendAsync(HttpMethod method, string path, string json, string header, string key)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add(header, key);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    [Fact]
    public async Task A_body_too_large_too_deep_or_with_a_text_too_long_is_refused_in_both_languages_and_nothing_is_stored()
    {
        var writer = await TestCli.KeyAsync(_azurite, "office");
        var kerman = await TestCli.KeyAsync(_azurite, "kerman");

        var huge = JsonSerializer.Serialize(new { text = new string('x', 10_000), padding = Enumerable.Repeat(new string('y', 1_000), 100) });
        var (status, problem) = await SendAsync(HttpMethod.Put, "/api/mines/kerman/K-1/solution", huge, OfficeApi.WriterKeyHeader, writer);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("larger than this address takes", problem.GetProperty("detail").GetString());
        Assert.Contains("کیلوبایت", problem.GetProperty("detailFa").GetString());

        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 30)) + "1" + new string('}', 30);
        (status, problem) = await SendAsync(HttpMethod.Post, "/api/committees", deep, OfficeApi.WriterKeyHeader, writer);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("nests more than 16 levels", problem.GetProperty("detail").GetString());

        var longText = JsonSerializer.Serialize(new { text = new string('x', 20_000), state = "proposed" });
        (status, problem) = await SendAsync(HttpMethod.Put, "/api/mines/kerman/K-1/solution", longText, OfficeApi.WriterKeyHeader, writer);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("longer than 16 KB", problem.GetProperty("detail").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detailFa").GetString()));

        // The validate route takes the largest body: 1,000 rows pass the bounds, 5 MB does not.
        var rows = JsonSerializer.Serialize(new { rows = Enumerable.Range(2, 1000).Select(i => new { row = i, values = new Dictionary<string, string> { ["mine_id"] = $"V-{i}", ["notes"] = new string('n', 500) } }) });
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, "/api/provinces/kerman/validate", rows, ProvinceApi.ProvinceKeyHeader, kerman)).Status);
        var tooMany = JsonSerializer.Serialize(new { rows = Enumerable.Range(2, 1000).Select(i => new { row = i, values = new Dictionary<string, string> { ["notes"] = new string('n', 5_000) } }) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await SendAsync(HttpMethod.Post, "/api/provinces/kerman/validate", tooMany, ProvinceApi.ProvinceKeyHeader, kerman)).Status);

        // Nothing was stored by the refused writes.
        Assert.Empty(await new Azure.Data.Tables.TableClient(_azurite.ConnectionString, PipelineOptions.SolutionsTable).QueryAsync<Azure.Data.Tables.TableEntity>().ToListAsync());
        Assert.Empty(await new Azure.Data.Tables.TableClient(_azurite.ConnectionString, PipelineOptions.CommitteesTable).QueryAsync<Azure.Data.Tables.TableEntity>().ToListAsync());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) { await _app.StopAsync(); await _app.DisposeAsync(); }
        _http.Dispose();
        _azurite.Dispose();
    }
}
