using System.Diagnostics;
using System.Text.Json;
using MineIngest.Domain;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The field form's rules, as the build reads them from the contract (dashboard/field-rules.mjs), agree with what the
/// pipeline validates: the same columns in the same order, required the same way, the same choices by slug, the
/// same ranges for coordinates; and a contract the reader does not understand stops the build rather than being guessed.
/// </summary>
public sealed class FieldRulesTests
{
    private static JsonElement Rules(string folder)
    {
        var dashboard = Path.Combine(Azurite.RepoRoot, "dashboard");
        var start = new ProcessStartInfo("node", ["--input-type=module", "-e",
            "const { fieldRules } = await import('./field-rules.mjs'); console.log(JSON.stringify(fieldRules(process.argv[1])));", folder])
        { WorkingDirectory = dashboard, RedirectStandardOutput = true, RedirectStandardError = true };
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEnd();
        var error = node.StandardError.ReadToEnd();
        node.WaitForExit();
        if (node.ExitCode != 0) throw new InvalidOperationException(error);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static string ReferenceFolder => Path.Combine(Azurite.RepoRoot, "functions", "MineIngest.Domain", "ReferenceData") + "/";

    [Fact]
    public void The_forms_rules_are_the_pipelines()
    {
        var columns = Rules(ReferenceFolder).GetProperty("columns").EnumerateArray().ToList();
        Assert.Equal(SurveyColumns.All.Select(c => (c.Key, c.English, c.Persian)), columns.Select(c => (c.GetProperty("key").GetString()!, c.GetProperty("english").GetString()!, c.GetProperty("persian").GetString()!)));
        Assert.Equal(SurveyColumns.All.Select(c => c.Required), columns.Select(c => c.GetProperty("required").GetProperty("always").GetBoolean()));
        var byKey = columns.ToDictionary(c => c.GetProperty("key").GetString()!);
        var reference = ReferenceData.Default;
        Assert.Equal(reference.Provinces.Select(p => p.Slug), Slugs(byKey["province"]));
        Assert.Equal(reference.Minerals.Select(m => m.Slug), Slugs(byKey["mineral"]));
        Assert.Equal(reference.Statuses.Select(s => s.Slug).Order(), Slugs(byKey["status"]).Order());
        Assert.Equal(reference.Problems.Select(p => p.Slug).Order(), Slugs(byKey["problem"]).Order());
        Assert.Equal("construction-stone", byKey["grade_pct"].GetProperty("required").GetProperty("unlessMineral").GetString());
        Assert.Equal(("status", "revived"), (byKey["revived_on"].GetProperty("required").GetProperty("when").GetProperty("key").GetString(),
            byKey["revived_on"].GetProperty("required").GetProperty("when").GetProperty("is").GetString()));
        Assert.Equal((25.0, 39.8), Range(byKey["latitude"]));
        Assert.Equal((44.0, 63.4), Range(byKey["longitude"]));
        Assert.Equal((0.0, 100.0), Range(byKey["grade_pct"]));
        Assert.True(byKey["survey_date"].GetProperty("notInFuture").GetBoolean());
    }

    [Fact]
    public void A_contract_the_reader_does_not_know_stops_the_build()
    {
        var folder = Directory.CreateTempSubdirectory("contract-");
        try
        {
            foreach (var file in new[] { "provinces.csv", "minerals.csv" }) File.Copy(ReferenceFolder + file, Path.Combine(folder.FullName, file));
            File.WriteAllText(Path.Combine(folder.FullName, "survey-columns.csv"),
                File.ReadAllText(ReferenceFolder + "survey-columns.csv").Replace("yes, except construction-stone", "yes, unless the inspector says otherwise"));
            var error = Assert.Throws<InvalidOperationException>(() => Rules(folder.FullName + "/"));
            Assert.Contains("yes, unless the inspector says otherwise", error.Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static IEnumerable<string> Slugs(JsonElement column) => column.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("slug").GetString()!);

    private static (double, double) Range(JsonElement column)
    {
        var range = column.GetProperty("ranges")[0];
        return (range.GetProperty("min").GetDouble(), range.GetProperty("max").GetDouble());
    }
}
