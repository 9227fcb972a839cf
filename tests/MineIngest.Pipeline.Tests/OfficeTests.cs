using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using MineIngest.Domain;
using MineIngest.TestData;

using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Tests;

/// <summary>The programme office's records on Azurite: a mine's history, solutions, committee meetings, the investor list, and who may write.</summary>
[Collection(PipelineCollection.Name)]
public sealed class OfficeTests(PipelineFixture fixture)
{
    private ProvinceKeyStore Keys => new(StorageClients.FromConfiguration(new ConfigurationBuilder()
        .AddInMemoryCollection([new("AzureWebJobsStorage", fixture.Azurite.ConnectionString)]).Build()), ReferenceData.Default, TimeProvider.System);

    private async Task<string> WriterKeyAsync() => (await Keys.CreateAsync(ProvinceKeyStore.OfficeScope, CancellationToken.None)).Key;

    private async Task<JsonElement> SurveyAsync(string blob, params RowBuilder[] rows)
    {
        var survey = new SurveyBuilder();
        foreach (var row in rows) survey.Add(row);
        await fixture.UploadAsync(blob, survey.ToCsv());
        return await PipelineFixture.WaitForSurveyAsync(fixture.Http, blob);
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        foreach (var (name, value) in headers) request.Headers.Add(name, value);
        return fixture.Http.SendAsync(request);
    }

    [Fact]
    public async Task A_mine_surveyed_three_times_in_shuffled_order_has_three_versions_and_its_status_changes()
    {
        RowBuilder Version(string date, string status) => RowBuilder.WorkedExample("HIST-1", "lorestan").Set("survey_date", date).Set("status", status);
        await SurveyAsync("lorestan/history-2022.csv", Version("2022-06-01", "revived").Set("revived_on", "2022-05-20").Set("jobs_created", 14));
        await SurveyAsync("lorestan/history-2020.csv", Version("1398-10-20", "idle"));
        await SurveyAsync("lorestan/history-2021.csv", Version("2021-03-01", "reviving").Set("problem", "equipment"));
        await SurveyAsync("lorestan/history-2022.csv", Version("2022-06-01", "revived").Set("revived_on", "2022-05-20").Set("jobs_created", 14)); // delivered again

        var history = await PipelineFixture.GetJsonAsync(fixture.Http, "/api/mines/lorestan/hist-1/history");
        var versions = history.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal(["2020-01-10", "2021-03-01", "2022-06-01"], versions.Select(v => v.GetProperty("surveyDate").GetString()));
        Assert.Equal(["idle", "reviving", "revived"], versions.Select(v => v.GetProperty("status").GetString()));
        Assert.Equal("1398/10/20", versions[0].GetProperty("surveyDateJalali").GetString());
        Assert.Equal("equipment", versions[1].GetProperty("problem").GetString());
        Assert.Equal(14, versions[2].GetProperty("jobsCreated").GetInt32());
        Assert.All(versions, v => Assert.True(v.GetProperty("score").GetDouble() > 0));
        var changes = history.GetProperty("statusChanges").EnumerateArray()
            .Select(c => (c.GetProperty("from").GetString(), c.GetProperty("to").GetString(), c.GetProperty("on").GetString())).ToList();
        Assert.Equal([("idle", "reviving", "2021-03-01"), ("reviving", "revived", "2022-05-20")], changes);
        Assert.Equal("revived", (await PipelineFixture.GetJsonAsync(fixture.Http, "/api/mines/lorestan/HIST-1")).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Http.GetAsync("/api/mines/lorestan/NO-SUCH/history")).StatusCode);
    }

    [Fact]
    public async Task Every_writing_route_refuses_a_readers_key_and_a_solution_survives_a_newer_survey()
    {
        await SurveyAsync("bushehr/solution-2020.csv", RowBuilder.WorkedExample("SOL-1", "bushehr"));
        var provinceKey = (await Keys.CreateAsync("bushehr", CancellationToken.None)).Key;
        var writer = await WriterKeyAsync();
        var solution = new { text = "Lease a crusher through the provincial fund", responsibleBody = "Bushehr industry office", targetDate = "1404-06-31", state = "agreed" };
        var committee = new { date = "1403-05-01", province = "bushehr", investors = new[] { "A" }, mines = new[] { new { mineId = "SOL-1", outcome = "interested" } } };

        var writes = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Put, "/api/mines/bushehr/SOL-1/solution", solution), (HttpMethod.Post, "/api/committees", committee), (HttpMethod.Post, "/api/rescore", null),
        };
        foreach (var (method, path, body) in writes)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(method, path, body)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(method, path, body, ("x-functions-key", "a-readers-function-key"))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(method, path, body, (OfficeApi.WriterKeyHeader, "office.deadbeef.notthesecret"))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(method, path, body, (OfficeApi.WriterKeyHeader, provinceKey))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(method, path, body, (ProvinceApi.ProvinceKeyHeader, provinceKey))).StatusCode);
        }

        var put = await SendAsync(HttpMethod.Put, "/api/mines/bushehr/SOL-1/solution", solution, (OfficeApi.WriterKeyHeader, writer));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var bad = await SendAsync(HttpMethod.Put, "/api/mines/bushehr/SOL-1/solution", new { text = "x", state = "someday" }, (OfficeApi.WriterKeyHeader, writer));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Put, "/api/mines/bushehr/NOPE/solution", solution, (OfficeApi.WriterKeyHeader, writer))).StatusCode);
        await SendAsync(HttpMethod.Put, "/api/mines/bushehr/sol-1/solution", solution with { state = "in progress" }, (OfficeApi.WriterKeyHeader, writer));

        await SurveyAsync("bushehr/solution-2021.csv", RowBuilder.WorkedExample("SOL-1", "bushehr").Set("survey_date", "2021-05-01").Set("jobs_potential", 33));
        Assert.Equal(33, (await PipelineFixture.GetJsonAsync(fixture.Http, "/api/mines/bushehr/SOL-1")).GetProperty("jobsPotential").GetInt32());
        var kept = await PipelineFixture.GetJsonAsync(fixture.Http, "/api/mines/bushehr/SOL-1/solution");
        Assert.Equal("in-progress", kept.GetProperty("current").GetProperty("state").GetString());
        Assert.Equal("2025-09-22", kept.GetProperty("current").GetProperty("targetDate").GetString()); // 1404-06-31
        Assert.Equal(["agreed", "in-progress"], kept.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task Committee_meetings_count_in_the_summary_of_a_Jalali_period_and_list_by_date_and_province()
    {
        await SurveyAsync("qazvin/committee.csv", RowBuilder.WorkedExample("QZ-1", "qazvin"), RowBuilder.WorkedExample("QZ-2", "qazvin"),
            RowBuilder.WorkedExample("QZ-3", "qazvin").Set("mineral", "copper").Set("grade_pct", 1.2));
        var writer = await WriterKeyAsync();
        async Task<HttpResponseMessage> PostAsync(object body) => await SendAsync(HttpMethod.Post, "/api/committees", body, (OfficeApi.WriterKeyHeader, writer));

        var spring = await PostAsync(new { date = "1403-02-10", province = "قزوین", investors = new[] { "Sepahan Invest", "Alborz Mining Fund" },
            mines = new[] { new { mineId = "QZ-1", outcome = "agreement signed" }, new { mineId = "QZ-2", outcome = "interested" } } });
        Assert.Equal(HttpStatusCode.Created, spring.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(new { date = "2024-10-26", province = "national", investors = new[] { "Tehran Holding" },
            mines = new[] { new { province = "qazvin", mineId = "QZ-3", outcome = "agreement-signed" }, new { province = "qazvin", mineId = "QZ-1", outcome = "follow-up" } } })).StatusCode);
        var unknown = await PostAsync(new { date = "1403-03-01", province = "qazvin", investors = new[] { "X" }, mines = new[] { new { mineId = "QZ-404", outcome = "declined" } } });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("QZ-404", await unknown.Content.ReadAsStringAsync());

        var firstHalf = await PipelineFixture.GetJsonAsync(fixture.Http, "/api/summary?province=qazvin&from=1403-01-01&to=1403-06-31");
        Assert.Equal((1, 1), (firstHalf.GetProperty("committeeMeetings").GetInt32(), firstHalf.GetProperty("minesWithAgreement").GetInt32()));
        var year = await PipelineFixture.GetJsonAsync(fixture.Http, "/api/summary?province=qazvin&from=1403-01-01&to=1403-12-30");
        Assert.Equal((2, 2), (year.GetProperty("committeeMeetings").GetInt32(), year.GetProperty("minesWithAgreement").GetInt32()));
        var copper = await PipelineFixture.GetJsonAsync(fixture.Http, "/api/summary?province=qazvin&mineral=copper&from=1403-01-01&to=1403-12-30");
        Assert.Equal(1, copper.GetProperty("minesWithAgreement").GetInt32());

        var listed = await PipelineFixture.GetJsonAsync(fixture.Http, "/api/committees?from=1403-01-01&to=1403-06-31&province=qazvin");
        var item = Assert.Single(listed.GetProperty("items").EnumerateArray());
        Assert.Equal(("2024-04-29", "1403/02/10", "qazvin"), (item.GetProperty("date").GetString(), item.GetProperty("dateJalali").GetString(), item.GetProperty("province").GetString()));
        Assert.Equal(2, item.GetProperty("investors").GetArrayLength());
        Assert.Equal(2, (await PipelineFixture.GetJsonAsync(fixture.Http, "/api/committees?province=qazvin")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task The_investor_list_holds_tier_A_and_B_mines_with_a_capital_problem_in_ranking_order_and_problems_are_counted()
    {
        RowBuilder Strong(string id) => RowBuilder.WorkedExample(id, "ardabil").Set("reserve_tonnes", 5_000_000).Set("grade_pct", 52).Set("road_km", 0)
            .Set("power_km", 0).Set("jobs_potential", 80).Set("investment_bn_rial", 10);
        RowBuilder Weak(string id) => RowBuilder.WorkedExample(id, "ardabil").Set("reserve_tonnes", 50).Set("grade_pct", 2).Set("road_km", 400)
            .Set("power_km", 400).Set("jobs_potential", 0).Set("investment_bn_rial", 9000);
        await SurveyAsync("ardabil/investors.csv",
            Strong("AR-1").Set("problem", "financial"), RowBuilder.WorkedExample("AR-2", "ardabil").Set("problem", "equipment"),
            RowBuilder.WorkedExample("AR-3", "ardabil").Set("problem", "market").Set("reserve_tonnes", 400_000), Strong("AR-4").Set("problem", "legal"),
            Weak("AR-5").Set("problem", "financial"), RowBuilder.WorkedExample("AR-6", "ardabil").Set("problem", null));
        var writer = await WriterKeyAsync();
        await SendAsync(HttpMethod.Post, "/api/committees", new { date = "1403-09-01", province = "ardabil", investors = new[] { "Ardabil Partners" },
            mines = new[] { new { mineId = "AR-2", outcome = "declined" } } }, (OfficeApi.WriterKeyHeader, writer));

        var mines = (await PipelineFixture.GetJsonAsync(fixture.Http, "/api/mines?province=ardabil&top=100")).GetProperty("items").EnumerateArray().ToList();
        var expected = mines.Where(m => m.GetProperty("tier").GetString() is "A" or "B" && m.GetProperty("problem").GetString() is "financial" or "equipment" or "market")
            .Select(m => m.GetProperty("mineId").GetString()).ToList();
        Assert.Equal(["AR-1", "AR-2", "AR-3"], expected.Order());
        Assert.Equal("C", mines.Single(m => m.GetProperty("mineId").GetString() == "AR-5").GetProperty("tier").GetString());

        var csv = Encoding.UTF8.GetString(await fixture.Http.GetByteArrayAsync("/api/investor-list.csv?province=ardabil")).TrimStart('\uFEFF');
        var lines = csv.Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(InvestorList.Headers, lines[0].Split(','));
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(expected, rows.Select(r => r[2]));
        Assert.Equal(["1", "2", "3"], rows.Select(r => r[0]));
        Assert.Equal("نپذیرفت - Declined", rows.Single(r => r[2] == "AR-2")[10]); // the outcome in both languages
        Assert.Equal("اردبیل - Ardabil", rows[0][1]);
        var xlsx = await fixture.Http.GetAsync("/api/investor-list.xlsx?province=ardabil&tier=A");
        Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
        using (var zip = new System.IO.Compression.ZipArchive(await xlsx.Content.ReadAsStreamAsync()))
            Assert.NotNull(zip.GetEntry("xl/worksheets/sheet1.xml"));
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Http.GetAsync("/api/investor-list.csv?tier=C")).StatusCode);

        var summary = await PipelineFixture.GetJsonAsync(fixture.Http, "/api/summary?province=ardabil");
        var byProblem = summary.GetProperty("byProblem").EnumerateArray().ToDictionary(p => p.GetProperty("problem").GetString()!, p => p.GetProperty("mines").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["equipment"] = 1, ["financial"] = 2, ["legal"] = 1, ["market"] = 1, ["unspecified"] = 1 }, byProblem);
        Assert.Equal(10 + 100 + 100 + 10 + 9000 + 100, summary.GetProperty("investmentNeededBnRial").GetDouble());
        var financial = (await PipelineFixture.GetJsonAsync(fixture.Http, "/api/mines?province=ardabil&problem=مالی")).GetProperty("items");
        Assert.Equal(["AR-1", "AR-5"], financial.EnumerateArray().Select(m => m.GetProperty("mineId").GetString()).Order());
    }
}
