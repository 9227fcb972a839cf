using System.Net;
using System.Text.Json;
using MineIngest.TestData;

namespace MineIngest.Pipeline.Tests;

[Collection(PipelineCollection.Name)]
public class PipelineTests(PipelineFixture fixture)
{
    private readonly HttpClient _http = fixture.Http;

    private static SurveyBuilder KermanSurvey() => new SurveyBuilder()
        .Add(RowBuilder.WorkedExample("CHR-0012"))
        .Add(RowBuilder.WorkedExample("MN-7").Set("mineral", "manganese").Set("status", "revived").Set("revived_on", "1399/03/12").Set("jobs_created", 12))
        .Add(RowBuilder.WorkedExample("CU-2").Set("mineral", "copper").Set("grade_pct", 1.2).Set("reserve_tonnes", 5_000_000).Set("jobs_potential", 60)
            .Set("status", "revived").Set("revived_on", new DateOnly(2021, 1, 5)).Set("jobs_created", 40))
        .Add(RowBuilder.WorkedExample("BAD-1").Set("latitude", 41.2).Set("mineral", "gold"));

    private static int Int(JsonElement e, string name) => e.GetProperty(name).GetInt32();

    [Fact]
    public async Task Upload_is_read_scored_and_answered_on_every_route()
    {
        await fixture.UploadAsync("kerman/1399-spring.xlsx", KermanSurvey().ToXlsx());
        var survey = await PipelineFixture.WaitForSurveyAsync(_http, "kerman/1399-spring.xlsx");

        Assert.Equal("completed", survey.GetProperty("status").GetString());
        Assert.Equal((4, 3, 1, 0, 0), (Int(survey, "rows"), Int(survey, "accepted"), Int(survey, "rejected"), Int(survey, "failed"), Int(survey, "pending")));
        Assert.Equal("kerman", survey.GetProperty("province").GetString());
        var errors = survey.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(2, errors.Count); // one rejected row, two problems
        Assert.All(errors, e => Assert.Equal(5, Int(e, "row")));
        Assert.Contains(errors, e => e.GetProperty("field").GetString() == "latitude"
                                     && e.GetProperty("message").GetString() == "41.2 is outside Iran (25.0 to 39.8)");
        Assert.Contains(errors, e => e.GetProperty("field").GetString() == "mineral" && e.GetProperty("mineId").GetString() == "BAD-1");

        var mine = await PipelineFixture.GetJsonAsync(_http, "/api/mines/Kerman/chr-0012");
        Assert.Equal(59.0, mine.GetProperty("score").GetDouble());
        Assert.Equal("B", mine.GetProperty("tier").GetString());
        Assert.Equal(0.5654, mine.GetProperty("components").GetProperty("resource").GetDouble());
        Assert.Equal("2020-05-10", mine.GetProperty("surveyDate").GetString());
        Assert.Equal(JsonValueKind.Null, mine.GetProperty("jobsCreated").ValueKind);
        Assert.Equal(2, Int(mine, "row"));

        var summary = await PipelineFixture.GetJsonAsync(_http, "/api/summary?province=کرمان");
        Assert.Equal("kerman", summary.GetProperty("province").GetString());
        Assert.Equal((3, 1, 2, 52), (Int(summary, "mines"), Int(summary, "provinces"), Int(summary, "revived"), Int(summary, "jobsCreated")));
        Assert.Equal(100, Int(summary, "jobsPotential"));
        Assert.Equal(2, Int(summary.GetProperty("byStatus"), "revived"));
        Assert.Equal(1, Int(summary.GetProperty("byStatus"), "idle"));
        Assert.Equal(3, summary.GetProperty("byMineral").GetArrayLength());
        var tiers = summary.GetProperty("byTier");
        Assert.Equal(3, Int(tiers, "A") + Int(tiers, "B") + Int(tiers, "C"));
        Assert.Equal(1, Int(tiers, "B") - Int(summary.GetProperty("byProvince")[0].GetProperty("byTier"), "B") + 1);
        Assert.EndsWith("Z", summary.GetProperty("asOf").GetString());
        Assert.NotEqual(JsonValueKind.Null, summary.GetProperty("asOf").ValueKind);

        // A period in Jalali: only the manganese mine was revived in the first five months of 1399.
        var period = await PipelineFixture.GetJsonAsync(_http, "/api/summary?province=kerman&from=1399-01-01&to=1399-05-31");
        Assert.Equal(("2020-03-20", "2020-08-21"), (period.GetProperty("from").GetString(), period.GetProperty("to").GetString()));
        Assert.Equal((3, 1, 12), (Int(period, "mines"), Int(period, "revived"), Int(period, "jobsCreated")));

        var ranking = await PipelineFixture.GetJsonAsync(_http, "/api/mines?province=kerman&top=2");
        var first = ranking.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(2, first.Count);
        Assert.True(first[0] >= first[1]);
        var token = ranking.GetProperty("continuation").GetString();
        Assert.NotNull(token);
        var next = await PipelineFixture.GetJsonAsync(_http, $"/api/mines?province=kerman&top=2&continuation={token}");
        var rest = next.GetProperty("items").EnumerateArray().ToList();
        Assert.Single(rest);
        Assert.True(rest[0].GetProperty("score").GetDouble() <= first[1]);
        Assert.Equal(JsonValueKind.Null, next.GetProperty("continuation").ValueKind);

        var tierB = await PipelineFixture.GetJsonAsync(_http, "/api/mines?province=kerman&tier=b&status=idle");
        Assert.Equal(["CHR-0012"], tierB.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("mineId").GetString()));

        var list = await PipelineFixture.GetJsonAsync(_http, "/api/surveys?province=kerman");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), s => s.GetProperty("blob").GetString() == "kerman/1399-spring.xlsx");
    }

    [Fact]
    public async Task Identical_reupload_changes_no_figure()
    {
        var bytes = new SurveyBuilder().AddMany(5, i => RowBuilder.WorkedExample($"Y-{i}", "yazd").Set("jobs_potential", 10 + i)).ToCsv();
        await fixture.UploadAsync("yazd/round1.csv", bytes);
        await PipelineFixture.WaitForSurveyAsync(_http, "yazd/round1.csv");
        var before = await PipelineFixture.GetJsonAsync(_http, "/api/summary?province=yazd");

        await fixture.UploadAsync("yazd/round1.csv", bytes);
        await Task.Delay(TimeSpan.FromSeconds(4)); // time for the trigger to see the upload again
        var surveys = await PipelineFixture.GetJsonAsync(_http, "/api/surveys?blob=yazd/round1.csv");
        var after = await PipelineFixture.GetJsonAsync(_http, "/api/summary?province=yazd");

        Assert.Equal(1, surveys.GetProperty("items").GetArrayLength());
        Assert.Equal(5, Int(after, "mines"));
        Assert.Equal(Int(before, "jobsPotential"), Int(after, "jobsPotential"));
        Assert.Equal(before.GetProperty("byTier").GetRawText(), after.GetProperty("byTier").GetRawText());
    }

    [Fact]
    public async Task An_older_survey_uploaded_after_a_newer_one_changes_nothing()
    {
        var newer = new SurveyBuilder().Add(RowBuilder.WorkedExample("F-1", "fars").Set("survey_date", new DateOnly(2021, 6, 1)).Set("jobs_potential", 40));
        var older = new SurveyBuilder().Add(RowBuilder.WorkedExample("F-1", "fars").Set("survey_date", new DateOnly(2020, 1, 1)).Set("jobs_potential", 5));
        await fixture.UploadAsync("fars/newer.csv", newer.ToCsv());
        await PipelineFixture.WaitForSurveyAsync(_http, "fars/newer.csv");
        await fixture.UploadAsync("fars/older.csv", older.ToCsv());
        var olderSurvey = await PipelineFixture.WaitForSurveyAsync(_http, "fars/older.csv");

        Assert.Equal(1, Int(olderSurvey, "accepted")); // the row was valid; it is simply not the latest
        var mine = await PipelineFixture.GetJsonAsync(_http, "/api/mines/fars/F-1");
        Assert.Equal(40, Int(mine, "jobsPotential"));
        Assert.Equal("2021-06-01", mine.GetProperty("surveyDate").GetString());
    }

    [Fact]
    public async Task A_mine_whose_scoring_always_throws_ends_failed_and_its_survey_completes()
    {
        var survey = new SurveyBuilder()
            .Add(RowBuilder.WorkedExample("H-1", "hormozgan").Set("latitude", 27.2).Set("longitude", 56.3))
            .Add(RowBuilder.WorkedExample("FAULT-1", "hormozgan").Set("latitude", 27.2).Set("longitude", 56.3));
        await fixture.UploadAsync("hormozgan/faulty.csv", survey.ToCsv());
        var result = await PipelineFixture.WaitForSurveyAsync(_http, "hormozgan/faulty.csv");

        Assert.Equal("completed", result.GetProperty("status").GetString());
        Assert.Equal((2, 1, 0, 1, 0), (Int(result, "rows"), Int(result, "accepted"), Int(result, "rejected"), Int(result, "failed"), Int(result, "pending")));
        Assert.Contains(result.GetProperty("errors").EnumerateArray(), e => Int(e, "row") == 3 && e.GetProperty("message").GetString()!.Contains("could not be processed"));
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/api/mines/hormozgan/FAULT-1")).StatusCode);
    }

    [Theory]
    [InlineData("qom/random.xlsx", "not a readable Excel workbook")]
    [InlineData("qom/notes.pdf", "Unsupported file type")]
    [InlineData("atlantis/survey.csv", "not a province folder")]
    public async Task A_file_level_rejection_shows_its_reason(string blob, string reason)
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        await fixture.UploadAsync(blob, bytes);
        var survey = await PipelineFixture.WaitForSurveyAsync(_http, blob);

        Assert.Equal("rejected", survey.GetProperty("status").GetString());
        Assert.Equal(0, Int(survey, "rows"));
        Assert.Contains(reason, survey.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("/api/summary?province=atlantis", "province")]
    [InlineData("/api/summary?mineral=gold", "mineral")]
    [InlineData("/api/summary?from=2020-13-01", "from")]
    [InlineData("/api/summary?from=2021-01-01&to=2020-01-01", "from")]
    [InlineData("/api/mines?top=0", "top")]
    [InlineData("/api/mines?top=1001", "top")]
    [InlineData("/api/mines?tier=D", "tier")]
    [InlineData("/api/mines?status=closed", "status")]
    [InlineData("/api/mines?continuation=nonsense", "continuation")]
    [InlineData("/api/surveys?province=atlantis", "province")]
    public async Task Bad_query_values_are_problem_details_naming_the_parameter(string path, string parameter)
    {
        var response = await _http.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(400, Int(problem, "status"));
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    [Theory]
    [InlineData("/api/mines/kerman/NO-SUCH-MINE")]
    [InlineData("/api/mines/atlantis/X-1")]
    [InlineData("/api/surveys/0000")]
    public async Task Unknown_mine_or_survey_is_404(string path)
    {
        var response = await _http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Health_says_ok_while_storage_answers()
    {
        var health = await PipelineFixture.GetJsonAsync(_http, "/api/health");
        Assert.Equal("ok", health.GetProperty("status").GetString());
    }
}
