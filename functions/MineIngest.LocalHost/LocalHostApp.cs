using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Azure.WebJobs.Host.Indexers;
using MineIngest.Pipeline;

namespace MineIngest.LocalHost;

/// <summary>Builds the local host: the WebJobs trigger listeners and the HTTP routes on ASP.NET Core, on one DI container.</summary>
public static class LocalHostApp
{
    public const string DefaultUrl = "http://localhost:7071";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "host.json"), optional: false)
            .AddJsonFile("local.settings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls(DefaultUrl);

        // Benchmarks only: count the app's storage requests and serve them, with a no-op route to compare latency against.
        var diagnostics = builder.Configuration.GetValue<bool>("Diagnostics:Enabled");
        var counter = new StorageRequestCounter();
        if (diagnostics) builder.Services.AddSingleton(_ => StorageClients.FromConfiguration(builder.Configuration, counter));
        builder.Services.AddMineIngest(builder.Configuration);
        builder.Services.AddSingleton<ITypeLocator>(new FunctionTypes(typeof(LocalFunctions)));
        var extensions = builder.Configuration.GetSection("extensions");
        builder.Host.ConfigureWebJobs(webJobs =>
        {
            webJobs.AddAzureStorageCoreServices();
            webJobs.AddAzureStorageBlobs(o => extensions.GetSection("blobs").Bind(o));
            webJobs.AddAzureStorageQueues(o => extensions.GetSection("queues").Bind(o));
        });
        configure?.Invoke(builder);

        var app = builder.Build();
        var api = app.MapGroup("/api");
        api.MapGet("/summary", (HttpRequest r, MineApi a, CancellationToken ct) => a.SummaryAsync(r.Query, ct));
        api.MapGet("/mines", (HttpRequest r, MineApi a, CancellationToken ct) => a.MinesAsync(r.Query, ct));
        api.MapGet("/mines/{province}/{mineId}", (string province, string mineId, MineApi a, CancellationToken ct) => a.MineAsync(province, mineId, ct));
        api.MapGet("/surveys", (HttpRequest r, MineApi a, CancellationToken ct) => a.SurveysAsync(r.Query, ct));
        api.MapGet("/surveys/{id}", (string id, MineApi a, CancellationToken ct) => a.SurveyAsync(id, ct));
        api.MapPost("/provinces/{province}/uploads", (string province, HttpRequest r, MineApi a, CancellationToken ct) =>
            a.CreateUploadAsync(province, r.Headers[MineApi.ProvinceKeyHeader], r.Body, ct));
        api.MapGet("/dashboard", () => DashboardFiles.Page());
        api.MapGet("/dashboard/{file}", (string file) => DashboardFiles.Asset(file));
        app.MapGet("/", () => Results.Redirect("/api/dashboard"));
        api.MapGet("/health", (MineApi a, CancellationToken ct) => a.HealthAsync(ct));
        if (diagnostics)
        {
            app.MapGet("/diagnostics/storage-requests", () => counter.Snapshot());
            app.MapGet("/diagnostics/noop", () => Results.Json(new { status = "ok" }));
        }
        return app;
    }

    private sealed class FunctionTypes(params Type[] types) : ITypeLocator
    {
        public IReadOnlyList<Type> GetTypes() => types;
    }
}
