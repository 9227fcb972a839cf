using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
using MineIngest.TestData;
using nietras.SeparatedValues;

namespace MineIngest.Pipeline.Tests;

/// <summary>The host as ./run.sh runs it (sign-in off, province keys), for the route that checks rows without storing them.</summary>
public sealed class ValidateRouteFixture : IAsyncLifetime
{
    public Azurite Azurite { get; } = new();
    public LocalHostProcess Host { get; private set; } = null!;
    public string KermanKey { get; private set; } = "";
    public string YazdKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Host = LocalHostProcess.Start(Azurite, null, "--LocalHost:SweepSeconds=0.5");
        for (var i = 0; i < 300 && !Host.HasExited; i++)
        {
            try { if ((await Host.Http.GetAsync("/api/health")).IsSuccessStatusCode) break; } catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        using var services = Azurite.PipelineServices([]);
        var keys = services.GetRequiredService<ProvinceKeyStore>();
        KermanKey = (await keys.CreateAsync("kerman", CancellationToken.None)).Key;
        YazdKey = (await keys.CreateAsync("yazd", CancellationToken.None)).Key;
    }

    public async Task DisposeAsync()
    {
        await Host.KillAsync();
        Host.Dispose();
        Azurite.Dispose();
    }
}

public class ValidateRouteTests(ValidateRouteFixture f) : IClassFixture<ValidateRouteFixture>
{
    /// <summary>Each breaks one rule (or none, or gives a warning); row i of the survey takes breaker i mod their count.</summary>
    private static readonly Func<RowBuilder, int, RowBuilder>[] Breakers =
    [
        (r, _) => r,
        (r, _) => r.Set("mine_id", null),
        (r, _) => r.Set("mine_name", null),
        (r, _) => r.Set("province", "Yazd"),
        (r, _) => r.Set("province", "Atlantis"),
        (r, _) => r.Set("mineral", "طلا"),
        (r, _) => r.Set("status", "dormant"),
        (r, _) => r.Set("latitude", 41.2),
        (r, _) => r.Set("longitude", 70),
        (r, _) => r.Set("reserve_tonnes", -5),
        (r, _) => r.Set("reserve_tonnes", "lots"),
        (r, _) => r.Set("grade_pct", 150),
        (r, _) => r.Set("road_km", -1),
        (r, _) => r.Set("jobs_potential", "x"),
        (r, _) => r.Set("jobs_created", 30), // more than potential: a warning
        (r, _) => r.Set("investment_bn_rial", "abc"),
        (r, _) => r.Set("idle_since", "1399-13-01"),
        (r, _) => r.Set("problem", "weather"),
        (r, _) => r.Set("survey_date", new DateOnly(2030, 1, 1)),
        (r, _) => r.Set("status", "revived"),
        (r, _) => r.Set("status", "revived").Set("revived_on", "1410/01/01"),
        (r, i) => r.Set("mine_id", $"VR-{i - 1}"), // the row before's mine again
        (r, _) => r.Set("mine_id", ".."),
        (r, _) => r.Set("mine_name", "a\u001Bb"),
        (r, _) => r.Set("mine_id", "K%2F1"),
        (r, _) => r.Set("grade_pct", 15), // below chromite's cut-off: a warning
        (r, _) => r.Set("county", "two\nlines").Set("notes", "=1+1"),
        (r, _) => r.Set("survey_date", "1399/02/21").Set("latitude", "۲۹٫۱"),
    ];

    private static SurveyBuilder Survey(int rows) => new SurveyBuilder { Language = HeaderLanguage.Keys }
        .AddMany(rows, i => Breakers[i % Breakers.Length](RowBuilder.WorkedExample($"VR-{i}"), i));

    /// <summary>The survey's rows as the page would hold them: each data row's text by column key, numbered as the report numbers rows.</summary>
    private static List<RowToCheck> RowsOf(byte[] csv)
    {
        using var reader = Sep.Reader(o => o with { Unescape = true }).From(new StreamReader(new MemoryStream(csv), Encoding.UTF8));
        var keys = reader.Header.ColNames;
        var rows = new List<RowToCheck>();
        var number = 1;
        foreach (var row in reader)
        {
            number++;
            var values = new Dictionary<string, string?>();
            foreach (var k in keys) values[k] = row[k].ToString();
            rows.Add(new RowToCheck(number, values));
        }
        return rows;
    }

    private async Task<HttpResponseMessage> ValidateAsync(string province, object body, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/provinces/{province}/validate") { Content = JsonContent.Create(body) };
        if (key is not null) request.Headers.Add(ProvinceApi.ProvinceKeyHeader, key);
        return await f.Host.Http.SendAsync(request);
    }

    private static string Outcome(bool accepted, IEnumerable<JsonElement> errors) =>
        (accepted ? "accepted" : "rejected") + ": " + string.Join(" | ", errors
            .Select(e => $"{e.GetProperty("field").GetString()}: {e.GetProperty("message").GetString()} / {e.GetProperty("messageFa").GetString()}").Order(StringComparer.Ordinal));

    [Fact]
    public async Task It_says_row_by_row_what_the_survey_pipeline_says_of_the_same_rows()
    {
        var csv = Survey(1_000).ToCsv();
        var blob = "kerman/validate-parity.csv";
        var container = new BlobContainerClient(f.Azurite.ConnectionString, PipelineOptions.SurveysContainer);
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(csv), overwrite: true);
        var report = await PipelineFixture.WaitForSurveyAsync(f.Host.Http, blob, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal("completed", report.GetProperty("status").GetString());
        var rows = RowsOf(csv);
        Assert.Equal(1_000, rows.Count);

        var pipelineErrors = report.GetProperty("errors").EnumerateArray().GroupBy(e => e.GetProperty("row").GetInt32()).ToDictionary(g => g.Key, g => g.ToList());
        var pipeline = rows.ToDictionary(r => r.Row, r => Outcome(!pipelineErrors.ContainsKey(r.Row), pipelineErrors.GetValueOrDefault(r.Row) ?? []));
        var pipelineWarnings = report.GetProperty("warnings").EnumerateArray().Select(w => $"{w.GetProperty("row").GetInt32()} {w.GetProperty("message").GetString()}").Order().ToList();

        var checkedRows = new Dictionary<int, string>();
        var warnings = new List<string>();
        foreach (var part in rows.Chunk(ProvinceApi.MaxRowsToCheck))
        {
            // Duplicates are found among the rows a request holds, as among a file's: one request holds the whole file.
            using var response = await ValidateAsync("kerman", new RowsToCheck(part), f.KermanKey);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            foreach (var row in (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rows").EnumerateArray())
            {
                checkedRows[row.GetProperty("row").GetInt32()] = Outcome(row.GetProperty("accepted").GetBoolean(), row.GetProperty("errors").EnumerateArray());
                warnings.AddRange(row.GetProperty("warnings").EnumerateArray().Select(w => $"{w.GetProperty("row").GetInt32()} {w.GetProperty("message").GetString()}"));
            }
        }
        var differ = rows.Where(r => pipeline[r.Row] != checkedRows[r.Row]).Select(r => $"row {r.Row}: pipeline {pipeline[r.Row]}\n   route {checkedRows[r.Row]}").ToList();
        Assert.True(differ.Count == 0, string.Join("\n", differ.Take(10)));
        Assert.Equal(report.GetProperty("rejected").GetInt32(), checkedRows.Values.Count(v => v.StartsWith("rejected", StringComparison.Ordinal)));
        Assert.True(report.GetProperty("rejected").GetInt32() > 700, "most rows break a rule");
        Assert.Equal(pipelineWarnings, warnings.Order().ToList());
        Assert.NotEmpty(warnings);
    }

    [Fact]
    public async Task It_stores_nothing_bounds_its_rows_and_follows_the_province_s_keys()
    {
        var rows = RowsOf(Survey(30).ToCsv());
        var before = await StoredAsync();
        using (var ok = await ValidateAsync("kerman", new RowsToCheck(rows), f.KermanKey)) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(before, await StoredAsync());

        using var tooMany = await ValidateAsync("kerman", new RowsToCheck(Enumerable.Repeat(rows[0], ProvinceApi.MaxRowsToCheck + 1).ToList()), f.KermanKey);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooMany.StatusCode);
        var problem = await tooMany.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("At most 1,000 rows", problem.GetProperty("detail").GetString());
        Assert.Contains("1,000", problem.GetProperty("detailFa").GetString());

        using var unknown = await ValidateAsync("kerman", new { rows = new[] { new { row = 2, values = new Dictionary<string, string> { ["colour"] = "red" } } } }, f.KermanKey);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("colour", await unknown.Content.ReadAsStringAsync());
        using var notJson = await ValidateAsync("kerman", "not rows", f.KermanKey);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);

        using (var none = await ValidateAsync("kerman", new RowsToCheck(rows), null)) Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        using (var other = await ValidateAsync("kerman", new RowsToCheck(rows), f.YazdKey)) Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal(before, await StoredAsync());
    }

    private async Task<string> StoredAsync()
    {
        var tables = new TableServiceClient(f.Azurite.ConnectionString);
        var all = new List<string>();
        await foreach (var table in tables.QueryAsync())
            await foreach (var e in tables.GetTableClient(table.Name).QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
                all.Add($"{table.Name}/{e.PartitionKey}/{e.RowKey}@{e.ETag}");
        var blobs = new BlobServiceClient(f.Azurite.ConnectionString);
        await foreach (var c in blobs.GetBlobContainersAsync())
            await foreach (var b in blobs.GetBlobContainerClient(c.Name).GetBlobsAsync())
                all.Add($"{c.Name}/{b.Name}@{b.Properties.ETag}");
        return string.Join("\n", all.Order(StringComparer.Ordinal));
    }
}
