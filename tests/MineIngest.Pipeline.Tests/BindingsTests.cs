using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.WebJobs;
using MineIngest.LocalHost;
using MineIngest.Pipeline;

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
    public void Storage_triggers_match_functions_metadata()
    {
        var metadata = Metadata().Where(f => Trigger(f).GetProperty("type").GetString() != "httpTrigger")
            .ToDictionary(f => f.GetProperty("name").GetString()!, f => Trigger(f));
        var local = typeof(LocalFunctions).GetMethods()
            .Where(m => m.GetCustomAttribute<FunctionNameAttribute>() is not null)
            .ToDictionary(m => m.GetCustomAttribute<FunctionNameAttribute>()!.Name, m => m.GetParameters()[0]);

        Assert.Equal(metadata.Keys.Order(), local.Keys.Order());
        foreach (var (name, parameter) in local)
        {
            var trigger = metadata[name];
            switch (parameter.GetCustomAttributes().First(a => a is BlobTriggerAttribute or QueueTriggerAttribute))
            {
                case BlobTriggerAttribute blob:
                    Assert.Equal("blobTrigger", trigger.GetProperty("type").GetString());
                    Assert.Equal(trigger.GetProperty("path").GetString(), blob.BlobPath);
                    Assert.StartsWith(PipelineOptions.SurveysContainer + "/", blob.BlobPath);
                    break;
                case QueueTriggerAttribute queue:
                    Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
                    Assert.Equal(trigger.GetProperty("queueName").GetString(), queue.QueueName);
                    break;
            }
        }
    }

    [Fact]
    public void Http_routes_match_functions_metadata()
    {
        var declared = Metadata().Select(Trigger).Where(t => t.GetProperty("type").GetString() == "httpTrigger")
            .Select(t => "/api/" + t.GetProperty("route").GetString()).Order().ToList();
        var app = LocalHostApp.Build(["--AzureWebJobsStorage=UseDevelopmentStorage=true"]);
        var served = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText!).Where(r => r != "/").Order().ToList(); // "/" redirects to the dashboard, locally only

        Assert.Equal(9, declared.Count);
        Assert.Equal(declared, served);
    }

    [Fact]
    public void Host_json_dequeue_count_is_the_one_the_scorer_counts_on()
    {
        var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(Azurite.RepoRoot, "functions", "MineIngest.Functions", "host.json"))).RootElement;
        Assert.Equal(new PipelineOptions().MaxDequeueCount, host.GetProperty("extensions").GetProperty("queues").GetProperty("maxDequeueCount").GetInt32());
    }
}
