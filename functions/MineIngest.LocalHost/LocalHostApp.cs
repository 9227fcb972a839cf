using MineIngest.Pipeline;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Health;
using MineIngest.Pipeline.Records;

namespace MineIngest.LocalHost;

/// <summary>
/// Builds the local host: the Functions app's triggers (queue triggers and the upload sweep, as hosted services) and its
/// HTTP routes on ASP.NET Core, on one DI container, with the app's own host.json.
/// </summary>
public static class LocalHostApp
{
    public const string DefaultUrl = "http://localhost:7071";

    /// <param name="extraRoutes">Tests only: routes mapped beside the app's (a route the table lacks must be refused).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, Action<IEndpointRouteBuilder>? extraRoutes = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "host.json"), optional: false)
            .AddJsonFile("local.settings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls(DefaultUrl);
        // The upload page is served from here and PUTs files to Azurite: allow this host's own origins, by either loopback name.
        const string originsKey = $"{UploadOptions.Section}:{nameof(UploadOptions.BrowserOrigins)}";
        if (string.IsNullOrEmpty(builder.Configuration[originsKey]))
        {
            var urls = (builder.Configuration["urls"] ?? DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries);
            builder.Configuration[originsKey] = string.Join(",", urls.SelectMany(u => new[] { u, u.Replace("localhost", "127.0.0.1"), u.Replace("127.0.0.1", "localhost") })
                .Select(u => u.TrimEnd('/')).Distinct());
        }

        // Benchmarks only: count the app's storage requests and serve them, with a no-op route to compare latency against.
        var diagnostics = builder.Configuration.GetValue<bool>("Diagnostics:Enabled");
        var counter = new StorageRequestCounter();
        if (diagnostics) builder.Services.AddSingleton(_ => StorageClients.FromConfiguration(builder.Configuration, counter));
        builder.Services.AddMineIngest(builder.Configuration);
        LocalTelemetry.AddOtlpWhenConfigured(builder);
        builder.Services.AddHostedService<LocalQueueTriggers>();
        builder.Services.AddHostedService<LocalSweepService>();
        builder.Services.AddHostedService<LocalBackupService>();
        // No "Server: Kestrel": it tells an attacker what to try.
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);
        configure?.Invoke(builder);

        var app = builder.Build();
        var securityHeaders = app.Services.GetRequiredService<SecurityHeaders>();
        app.Use((context, next) =>
        {
            securityHeaders.Apply(context);
            return next(context);
        });
        // Routing first, so that a path no route serves still answers 404; then every API route served must be in the table
        // (the root's redirect and the benchmarks' diagnostics are this host's own, outside /api).
        app.UseRouting();
        var denyByDefault = app.Services.GetRequiredService<DenyByDefault>();
        // Benchmarks and tests: how often each API route was asked (what a client's polling costs the API).
        var routeCounts = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var routes = app.Services.GetRequiredService<RouteTable>();
        if (diagnostics)
            app.Use((context, next) =>
            {
                if (routes.Find(context.Request.Method, context.Request.Path) is { } found)
                    routeCounts.AddOrUpdate(RouteTable.Key(found.Entry.Method, found.Entry.Template), 1, (_, n) => n + 1);
                return next(context);
            });
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint() is null || !context.Request.Path.StartsWithSegments("/api") || await denyByDefault.RefusalAsync(context) is not { } refused)
                await next(context);
            else await refused.ExecuteAsync(context);
        });
        var api = app.MapGroup("/api");
        api.MapGet("/summary", (HttpRequest r, SummaryApi a, CancellationToken ct) => a.SummaryAsync(r, ct));
        api.MapGet("/mines", (HttpRequest r, MinesApi a, CancellationToken ct) => a.MinesAsync(r, ct));
        api.MapGet("/mines.csv", (HttpRequest r, MinesApi a, CancellationToken ct) => a.RankingCsvAsync(r, ct));
        api.MapGet("/mines/{province}/{mineId}", (string province, string mineId, HttpRequest r, MinesApi a, CancellationToken ct) => a.MineAsync(r, province, mineId, ct));
        api.MapGet("/mines/{province}/{mineId}/history", (string province, string mineId, HttpRequest r, MinesApi a, CancellationToken ct) => a.MineHistoryAsync(r, province, mineId, ct));
        api.MapGet("/surveys", (HttpRequest r, SurveysApi a, CancellationToken ct) => a.SurveysAsync(r, ct));
        api.MapGet("/surveys/{id}", (string id, HttpRequest r, SurveysApi a, CancellationToken ct) => a.SurveyAsync(r, id, ct));
        api.MapPost("/surveys/{id}/withdraw", (string id, HttpRequest r, SurveysApi a, CancellationToken ct) => a.WithdrawAsync(id, r, ct));
        api.MapGet("/surveys/{id}/errors.{format}", (string id, string format, HttpRequest r, SurveysApi a, CancellationToken ct) => a.RowsToFixAsync(r, id, format, ct));
        api.MapGet("/template.xlsx", (FilesApi a, CancellationToken ct) => a.TemplateAsync(ct));
        api.MapPost("/provinces/{province}/uploads", (string province, HttpRequest r, ProvinceApi p, CancellationToken ct) => p.CreateUploadAsync(r, province, ct));
        api.MapGet("/provinces/{province}/surveys", (string province, HttpRequest r, ProvinceApi p, CancellationToken ct) => p.SurveyReportAsync(r, province, ct));
        api.MapGet("/provinces/{province}/surveys/{id}/errors.{format}", (string province, string id, string format, HttpRequest r, ProvinceApi p, CancellationToken ct) =>
            p.RowsToFixAsync(r, province, id, format, ct));
        api.MapPost("/provinces/{province}/validate", (string province, HttpRequest r, ProvinceApi p, CancellationToken ct) => p.ValidateAsync(r, province, ct));
        api.MapGet("/upload", () => DashboardFiles.UploadPage());
        api.MapGet("/upload/limits", (FilesApi a) => a.UploadLimits());
        api.MapGet("/mines/{province}/{mineId}/solution", (string province, string mineId, HttpRequest r, OfficeApi o, CancellationToken ct) => o.GetSolutionAsync(r, province, mineId, ct));
        api.MapPut("/mines/{province}/{mineId}/solution", (string province, string mineId, HttpRequest r, OfficeApi o, CancellationToken ct) =>
            o.PutSolutionAsync(r, province, mineId, ct));
        api.MapGet("/committees", (HttpRequest r, OfficeApi o, CancellationToken ct) => o.CommitteesAsync(r, ct));
        api.MapPost("/committees", (HttpRequest r, OfficeApi o, CancellationToken ct) => o.PostCommitteeAsync(r, ct));
        api.MapPost("/rescore", (HttpRequest r, OfficeApi o, CancellationToken ct) => o.StartRescoreAsync(r, ct));
        api.MapGet("/report", (HttpRequest r, ReportApi a, CancellationToken ct) => a.PageAsync(r, ct));
        api.MapGet("/report.xlsx", (HttpRequest r, ReportApi a, CancellationToken ct) => a.WorkbookAsync(r, ct));
        api.MapGet("/investor-list.{format}", (string format, HttpRequest r, InvestorListApi a, CancellationToken ct) => a.InvestorListAsync(format, r, ct));
        api.MapGet("/dashboard", () => DashboardFiles.Page());
        api.MapGet("/dashboard/{file}", (string file) => DashboardFiles.Asset(file));
        app.MapGet("/", () => Results.Redirect("/api/dashboard"));
        api.MapGet("/audit", (HttpRequest r, AuditApi a, CancellationToken ct) => a.ListAsync(r, "json", ct));
        api.MapGet("/audit.csv", (HttpRequest r, AuditApi a, CancellationToken ct) => a.ListAsync(r, "csv", ct));
        api.MapGet("/signin", (IOptions<SignInOptions> o) => SignInSettings.Answer(o));
        api.MapGet("/keys", (HttpRequest r, KeysApi k, CancellationToken ct) => k.ListAsync(r, ct));
        api.MapPost("/keys", (HttpRequest r, KeysApi k, CancellationToken ct) => k.CreateAsync(r, ct));
        api.MapPost("/keys/{province}/{id}/revoke", (string province, string id, HttpRequest r, KeysApi k, CancellationToken ct) => k.RevokeAsync(r, province, id, ct));
        api.MapGet("/backups", (HttpRequest r, BackupsApi b, CancellationToken ct) => b.ListAsync(r, ct));
        api.MapPost("/backups", (HttpRequest r, BackupsApi b, CancellationToken ct) => b.CreateAsync(r, ct));
        api.MapPost("/events/access", (HttpRequest r, EventsApi e, CancellationToken ct) => e.OfficeAccessAsync(r, ct));
        api.MapPost("/provinces/{province}/events/access", (string province, HttpRequest r, EventsApi e, CancellationToken ct) => e.ProvinceAccessAsync(r, province, ct));
        api.MapPost("/" + SecurityHeaders.ReportRoute, (HttpRequest r, CspReportsApi c, CancellationToken ct) => c.ReportAsync(r, ct));
        api.MapGet("/me", (HttpRequest r, RouteAccess a) => SignInSettings.MeAsync(a, r));
        api.MapGet("/health", (HealthApi h, CancellationToken ct) => h.CheckAsync(ct));
        extraRoutes?.Invoke(app);
        if (diagnostics)
        {
            app.MapGet("/diagnostics/storage-requests", () => counter.Snapshot());
            app.MapGet("/diagnostics/noop", () => Results.Json(new { status = "ok" }));
            app.MapGet("/diagnostics/api-requests", () => Results.Json(routeCounts.OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary()));
            app.MapGet("/diagnostics/view-costs", (MineIngest.Pipeline.View.MineView view) => view.Costs);
            // The process's collections: a blocking one stops every request, so a latency benchmark reads them beside its figures.
            app.MapGet("/diagnostics/gc", () => Results.Json(new
            {
                pauseMs = GC.GetTotalPauseDuration().TotalMilliseconds, gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2),
            }));
        }
        return app;
    }
}
