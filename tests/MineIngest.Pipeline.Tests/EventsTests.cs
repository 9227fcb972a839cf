using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Messaging;
using MineIngest.Pipeline.Events;
using MineIngest.TestData;
using Xunit.Abstractions;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The survey events as a province system meets them: files uploaded to storage, the host as its own process, and each
/// province's stream (and the office's) read as the queue it is, every event checked against docs/events.schema.json.
/// </summary>
public sealed class EventsTests(ITestOutputHelper output) : IDisposable
{
    private readonly EventStreamStack _stack = new();

    [Fact]
    public async Task A_burst_of_100_files_gives_each_survey_one_received_and_one_outcome_in_its_province_stream_and_the_office_stream()
    {
        using var host = _stack.StartHost();
        string[] provinces = ["kerman", "yazd", "fars"];
        await _stack.Uploads.CreateIfNotExistsAsync();
        var files = Enumerable.Range(0, 100).Select(i => (Province: provinces[i % 3], Blob: $"{provinces[i % 3]}/burst-{i:D3}.csv", Broken: i % 10 == 9)).ToList();
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (f, ct) =>
        {
            var content = f.Broken ? "this is not a survey\u0000\u0001"u8.ToArray()
                : new SurveyBuilder().AddMany(3, r => RowBuilder.WorkedExample($"B{f.Blob.GetHashCode():X8}-{r}", f.Province)).ToCsv();
            await _stack.Uploads.GetBlobClient(f.Blob).UploadAsync(BinaryData.FromBytes(content), ct);
        });

        // As a person would: wait until the survey list says every file has its report.
        var surveys = await WaitForReportsAsync(host.Http, files.Count, TimeSpan.FromMinutes(4));
        var byBlob = surveys.ToDictionary(s => s.GetProperty("blob").GetString()!, s => s);
        Assert.Equal(files.Select(f => f.Blob).Order(), byBlob.Keys.Order());

        var office = await _stack.ReadUntilAsync(EventStreams.Office, 200, TimeSpan.FromSeconds(60));
        var streams = new Dictionary<string, List<CloudEvent>>();
        foreach (var province in provinces) streams[province] = await _stack.ReadUntilAsync(EventStreams.OfFolder(province), files.Count(f => f.Province == province) * 2, TimeSpan.FromSeconds(30));
        output.WriteLine($"office {office.Count} events; " + string.Join(", ", streams.Select(s => $"{s.Key} {s.Value.Count}")));

        foreach (var (province, events) in streams)
        {
            AssertOncePerSurvey(events, files.Where(f => f.Province == province), byBlob);
            Assert.All(events, e => Assert.Equal($"/provinces/{province}", e.Source));
        }
        AssertOncePerSurvey(office, files, byBlob);
        Assert.Equal(10, office.Where(e => e.Type == EventTypes.SurveyFailed).Select(e => e.Id).Distinct().Count());

        var health = (await host.Http.GetFromJsonAsync<JsonElement>("/api/health")).GetProperty("backlog").GetProperty("events");
        Assert.Equal(0, health.GetProperty("unsent").GetInt32());
        Assert.Equal(0, health.GetProperty("deadLettered").GetInt32());
    }

    /// <summary>
    /// Exactly one received and one completed or failed per survey (a duplicate only with the same id), the received
    /// first, and the outcome's figures those of the survey's report.
    /// </summary>
    private static void AssertOncePerSurvey(List<CloudEvent> events, IEnumerable<(string Province, string Blob, bool Broken)> files, Dictionary<string, JsonElement> reports)
    {
        foreach (var file in files)
        {
            var report = reports[file.Blob];
            var id = report.GetProperty("id").GetString()!;
            var mine = events.Where(e => e.Subject!.EndsWith("/surveys/" + id, StringComparison.Ordinal)).ToList();
            var received = mine.Where(e => e.Type == EventTypes.SurveyReceived).ToList();
            var outcome = mine.Where(e => e.Type is EventTypes.SurveyCompleted or EventTypes.SurveyFailed).ToList();
            Assert.Single(received.Select(e => e.Id).Distinct());
            Assert.Single(outcome.Select(e => e.Id).Distinct());
            Assert.Equal(file.Broken ? EventTypes.SurveyFailed : EventTypes.SurveyCompleted, outcome[0].Type);
            Assert.True(mine.IndexOf(received[0]) < mine.IndexOf(outcome[0]), $"{file.Blob}: the outcome came before the received event");
            var data = outcome[0].Data!.ToObjectFromJson<JsonElement>();
            Assert.Equal(file.Blob, data.GetProperty("blob").GetString());
            if (!file.Broken)
                foreach (var figure in new[] { "rows", "accepted", "rejected", "failed" })
                    Assert.Equal(report.GetProperty(figure).GetInt32(), data.GetProperty(figure).GetInt32());
            else Assert.Equal(report.GetProperty("error").GetString(), data.GetProperty("reason").GetString());
        }
    }

    [Fact]
    public async Task The_event_of_a_host_killed_between_storing_the_totals_and_sending_arrives_after_restart_once()
    {
        var first = _stack.StartHost();
        await _stack.Uploads.CreateIfNotExistsAsync();
        await EventStreamStack.WaitHealthyAsync(first.Http);
        // The streams do not answer (gone): the totals are stored, the event stays with them, as if the host died right after.
        await _stack.Stream(EventStreams.OfFolder("kerman")).DeleteAsync();
        await _stack.Stream(EventStreams.Office).DeleteAsync();
        await _stack.Uploads.GetBlobClient("kerman/crash.csv").UploadAsync(BinaryData.FromBytes(new SurveyBuilder().AddMany(4, i => RowBuilder.WorkedExample($"K-{i}")).ToCsv()));
        var report = await PipelineFixture.WaitForSurveyAsync(first.Http, "kerman/crash.csv");
        var id = report.GetProperty("id").GetString()!;
        var surveys = new TableClient(_stack.Azurite.ConnectionString, PipelineOptions.SurveysTable);
        var stored = (await surveys.GetEntityAsync<TableEntity>("survey", id)).Value;
        Assert.Equal(4, stored.GetInt32("Accepted"));
        Assert.True(stored.GetBoolean(EventOutbox.PendingProperty));
        Assert.Equal([EventTypes.SurveyReceived, EventTypes.SurveyCompleted], EventOutbox.Read(stored.GetString(EventOutbox.OutboxProperty))
            .Select(e => JsonDocument.Parse(e.Json).RootElement.GetProperty("type").GetString()));
        await first.KillAsync();
        first.Dispose();

        using var second = _stack.StartHost();
        var events = await _stack.ReadUntilAsync(EventStreams.OfFolder("kerman"), 2, TimeSpan.FromSeconds(60));
        // Several sweeps later, nothing more came: the outbox was emptied once sent.
        await WaitForOutboxEmptyAsync(surveys, id, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(3));
        events.AddRange(await _stack.ReadAllAsync(EventStreams.OfFolder("kerman")));
        output.WriteLine(string.Join("\n", events.Select(e => $"{e.Type} {e.Id}")));
        Assert.Equal([EventTypes.SurveyReceived, EventTypes.SurveyCompleted], events.Select(e => e.Type));
        Assert.Equal(4, events[1].Data!.ToObjectFromJson<JsonElement>().GetProperty("accepted").GetInt32());
        Assert.Equal(2, (await _stack.ReadAllAsync(EventStreams.Office)).Count);
    }

    [Fact]
    public async Task A_withdrawal_sends_survey_withdrawn_with_the_counts_restored()
    {
        using var host = _stack.StartHost();
        var kerman = await TestCli.KeyAsync(_stack.Azurite, "kerman");
        await _stack.SentAsync(host, "kerman/first.csv", new SurveyBuilder()
            .Add(RowBuilder.WorkedExample("W-1")).Add(RowBuilder.WorkedExample("W-2")));
        var wrong = await _stack.SentAsync(host, "kerman/wrong.csv", new SurveyBuilder()
            .Add(RowBuilder.WorkedExample("W-1").Set("jobs_potential", 40)).Add(RowBuilder.WorkedExample("W-2").Set("jobs_potential", 41))
            .Add(RowBuilder.WorkedExample("W-3")));
        var id = wrong.GetProperty("id").GetString()!;

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/surveys/{id}/withdraw") { Content = JsonContent.Create(new { reason = "sent by mistake" }) };
        request.Headers.Add(Api.ProvinceApi.ProvinceKeyHeader, kerman);
        Assert.Equal(HttpStatusCode.Accepted, (await host.Http.SendAsync(request)).StatusCode);
        var withdrawn = await WaitForWithdrawnAsync(host.Http, id, TimeSpan.FromMinutes(2));
        var counts = withdrawn.GetProperty("withdrawal");

        var events = await _stack.ReadUntilAsync(EventStreams.OfFolder("kerman"), 5, TimeSpan.FromSeconds(30));
        var e = Assert.Single(events, e => e.Type == EventTypes.SurveyWithdrawn);
        Assert.Equal($"/provinces/kerman/surveys/{id}", e.Subject);
        var data = e.Data!.ToObjectFromJson<JsonElement>();
        Assert.Equal(2, data.GetProperty("restored").GetInt32());
        Assert.Equal(1, data.GetProperty("removed").GetInt32());
        foreach (var figure in new[] { "restored", "removed", "untouched" }) Assert.Equal(counts.GetProperty(figure).GetInt32(), data.GetProperty(figure).GetInt32());
        Assert.Equal("sent by mistake", data.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task The_offices_stream_tells_of_a_solution_changed_a_meeting_recorded_and_a_rescoring_completed()
    {
        using var host = _stack.StartHost();
        var writer = await TestCli.KeyAsync(_stack.Azurite, "office");
        await _stack.SentAsync(host, "kerman/office.csv", new SurveyBuilder().Add(RowBuilder.WorkedExample("O-1")).Add(RowBuilder.WorkedExample("O-2")));
        async Task<HttpStatusCode> SendAsync(HttpMethod method, string route, object? body)
        {
            using var request = new HttpRequestMessage(method, route) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Add(Api.OfficeApi.WriterKeyHeader, writer);
            return (await host.Http.SendAsync(request)).StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Put, "/api/mines/kerman/O-1/solution", new { text = "Lease a crusher", state = "agreed" }));
        Assert.Equal(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, "/api/committees",
            new { date = "2026-12-01", province = "kerman", investors = new[] { "Kavir Co." }, mines = new[] { new { mineId = "O-2", outcome = "interested" } } }));
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(HttpMethod.Post, "/api/rescore", null));

        var office = await _stack.ReadUntilAsync(EventStreams.Office, 5, TimeSpan.FromSeconds(60));
        var solution = Assert.Single(office, e => e.Type == EventTypes.SolutionChanged);
        Assert.Equal("agreed", solution.Data!.ToObjectFromJson<JsonElement>().GetProperty("state").GetString());
        var meeting = Assert.Single(office, e => e.Type == EventTypes.CommitteeRecorded).Data!.ToObjectFromJson<JsonElement>();
        Assert.Equal("O-2", meeting.GetProperty("mines")[0].GetProperty("mineId").GetString());
        var rescore = Assert.Single(office, e => e.Type == EventTypes.RescoreCompleted).Data!.ToObjectFromJson<JsonElement>();
        Assert.Equal(2, rescore.GetProperty("mines").GetInt32());
        Assert.All(office, e => Assert.True(e.Type.StartsWith("survey.", StringComparison.Ordinal) || e.Source == PipelineEvents.OfficeSource));
        // None of them is a province's: Kerman's stream holds its survey's two events only.
        Assert.Equal([EventTypes.SurveyReceived, EventTypes.SurveyCompleted], (await _stack.ReadAllAsync(EventStreams.OfFolder("kerman"))).Select(e => e.Type));
    }

    [Fact]
    public async Task An_event_no_stream_can_take_is_dead_lettered_and_counted_by_health()
    {
        using var host = _stack.StartHost();
        var writer = await TestCli.KeyAsync(_stack.Azurite, "office");
        await _stack.SentAsync(host, "kerman/met.csv", new SurveyBuilder().Add(RowBuilder.WorkedExample("C-1")));

        // Four investors' names of 7,000 Persian letters: a valid meeting (56 KB), whose event is more than a queue message holds (64 KiB once in base64).
        var investors = Enumerable.Range(0, 4).Select(i => new string((char)('\u0628' + i), 7000)).ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/committees")
        {
            Content = JsonContent.Create(new { date = "2026-12-01", province = "kerman", investors, mines = new[] { new { province = "kerman", mineId = "C-1", outcome = "interested" } } },
                options: Api.ApiResults.Json),
        };
        request.Headers.Add(Api.OfficeApi.WriterKeyHeader, writer);
        using var recorded = await host.Http.SendAsync(request);
        Assert.True(recorded.StatusCode == HttpStatusCode.Created, $"{recorded.StatusCode}: {await recorded.Content.ReadAsStringAsync()}\n{host.LogTail}");

        var events = (await host.Http.GetFromJsonAsync<JsonElement>("/api/health")).GetProperty("backlog").GetProperty("events");
        Assert.Equal(1, events.GetProperty("deadLettered").GetInt32());
        var dead = Assert.Single((await _stack.Stream(EventStreams.DeadLetter).PeekMessagesAsync(32)).Value);
        var note = JsonDocument.Parse(dead.Body.ToString()).RootElement;
        Assert.Equal(EventStreams.Office, note.GetProperty("stream").GetString());
        Assert.StartsWith("committee/", note.GetProperty("id").GetString());
        // Not sent again: it left the meeting's outbox.
        var meetings = new TableClient(_stack.Azurite.ConnectionString, PipelineOptions.CommitteesTable);
        await foreach (var meeting in meetings.QueryAsync<TableEntity>()) Assert.NotEqual(true, meeting.GetBoolean(EventOutbox.PendingProperty));
    }

    private static async Task<List<JsonElement>> WaitForReportsAsync(HttpClient http, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var items = (await http.GetFromJsonAsync<JsonElement>("/api/surveys")).GetProperty("items").EnumerateArray().ToList();
                if (items.Count >= count && items.All(i => i.GetProperty("status").GetString() is "completed" or "rejected")) return items;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not every one of {count} surveys had its report in time.");
            await Task.Delay(500);
        }
    }

    private static async Task<JsonElement> WaitForWithdrawnAsync(HttpClient http, string surveyId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var report = await http.GetFromJsonAsync<JsonElement>($"/api/surveys/{surveyId}");
            if (report.GetProperty("status").GetString() == "withdrawn") return report;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Survey {surveyId} was not withdrawn in time.");
            await Task.Delay(250);
        }
    }

    private static async Task WaitForOutboxEmptyAsync(TableClient surveys, string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while ((await surveys.GetEntityAsync<TableEntity>("survey", id)).Value.GetBoolean(EventOutbox.PendingProperty) == true)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The outbox was not emptied.");
            await Task.Delay(250);
        }
    }

    public void Dispose() => _stack.Dispose();
}
