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

    public async Task DisposeAsync()
    {
        if (_app is not null) { await _app.StopAsync(); await _app.DisposeAsync(); }
        _http.Dispose();
        _azurite.Dispose();
    }
}
