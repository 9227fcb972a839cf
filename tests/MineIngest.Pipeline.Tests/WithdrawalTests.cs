using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using MineIngest.Domain;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Records;
using MineIngest.TestData;
using Xunit.Abstractions;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// Withdrawing a wrong survey, against Azurite with the host as its own process: every figure returns to what it was
/// without the survey, its versions stay in the mines' histories marked withdrawn, and a host killed half-way finishes.
/// </summary>
public sealed class WithdrawalTests(ITestOutputHelper output) : IDisposable
{
    private readonly Azurite _azurite = new();

    private LocalHostProcess StartHost() => StartHost(_azurite);

    private static LocalHostProcess StartHost(Azurite azurite) =>
        LocalHostProcess.Start(azurite, null, "--Pipeline:RecoverAfterSeconds=10", "--LocalHost:SweepSeconds=0.5");

    private ProvinceKeyStore Keys => new(StorageClients.FromConfiguration(new ConfigurationBuilder()
        .AddInMemoryCollection([new("AzureWebJobsStorage", _azurite.ConnectionString)]).Build()), ReferenceData.Default, TimeProvider.System);

    private TableClient Surveys => new TableServiceClient(_azurite.ConnectionString).GetTableClient(PipelineOptions.SurveysTable);

    private Task<JsonElement> UploadAsync(LocalHostProcess host, string blob, SurveyBuilder survey) => UploadAsync(_azurite, host, blob, survey);

    private static async Task<JsonElement> UploadAsync(Azurite azurite, LocalHostProcess host, string blob, SurveyBuilder survey)
    {
        var container = new BlobContainerClient(azurite.ConnectionString, PipelineOptions.SurveysContainer);
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(survey.ToCsv()), overwrite: true);
        var report = await PipelineFixture.WaitForSurveyAsync(host.Http, blob, timeout: TimeSpan.FromSeconds(240));
        Assert.Equal("completed", report.GetProperty("status").GetString());
        return report;
    }

    private static async Task<HttpResponseMessage> WithdrawAsync(HttpClient http, string surveyId, string? reason, (string Header, string Key) key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/surveys/{surveyId}/withdraw")
        {
            Content = reason is null ? JsonContent.Create(new { }) : JsonContent.Create(new { reason }),
        };
        request.Headers.Add(key.Header, key.Key);
        return await http.SendAsync(request);
    }

    /// <summary>Waits for the survey's report to say withdrawn, as a person waits for a report; fails after the timeout.</summary>
    private static async Task<JsonElement> WaitForWithdrawnAsync(HttpClient http, string surveyId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var report = await http.GetFromJsonAsync<JsonElement>($"/api/surveys/{surveyId}");
                if (report.GetProperty("status").GetString() == "withdrawn") return report;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Survey {surveyId} was not withdrawn in time.");
            await Task.Delay(250);
        }
    }

    /// <summary>What a person reads in the programme's figures: the summary (all time and a Jalali year), the ranking's first 50, the investor list.</summary>
    private static async Task<Dictionary<string, string>> FiguresAsync(HttpClient http)
    {
        var figures = new Dictionary<string, string>();
        foreach (var path in new[] { "/api/summary", "/api/summary?from=1399-01-01&to=1399-12-30", "/api/mines?top=50" })
        {
            var answer = JsonNode.Parse(await http.GetStringAsync(path))!.AsObject();
            // When the view was checked and when its newest mine was written differ by nature; every figure must not.
            foreach (var field in new[] { "checkedAt", "stale", "ageSeconds", "asOf" }) answer.Remove(field);
            figures[path] = answer.ToJsonString();
        }
        figures["/api/investor-list.csv"] = await http.GetStringAsync("/api/investor-list.csv");
        return figures;
    }

    private static SurveyBuilder Round(string province, string prefix) => new SurveyBuilder().AddMany(60, i =>
        RowBuilder.WorkedExample($"{prefix}-{i:D3}", province).Set("jobs_potential", 10 + i).Set("reserve_tonnes", 20_000 + 5_000 * i)
            .Set("problem", i % 3 == 0 ? "financial" : "technical").Set("survey_date", new DateOnly(2020, 3, 1)));

    [Fact]
    public async Task A_wrong_survey_withdrawn_leaves_every_figure_as_if_it_was_never_sent_with_its_versions_marked_in_history()
    {
        var round = new[] { ("kerman", "KR"), ("yazd", "YZ"), ("fars", "FR") };
        // The province's correct later survey (dated after the wrong one): 5 of the mines the wrong survey changes.
        var correct = new SurveyBuilder().AddMany(5, i =>
            RowBuilder.WorkedExample($"KR-{i:D3}", "kerman").Set("status", "reviving").Set("jobs_potential", 99).Set("survey_date", new DateOnly(2020, 8, 1)));

        // The figures as they are with the wrong survey never sent: the same files in storage of their own.
        Dictionary<string, string> expected;
        using (var control = new Azurite())
        using (var controlHost = StartHost(control))
        {
            foreach (var (province, prefix) in round) await UploadAsync(control, controlHost, $"{province}/round.csv", Round(province, prefix));
            await UploadAsync(control, controlHost, "kerman/correct.csv", correct);
            expected = await FiguresAsync(controlHost.Http);
        }

        using var host = StartHost();
        foreach (var (province, prefix) in round) await UploadAsync(host, $"{province}/round.csv", Round(province, prefix));
        var withoutWrong = await FiguresAsync(host.Http);
        // The wrong survey: 40 mines made revived in the first quarter of 1399 (dated after the round, before the correct
        // survey), and 10 mines that do not exist.
        var wrong = new SurveyBuilder()
            .AddMany(40, i => RowBuilder.WorkedExample($"KR-{i:D3}", "kerman").Set("status", "revived").Set("revived_on", new DateOnly(2020, 5, 1))
                .Set("jobs_created", 12).Set("jobs_potential", 10 + i).Set("survey_date", new DateOnly(2020, 6, 1)))
            .AddMany(10, i => RowBuilder.WorkedExample($"KR-NEW-{i}", "kerman").Set("status", "revived").Set("revived_on", new DateOnly(2020, 5, 2))
                .Set("jobs_created", 30).Set("survey_date", new DateOnly(2020, 6, 1)));
        var wrongReport = await UploadAsync(host, "kerman/wrong.csv", wrong);
        var id = wrongReport.GetProperty("id").GetString()!;
        Assert.NotEqual(withoutWrong["/api/summary"], (await FiguresAsync(host.Http))["/api/summary"]);
        await UploadAsync(host, "kerman/correct.csv", correct);
        Assert.NotEqual(expected["/api/summary"], (await FiguresAsync(host.Http))["/api/summary"]);

        var writer = (await Keys.CreateAsync(ProvinceKeyStore.OfficeScope, CancellationToken.None)).Key;
        using var accepted = await WithdrawAsync(host.Http, id, "Last year's sheet sent with this year's dates", (OfficeApi.WriterKeyHeader, writer));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var started = await accepted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(started.GetProperty("status").GetString(), new[] { "withdrawing", "withdrawn" });
        Assert.Equal(50, started.GetProperty("withdrawal").GetProperty("mines").GetInt32());

        var report = await WaitForWithdrawnAsync(host.Http, id, TimeSpan.FromSeconds(120));
        var withdrawal = report.GetProperty("withdrawal");
        output.WriteLine(withdrawal.ToString());
        Assert.Equal((35, 10, 5), (withdrawal.GetProperty("restored").GetInt32(), withdrawal.GetProperty("removed").GetInt32(), withdrawal.GetProperty("untouched").GetInt32()));
        Assert.Equal("Last year's sheet sent with this year's dates", withdrawal.GetProperty("reason").GetString());
        Assert.StartsWith("office (", withdrawal.GetProperty("by").GetString());

        // Asked once, after the report: every figure as it was without the wrong survey, value for value.
        var after = await FiguresAsync(host.Http);
        foreach (var (path, figures) in expected) Assert.Equal(figures, after[path]);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync("/api/mines/kerman/KR-NEW-3")).StatusCode);

        // Histories keep the withdrawn versions, marked, and count no status change from them.
        var restored = await host.Http.GetFromJsonAsync<JsonElement>("/api/mines/kerman/KR-020/history");
        var versions = restored.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal(2, versions.Count);
        Assert.True(versions.Single(v => v.GetProperty("surveyId").GetString() == id).GetProperty("withdrawn").GetBoolean());
        Assert.Empty(restored.GetProperty("statusChanges").EnumerateArray());
        var replaced = await host.Http.GetFromJsonAsync<JsonElement>("/api/mines/kerman/KR-002/history");
        var replacedVersions = replaced.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal(3, replacedVersions.Count);
        Assert.Equal("Last year's sheet sent with this year's dates",
            replacedVersions.Single(v => v.GetProperty("surveyId").GetString() == id).GetProperty("withdrawnReason").GetString());
        Assert.Equal(["idle->reviving"], replaced.GetProperty("statusChanges").EnumerateArray()
            .Select(c => $"{c.GetProperty("from").GetString()}->{c.GetProperty("to").GetString()}"));
        Assert.Empty((await host.Http.GetFromJsonAsync<JsonElement>("/api/health")).GetProperty("backlog").GetProperty("withdrawals").EnumerateArray());

        // Asked again, nothing changes; the same file sent again once fixed is a new survey, not "already read".
        using var again = await WithdrawAsync(host.Http, id, "twice", (OfficeApi.WriterKeyHeader, writer));
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal("withdrawn", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        var resent = await new BlobContainerClient(_azurite.ConnectionString, PipelineOptions.SurveysContainer).GetBlobClient("kerman/wrong.csv")
            .UploadAsync(BinaryData.FromBytes(wrong.ToCsv()), overwrite: true);
        var second = await PipelineFixture.WaitForSurveyAsync(host.Http, "kerman/wrong.csv", expectedSurveys: 2);
        Assert.NotEqual(id, second.GetProperty("id").GetString());
        Assert.Equal(("completed", 50), (second.GetProperty("status").GetString(), second.GetProperty("accepted").GetInt32()));
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/api/mines/kerman/KR-NEW-3")).StatusCode);
    }

    [Fact]
    public async Task Only_the_office_or_the_survey_s_own_province_within_7_days_may_withdraw_and_only_with_a_reason()
    {
        using var host = StartHost();
        var report = await UploadAsync(host, "qom/survey.csv", Round("qom", "QM"));
        var id = report.GetProperty("id").GetString()!;
        var qom = (await Keys.CreateAsync("qom", CancellationToken.None)).Key;
        var tehran = (await Keys.CreateAsync("tehran", CancellationToken.None)).Key;
        var before = await FiguresAsync(host.Http);

        using (var none = await host.Http.PostAsJsonAsync($"/api/surveys/{id}/withdraw", new { reason = "no key" }))
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        using (var other = await WithdrawAsync(host.Http, id, "not mine", (ProvinceApi.ProvinceKeyHeader, tehran)))
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        using (var noReason = await WithdrawAsync(host.Http, id, null, (ProvinceApi.ProvinceKeyHeader, qom)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
            var problem = await noReason.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").TryGetProperty("reason", out _));
            Assert.Equal(ClerkMessages.WithdrawReasonMissing().Persian, problem.GetProperty("detailFa").GetString());
        }
        using (var unknown = await WithdrawAsync(host.Http, "nosuchsurvey", "x", (ProvinceApi.ProvinceKeyHeader, qom)))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("completed", (await host.Http.GetFromJsonAsync<JsonElement>($"/api/surveys/{id}")).GetProperty("status").GetString());
        Assert.Equal(before, await FiguresAsync(host.Http)); // refused asks change nothing

        // A survey still being scored: 409.
        var survey = (await Surveys.GetEntityAsync<SurveyEntity>(SurveyEntity.Partition, id)).Value;
        await Surveys.UpdateEntityAsync(new TableEntity(SurveyEntity.Partition, id) { ["Rows"] = survey.Rows + 1 }, Azure.ETag.All, TableUpdateMode.Merge);
        using (var busy = await WithdrawAsync(host.Http, id, "too soon", (ProvinceApi.ProvinceKeyHeader, qom)))
            Assert.Equal(HttpStatusCode.Conflict, busy.StatusCode);

        // Uploaded 8 days ago: past the province's 7 days (the office may still).
        await Surveys.UpdateEntityAsync(new TableEntity(SurveyEntity.Partition, id) { ["Rows"] = survey.Rows, ["ReceivedAt"] = DateTimeOffset.UtcNow.AddDays(-8) },
            Azure.ETag.All, TableUpdateMode.Merge);
        using (var late = await WithdrawAsync(host.Http, id, "late", (ProvinceApi.ProvinceKeyHeader, qom)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, late.StatusCode);
            Assert.Equal(ClerkMessages.WithdrawTooLate(7).Persian, (await late.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detailFa").GetString());
        }
        await Surveys.UpdateEntityAsync(new TableEntity(SurveyEntity.Partition, id) { ["ReceivedAt"] = DateTimeOffset.UtcNow.AddDays(-6) },
            Azure.ETag.All, TableUpdateMode.Merge);
        using (var own = await WithdrawAsync(host.Http, id, "sent to the wrong programme", (ProvinceApi.ProvinceKeyHeader, qom)))
            Assert.Equal(HttpStatusCode.Accepted, own.StatusCode);
        var withdrawn = await WaitForWithdrawnAsync(host.Http, id, TimeSpan.FromSeconds(60));
        Assert.Equal((0, 60), (withdrawn.GetProperty("withdrawal").GetProperty("restored").GetInt32(), withdrawn.GetProperty("withdrawal").GetProperty("removed").GetInt32()));
        Assert.StartsWith("province qom", withdrawn.GetProperty("withdrawal").GetProperty("by").GetString());
        Assert.Equal(0, (await host.Http.GetFromJsonAsync<JsonElement>("/api/summary?province=qom")).GetProperty("mines").GetInt32());
    }

    [Fact]
    public async Task A_host_killed_half_way_through_withdrawing_6000_mines_finishes_with_the_same_result()
    {
        const int Mines = 6_000;
        var host = StartHost();
        Dictionary<string, string> expected;
        string id;
        try
        {
            // Every mine in one province: its pages of 200 follow one another, so the kill finds the withdrawal half way (spread
            // over 31 provinces, each a single page, it was sometimes all done before the first look).
            static SurveyBuilder InTehran(SurveyBuilder survey)
            {
                foreach (var row in survey.Rows) row.Set("province", "tehran");
                return survey;
            }
            await UploadAsync(host, "national/round.csv", InTehran(Generated.Survey(Mines, "national", allValid: true)));
            expected = await FiguresAsync(host.Http);
            var wrong = InTehran(Generated.Survey(Mines, "national", allValid: true));
            foreach (var row in wrong.Rows)
                row.Set("status", "revived").Set("revived_on", new DateOnly(2024, 12, 1)).Set("jobs_created", 7).Set("survey_date", new DateOnly(2025, 1, 1));
            id = (await UploadAsync(host, "national/wrong.csv", wrong)).GetProperty("id").GetString()!;

            var writer = (await Keys.CreateAsync(ProvinceKeyStore.OfficeScope, CancellationToken.None)).Key;
            using (var accepted = await WithdrawAsync(host.Http, id, "a draft", (OfficeApi.WriterKeyHeader, writer)))
                Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            // Kill as soon as some mines are put back and most are not.
            var done = 0;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            while (DateTime.UtcNow < deadline)
            {
                var progress = (await host.Http.GetFromJsonAsync<JsonElement>($"/api/surveys/{id}")).GetProperty("withdrawal");
                done = progress.GetProperty("done").GetInt32();
                if (done > 0 || progress.GetProperty("status").GetString() == "withdrawn") break;
                await Task.Delay(50);
            }
            await host.KillAsync();
            output.WriteLine($"Killed with {done} of {Mines} mines put back");
            Assert.InRange(done, 1, Mines - 1);
        }
        finally
        {
            host.Dispose();
        }

        using var second = StartHost();
        var report = await WaitForWithdrawnAsync(second.Http, id, TimeSpan.FromSeconds(240));
        var withdrawal = report.GetProperty("withdrawal");
        output.WriteLine(withdrawal.ToString());
        Assert.Equal((Mines, 0, 0), (withdrawal.GetProperty("restored").GetInt32(), withdrawal.GetProperty("removed").GetInt32(), withdrawal.GetProperty("untouched").GetInt32()));
        var after = await FiguresAsync(second.Http);
        foreach (var (path, figures) in expected) Assert.Equal(figures, after[path]);
    }

    public void Dispose() => _azurite.Dispose();
}
