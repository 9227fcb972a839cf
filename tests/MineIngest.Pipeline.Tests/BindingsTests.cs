using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MineIngest.LocalHost;
using MineIngest.Pipeline;
using MineIngest.Pipeline.Api;

namespace MineIngest.Pipeline.Tests;

/// <summary>The local host must run what the Functions app declares: same functions, containers, queues and routes.</summary>
public class BindingsTests
{

    public static string MetadataPath { get; } =
        Path.Combine(Azurite.RepoRoot, "functions", "MineIngest.Functions", "bin", Azurite.BuildConfiguration, "net10.0", "functions.metadata");

    private static JsonElement[] Metadata()
    {
        Assert.True(File.Exists(MetadataPath), $"{MetadataPath} is missing: build the solution first.");
        return JsonDocument.Parse(File.ReadAllText(MetadataPath)).RootElement.EnumerateArray().ToArray();
    }

    private static JsonElement Trigger(JsonElement function) =>
        function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger"));

    [Fact]
    public void Queue_triggers_match_functions_metadata()
    {
        var metadata = Metadata().Where(f => Trigger(f).GetProperty("type").GetString() == "queueTrigger")
            .ToDictionary(f => f.GetProperty("name").GetString()!, f => Trigger(f).GetProperty("queueName").GetString()!);
        Assert.Equal(4, metadata.Count);
        Assert.Equal(metadata.OrderBy(p => p.Key), LocalQueueTriggers.Functions.OrderBy(p => p.Key));

        var app = LocalHostApp.Build(["--AzureWebJobsStorage=UseDevelopmentStorage=true"]);
        Assert.Contains(app.Services.GetServices<IHostedService>(), s => s is LocalQueueTriggers);
    }

    /// <summary>
    /// The app's blob trigger (Event Grid) and its sweep timer are one job locally: the sweep service, which reads what
    /// the container holds and the survey table lacks. Nothing else among the app's triggers is left unserved.
    /// </summary>
    [Fact]
    public void Blob_trigger_and_sweep_timer_are_served_locally_by_the_sweep()
    {
        var triggers = Metadata().Select(f => (Name: f.GetProperty("name").GetString()!, Trigger: Trigger(f)))
            .Where(f => f.Trigger.GetProperty("type").GetString() is not ("httpTrigger" or "queueTrigger")).ToDictionary(f => f.Name, f => f.Trigger);

        Assert.Equal(["BackupRecord", "IngestSurvey", "SweepSurveys"], triggers.Keys.Order());
        Assert.Equal("blobTrigger", triggers["IngestSurvey"].GetProperty("type").GetString());
        Assert.Equal("EventGrid", triggers["IngestSurvey"].GetProperty("source").GetString());
        Assert.StartsWith(PipelineOptions.SurveysContainer + "/", triggers["IngestSurvey"].GetProperty("path").GetString());
        Assert.Equal("timerTrigger", triggers["SweepSurveys"].GetProperty("type").GetString());
        Assert.Equal("%SurveySweepSchedule%", triggers["SweepSurveys"].GetProperty("schedule").GetString());
        // The backup timer is served locally by a timer of its own.
        Assert.Equal("%BackupSchedule%", triggers["BackupRecord"].GetProperty("schedule").GetString());

        var app = LocalHostApp.Build(["--AzureWebJobsStorage=UseDevelopmentStorage=true"]);
        Assert.Contains(app.Services.GetServices<IHostedService>(), s => s is LocalSweepService);
        Assert.Contains(app.Services.GetServices<IHostedService>(), s => s is LocalBackupService);
    }

    [Fact]
    public void Http_routes_match_functions_metadata()
    {
        var declared = Metadata().Select(Trigger).Where(t => t.GetProperty("type").GetString() == "httpTrigger")
            .Select(t => "/api/" + t.GetProperty("route").GetString()).Order().ToList();
        var app = LocalHostApp.Build(["--AzureWebJobsStorage=UseDevelopmentStorage=true"]);
        var served = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText!).Where(r => r != "/").Order().ToList(); // "/" redirects to the dashboard, locally only

        Assert.Equal(46, declared.Count);
        Assert.Equal(declared, served);
    }

    /// <summary>Refusal by default: every HTTP function of the Functions app, method and route, has its rule in the route table, and nothing else does.</summary>
    [Fact]
    public void Every_http_function_has_an_access_rule_in_the_route_table()
    {
        var declared = Metadata().Select(Trigger).Where(t => t.GetProperty("type").GetString() == "httpTrigger")
            .SelectMany(t => t.GetProperty("methods").EnumerateArray().Select(m => RouteTable.Key(m.GetString()!, t.GetProperty("route").GetString()!)))
            .Order(StringComparer.Ordinal).ToList();
        var ruled = RouteTable.Entries.Select(e => RouteTable.Key(e.Method, e.Template)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(declared, ruled);
    }

    [Fact]
    public void Host_json_dequeue_count_is_the_one_the_scorer_counts_on()
    {
        var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(Azurite.RepoRoot, "functions", "MineIngest.Functions", "host.json"))).RootElement;
        Assert.Equal(new PipelineOptions().MaxDequeueCount, host.GetProperty("extensions").GetProperty("queues").GetProperty("maxDequeueCount").GetInt32());
    }
}
