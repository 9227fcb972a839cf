using System.Collections.Concurrent;
using MineIngest.Pipeline;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
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
        ReadSettings(builder, args);
        // Benchmarks only: count the app's storage requests and the API's, and serve them, with a no-op route to compare latency against.
        var diagnostics = builder.Configuration.GetValue<bool>("Diagnostics:Enabled") ? new Diagnostics() : null;
        if (diagnostics is not null) builder.Services.AddSingleton(_ => StorageClients.FromConfiguration(builder.Configuration, diagnostics.Storage));
        builder.Services.AddMineIngest(builder.Configuration);
        LocalTelemetry.AddOtlpWhenConfigured(builder);
        builder.Services.AddHostedService<LocalQueueTriggers>();
        builder.Services.AddHostedService<LocalSweepService>();
        builder.Services.AddHostedService<LocalBackupService>();
        // No "Server: Kestrel": it tells an attacker what to try.
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);
        configure?.Invoke(builder);

        var app = builder.Build();
        UseChecks(app, diagnostics);
        MapApi(app.MapGroup("/api"));
        app.MapGet("/", () => Results.Redirect("/api/dashboard"));
        extraRoutes?.Invoke(app);
        if (diagnostics is not null) MapDiagnostics(app, diagnostics);
        return app;
    }

    /// <summary>host.json, local.settings.json, the environment and the command line; the default address and the upload page's origins.</summary>
    private static void ReadSettings(WebApplicationBuilder builder, string[] args)
    {
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
    }

    /// <summary>
    /// What every request passes: the security headers; routing first, so that a path no route serves still answers
    /// 404; then every API route served must be in the table (the root's redirect and the diagnostics are this host's
    /// own, outside /api) and the caller must meet its rule.
    /// </summary>
    private static void UseChecks(WebApplication app, Diagnostics? diagnostics)
    {
        var securityHeaders = app.Services.GetRequiredService<SecurityHeaders>();
        app.Use((context, next) =>
        {
            securityHeaders.Apply(context);
            return next(context);
        });
        app.UseRouting();
        var routes = app.Services.GetRequiredService<RouteTable>();
        if (diagnostics is not null)
            app.Use((context, next) =>
            {
                if (routes.Find(context.Request.Method, context.Request.Path) is { } found)
                    diagnostics.Routes.AddOrUpdate(RouteTable.Key(found.Entry.Method, found.Entry.Template), 1, (_, n) => n + 1);
                return next(context);
            });
        var denyByDefault = app.Services.GetRequiredService<DenyByDefault>();
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint() is null || !context.Request.Path.StartsWithSegments("/api") || await denyByDefault.RefusalAsync(context) is not { } refused)
                await next(context);
            else await refused.ExecuteAsync(context);
        });
    }

    /// <summary>The routes of http-api.md and docs/API.md, as the Functions app's HTTP triggers serve them.</summary>
    private static void MapApi(RouteGroupBuilder api)
    {
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
        api.MapGet("/field", () => DashboardFiles.FieldPage());
        api.MapGet("/field-worker.js", () => DashboardFiles.FieldWorker());
        api.MapGet("/field.webmanifest", () => DashboardFiles.FieldManifest());
        api.MapPut("/" + RouteTable.PhotoRoute, (string province, string id, string mineId, string number, HttpRequest r, PhotosApi p, CancellationToken ct) =>
            p.PutAsync(r, province, id, mineId, number, ct));
        api.MapGet("/mines/{province}/{mineId}/photos", (string province, string mineId, HttpRequest r, PhotosApi p, CancellationToken ct) => p.ListAsync(r, province, mineId, ct));
        api.MapGet("/mines/{province}/{mineId}/photos/{photo}", (string province, string mineId, string photo, HttpRequest r, PhotosApi p, CancellationToken ct) =>
            p.OfficeReadAsync(r, province, mineId, photo, ct));
        api.MapGet("/provinces/{province}/mines/{mineId}/photos/{photo}", (string province, string mineId, string photo, HttpRequest r, PhotosApi p, CancellationToken ct) =>
            p.ProvinceReadAsync(r, province, mineId, photo, ct));
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
    }

    /// <summary>What the benchmarks read (Diagnostics:Enabled): storage and API requests counted, view costs, collections.</summary>
    private static void MapDiagnostics(WebApplication app, Diagnostics diagnostics)
    {
        app.MapGet("/diagnostics/storage-requests", () => diagnostics.Storage.Snapshot());
        app.MapGet("/diagnostics/noop", () => Results.Json(new { status = "ok" }));
        app.MapGet("/diagnostics/api-requests", () => Results.Json(diagnostics.Routes.OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary()));
        app.MapGet("/diagnostics/view-costs", (MineIngest.Pipeline.View.MineView view) => view.Costs);
        // The process's collections: a blocking one stops every request, so a latency benchmark reads them beside its figures.
        app.MapGet("/diagnostics/gc", () => Results.Json(new
        {
            pauseMs = GC.GetTotalPauseDuration().TotalMilliseconds, gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2),
        }));
    }

    /// <summary>The counters the diagnostics serve: the app's storage requests, and the API's requests by route.</summary>
    private sealed class Diagnostics
    {
        public StorageRequestCounter Storage { get; } = new();
        public ConcurrentDictionary<string, int> Routes { get; } = new(StringComparer.Ordinal);
    }
}
