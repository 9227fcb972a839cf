using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using MineIngest.Pipeline;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The compiled Bicep template (infra/validate.sh writes it) against what the code expects:
/// the resources the deployment needs, and the same settings and storage names as the app and local.settings.sample.json.
/// </summary>
public sealed class InfraTests
{
    private static readonly Lazy<JsonObject> Compiled = new(Compile);

    private static JsonObject Compile()
    {
        var path = Path.Combine(Azurite.RepoRoot, ".tools", "infra", "main.json");
        var newestSource = Directory.EnumerateFiles(Path.Combine(Azurite.RepoRoot, "infra"), "*.bicep", SearchOption.AllDirectories).Max(File.GetLastWriteTimeUtc);
        if (!File.Exists(path) || File.GetLastWriteTimeUtc(path) < newestSource)
        {
            using var validate = Process.Start(new ProcessStartInfo("bash", [Path.Combine(Azurite.RepoRoot, "infra", "validate.sh")])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            })!;
            var output = validate.StandardOutput.ReadToEnd() + validate.StandardError.ReadToEnd();
            validate.WaitForExit();
            Assert.True(validate.ExitCode == 0, "infra/validate.sh failed: " + output);
        }
        return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
    }

    /// <summary>Every resource of the template and of its modules' nested templates.</summary>
    private static List<JsonObject> Resources(JsonObject template)
    {
        var all = new List<JsonObject>();
        foreach (var node in template["resources"]!.AsArray())
        {
            var resource = node!.AsObject();
            all.Add(resource);
            if (resource["properties"]?["template"] is JsonObject nested) all.AddRange(Resources(nested));
        }
        return all;
    }

    private static List<JsonObject> OfType(string type) =>
        Resources(Compiled.Value).Where(r => string.Equals((string?)r["type"], type, StringComparison.OrdinalIgnoreCase)).ToList();

    private static JsonObject Module(string name) =>
        Resources(Compiled.Value).Single(r => (string?)r["type"] == "Microsoft.Resources/deployments" && (string?)r["name"] == name)["properties"]!["template"]!.AsObject();

    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(n => (string)n!).ToArray();

    [Fact]
    public void Function_app_runs_on_flex_consumption_with_dotnet_10_isolated()
    {
        var plan = Assert.Single(OfType("Microsoft.Web/serverfarms"));
        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
        var app = Assert.Single(OfType("Microsoft.Web/sites"));
        var runtime = app["properties"]!["functionAppConfig"]!["runtime"]!;
        Assert.Equal("dotnet-isolated", (string?)runtime["name"]);
        Assert.Equal("10.0", (string?)runtime["version"]);
        Assert.Equal("UserAssigned", (string?)app["identity"]!["type"]);
        Assert.Equal("UserAssignedIdentity", (string?)app["properties"]!["functionAppConfig"]!["deployment"]!["storage"]!["authentication"]!["type"]);
    }

    [Fact]
    public void Storage_and_telemetry_accept_no_keys()
    {
        var accounts = OfType("Microsoft.Storage/storageAccounts");
        Assert.Equal(2, accounts.Count); // the record's and the backups'
        Assert.All(accounts, account => Assert.False((bool)account["properties"]!["allowSharedKeyAccess"]!));
        Assert.All(accounts, account => Assert.False((bool)account["properties"]!["allowBlobPublicAccess"]!));
        var insights = Assert.Single(OfType("Microsoft.Insights/components"));
        Assert.True((bool)insights["properties"]!["DisableLocalAuth"]!);
        Assert.Contains("Microsoft.OperationalInsights/workspaces", (string?)insights["properties"]!["WorkspaceResourceId"]);
        Assert.Single(OfType("Microsoft.ManagedIdentity/userAssignedIdentities"));
        Assert.DoesNotContain("AccountKey", Compiled.Value.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("listKeys(resourceId('Microsoft.Storage", Compiled.Value.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Identity_gets_only_the_data_roles_the_app_uses()
    {
        var rbac = Module("rbac");
        var roles = rbac["variables"]!["roles"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!);
        Assert.Equal(
            new[]
            {
                "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor
                "3913510d-42f4-4e42-8a64-420c390055eb", // Monitoring Metrics Publisher
                "974c5e8b-45b9-4653-ba55-5f855dd0fb88", // Storage Queue Data Contributor
                "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner
                "ba92f5b4-2d11-453d-a403-e96b0029c9fe", // Storage Blob Data Contributor (the operator's restore, not the app)
                "db58b8e5-c6ad-4a2a-8342-4190687cbf4a", // Storage Blob Delegator (valet key)
            },
            roles.Values.Order());
        var assignments = Resources(rbac).Where(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments").ToList();
        Assert.Equal(4, assignments.Count); // the storage loop, telemetry, the optional operator's tables and blobs
        var storageLoop = assignments.Single(a => a["copy"] is not null);
        Assert.Equal("[length(variables('storageRoles'))]", (string?)storageLoop["copy"]!["count"]);
        Assert.Equal(4, rbac["variables"]!["storageRoles"]!.AsArray().Count);
        Assert.All(assignments, a => Assert.Contains("Microsoft.Authorization/roleDefinitions", (string?)a["properties"]!["roleDefinitionId"]));
    }

    [Fact]
    public void Event_grid_delivers_completed_survey_blobs_to_the_ingestion_function()
    {
        Assert.Single(OfType("Microsoft.EventGrid/systemTopics"));
        var subscription = Assert.Single(OfType("Microsoft.EventGrid/systemTopics/eventSubscriptions"));
        var filter = subscription["properties"]!["filter"]!;
        Assert.Equal(["Microsoft.Storage.BlobCreated"], Strings(filter["includedEventTypes"]));
        Assert.Contains("/containers/", (string?)filter["subjectBeginsWith"]);
        var api = Assert.Single(filter["advancedFilters"]!.AsArray())!;
        Assert.Equal("data.api", (string?)api["key"]);
        Assert.Contains("PutBlockList", Strings(api["values"]));
        Assert.Contains("PutBlob", Strings(api["values"]));
        var endpoint = (string?)subscription["properties"]!["destination"]!["properties"]!["endpointUrl"];
        Assert.Contains("/runtime/webhooks/blobs?functionName=Host.Functions.{", endpoint);
        Assert.Contains("blobs_extension", endpoint);

        // The function it names is the app's Event Grid blob trigger on the surveys container.
        var events = Compiled.Value["resources"]!.AsArray().Single(r => (string?)r!["name"] == "ingestion-events")!["properties"]!["parameters"]!;
        var function = (string)events["ingestionFunctionName"]!["value"]!;
        var metadata = JsonDocument.Parse(File.ReadAllText(BindingsTests.MetadataPath)).RootElement.EnumerateArray()
            .Single(f => f.GetProperty("name").GetString() == function);
        var trigger = metadata.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "blobTrigger");
        Assert.Equal("EventGrid", trigger.GetProperty("source").GetString());
        Assert.Equal("[variables('containers')[0]]", (string?)events["surveysContainer"]!["value"]);
        Assert.StartsWith(Strings(Compiled.Value["variables"]!["containers"])[0] + "/", trigger.GetProperty("path").GetString());
    }

    [Fact]
    public void Storage_names_agree_with_the_code()
    {
        var variables = Compiled.Value["variables"]!;
        Assert.Equal([PipelineOptions.SurveysContainer, PipelineOptions.ChunksContainer, PipelineOptions.ViewsContainer, Pipeline.Field.FieldOptions.PhotosContainer], Strings(variables["containers"]));
        Assert.Equal([PipelineOptions.ChunkQueue, PipelineOptions.ChunkPoisonQueue, PipelineOptions.RescoreQueue, PipelineOptions.RescorePoisonQueue,
            PipelineOptions.WithdrawQueue, PipelineOptions.WithdrawPoisonQueue], Strings(variables["queues"]));
        var codeTables = typeof(PipelineOptions).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name.EndsWith("Table", StringComparison.Ordinal)).Select(f => (string)f.GetRawConstantValue()!);
        Assert.Equal(codeTables.Order(), Strings(variables["tables"]).Order());
        // The mines tables, one per province: the Bicep's slug list is the reference data's, named as MinesTableOf names them.
        Assert.Equal(MineIngest.Domain.ReferenceData.Default.Provinces.Select(p => p.Slug).Order(), Strings(variables["provinceSlugs"]).Order());
        var naming = (string)variables["mineTables"]!;
        Assert.Contains($"format('{PipelineOptions.MinesTablePrefix}{{0}}', replace(lambdaVariables('slug'), '-', ''))", naming, StringComparison.Ordinal);
        Assert.Equal("minessistanandbaluchestan", PipelineOptions.MinesTableOf("sistan-and-baluchestan"));
        var storage = Compiled.Value["resources"]!.AsArray().Single(r => (string?)r!["name"] == "storage")!["properties"]!["parameters"]!;
        Assert.Equal("[variables('containers')]", (string?)storage["containers"]!["value"]);
        Assert.Equal("[variables('queues')]", (string?)storage["queues"]!["value"]);
        Assert.Equal("[concat(variables('tables'), variables('mineTables'))]", (string?)storage["tables"]!["value"]);
    }

    /// <summary>The record's account resists mistakes, and its backups live in a second account the app cannot delete from.</summary>
    [Fact]
    public void The_record_is_redundant_soft_deleted_locked_and_backed_up_to_a_write_once_account()
    {
        var storage = Module("storage");
        Assert.Equal("Standard_GZRS", (string?)storage["parameters"]!["skuName"]!["defaultValue"]);
        var blobService = Resources(storage).Single(r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/blobServices")["properties"]!;
        Assert.True((bool)blobService["isVersioningEnabled"]!);
        Assert.True((bool)blobService["deleteRetentionPolicy"]!["enabled"]!);
        Assert.True((bool)blobService["containerDeleteRetentionPolicy"]!["enabled"]!);
        Assert.True((bool)blobService["restorePolicy"]!["enabled"]!);
        Assert.Equal("CanNotDelete", (string?)Resources(storage).Single(r => (string?)r["type"] == "Microsoft.Authorization/locks")["properties"]!["level"]);

        var backup = Module("backup-storage");
        var resources = Resources(backup);
        Assert.Contains("GRS", (string?)resources.Single(r => (string?)r["type"] == "Microsoft.Storage/storageAccounts")["sku"]!["name"]);
        var worm = resources.Single(r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies")["properties"]!;
        Assert.Equal("[parameters('retentionDays')]", (string?)worm["immutabilityPeriodSinceCreationInDays"]);
        Assert.Equal("CanNotDelete", (string?)resources.Single(r => (string?)r["type"] == "Microsoft.Authorization/locks")["properties"]!["level"]);
        var lifecycle = resources.Single(r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/managementPolicies").ToJsonString();
        Assert.Contains("tierToCold", lifecycle);
        Assert.Contains("delete", lifecycle);
        // The app's role on the backups: read and add, no delete.
        var role = resources.Single(r => (string?)r["type"] == "Microsoft.Authorization/roleDefinitions")["properties"]!["permissions"]![0]!;
        var dataActions = Strings(role["dataActions"]);
        Assert.Contains("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action", dataActions);
        Assert.DoesNotContain(dataActions, a => a.EndsWith("/delete", StringComparison.Ordinal) || a.Contains('*'));
        var settings = OfType("Microsoft.Web/sites/config").Single(c => ((string?)c["name"])!.Contains("'appsettings'", StringComparison.Ordinal))["properties"]!;
        Assert.Equal("[parameters('backupAccountName')]", (string?)settings["Backup__AccountName"]);
        Assert.Equal("", (string?)settings["Backup__Connection"]);
    }

    /// <summary>Each upload folder's event stream, the office's and the dead-letter queue exist, each with its own reader role and no wider one.</summary>
    [Fact]
    public void Every_event_stream_exists_with_a_reader_role_on_that_queue_only()
    {
        var module = Module("event-streams");
        var deployment = Resources(Compiled.Value).Single(r => (string?)r["type"] == "Microsoft.Resources/deployments" && (string?)r["name"] == "event-streams");
        Assert.Equal("[concat(variables('provinceSlugs'), createArray('national'))]", (string?)deployment["properties"]!["parameters"]!["folders"]!["value"]);
        var folders = Strings(Compiled.Value["variables"]!["provinceSlugs"]).Append("national");
        var expected = folders.Select(f => "events-" + f).Append(Events.EventStreams.Office).Append(Events.EventStreams.DeadLetter).Order().ToArray();
        Assert.Equal(Events.EventStreams.All(Domain.ReferenceData.Default).Order(), expected);

        var queues = Assert.Single(Resources(module), r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/queueServices/queues");
        Assert.Contains("'events-{0}'", (string?)module["variables"]!["streams"]);
        Assert.Contains("events-office", (string?)module["variables"]!["streams"]);
        Assert.Contains("events-deadletter", (string?)module["variables"]!["streams"]);
        Assert.NotNull(queues["copy"]);
        var role = Assert.Single(Resources(module), r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments");
        Assert.Equal("8a0f0c08-91a1-4084-bc3d-661d67233fed", (string?)module["variables"]!["messageProcessor"]); // Storage Queue Data Message Processor
        // Scoped to the one queue of the loop, never the account.
        Assert.Contains("queueServices/queues", (string?)role["scope"]);
        Assert.Contains("streams')[copyIndex()].name", (string?)role["scope"]);
    }

    [Fact]
    public void Every_setting_the_app_reads_is_deployed_and_documented()
    {
        var settings = OfType("Microsoft.Web/sites/config").Single(c => ((string?)c["name"])!.Contains("'appsettings'", StringComparison.Ordinal));
        var deployed = settings["properties"]!.AsObject().Select(p => p.Key).ToHashSet();
        var documented = JsonDocument.Parse(File.ReadAllText(Path.Combine(Azurite.RepoRoot, "local.settings.sample.json")))
            .RootElement.GetProperty("Values").EnumerateObject().Select(p => p.Name).ToHashSet();

        var read = ServiceCollectionExtensions.BoundOptions
            .SelectMany(o => o.Options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
                .Select(p => o.Section.Replace(":", "__", StringComparison.Ordinal) + "__" + p.Name))
            .ToList();
        Assert.NotEmpty(read);
        foreach (var setting in read)
        {
            Assert.True(deployed.Contains(setting), $"{setting} is read by the app but not set by infra/modules/functionapp.bicep");
            Assert.True(documented.Contains(setting), $"{setting} is read by the app but not in local.settings.sample.json");
        }

        // The sweep's timer schedule is an app setting named in functions.metadata ("%SurveySweepSchedule%").
        Assert.Contains("SurveySweepSchedule", deployed);
        Assert.Contains("SurveySweepSchedule", documented);
        Assert.Contains("\"%SurveySweepSchedule%\"", File.ReadAllText(BindingsTests.MetadataPath));
        Assert.Contains("BackupSchedule", deployed);
        Assert.Contains("BackupSchedule", documented);

        // Storage: a connection string locally, an identity-based connection in Azure; never a key in Azure.
        Assert.Contains(StorageClients.ConnectionName, documented);
        Assert.DoesNotContain(StorageClients.ConnectionName, deployed);
        Assert.Contains($"{StorageClients.ConnectionName}__accountName", deployed);
        Assert.Contains($"{StorageClients.ConnectionName}__clientId", deployed);
        Assert.Equal("managedidentity", (string?)settings["properties"]![$"{StorageClients.ConnectionName}__credential"]);

        // Whatever Azure gets, a developer can find documented (the storage connection under its local name).
        foreach (var setting in deployed.Where(s => !s.StartsWith(StorageClients.ConnectionName + "__", StringComparison.Ordinal)))
            Assert.True(documented.Contains(setting), $"{setting} is set by the Bicep but not in local.settings.sample.json");
        // No key in Azure's settings (SignIn__AcceptProvinceKeys is a switch, deployed off).
        Assert.DoesNotContain(deployed, s => s.Contains("Key", StringComparison.OrdinalIgnoreCase) && !s.StartsWith("Scoring", StringComparison.Ordinal) && s != "SignIn__AcceptProvinceKeys");
        Assert.Contains("'false'", (string?)settings["properties"]!["SignIn__AcceptProvinceKeys"]);
        Assert.Equal("true", (string?)settings["properties"]!["SignIn__Enabled"]);
    }

    /// <summary>Each alert the operators need exists, goes to the action group, and names a runbook section the README has.</summary>
    [Fact]
    public void Every_alert_exists_and_names_its_runbook_section()
    {
        var alerts = Module("alerts");
        var group = Assert.Single(Resources(alerts), r => (string?)r["type"] == "Microsoft.Insights/actionGroups");
        Assert.Equal("[parameters('alertEmail')]", (string?)group["properties"]!["emailReceivers"]![0]!["emailAddress"]);
        var descriptions = alerts["variables"]!["logAlerts"]!.AsArray().ToDictionary(a => (string)a!["name"]!, a => (string)a!["description"]!);
        descriptions["health"] = (string)Resources(alerts).Single(r => (string?)r["type"] == "Microsoft.Insights/metricAlerts")["properties"]!["description"]!;
        Assert.Equal(["chunk-failures", "events-lost", "health", "poison-message", "survey-unsettled"], descriptions.Keys.Order());
        var readme = File.ReadAllText(Path.Combine(Azurite.RepoRoot, "README.md"));
        foreach (var (name, description) in descriptions)
        {
            var section = System.Text.RegularExpressions.Regex.Match(description, "\"(Runbook: [^\"]+)\"").Groups[1].Value;
            Assert.True(section.Length > 0, $"{name} names no runbook section");
            Assert.Contains($"#### {section}\n", readme);
        }
        Assert.Equal("Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria",
            (string?)Resources(alerts).Single(r => (string?)r["type"] == "Microsoft.Insights/metricAlerts")["properties"]!["criteria"]!["odata.type"]);
    }
}
