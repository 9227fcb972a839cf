using System.Net;
using System.Net.Http.Json;
using Azure;
using Azure.Messaging;
using Azure.Storage.Queues;
using MineIngest.Cli;
using MineIngest.Pipeline.Events;
using MineIngest.TestData;
using Xunit.Abstractions;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// Who reads a stream and how: a province's link opens its own stream only; the command prints and takes events off,
/// and `upload --wait` ends on the event without asking the survey route.
/// </summary>
public sealed class EventReadersTests(ITestOutputHelper output) : IDisposable
{
    private readonly EventStreamStack _stack = new();

    [Fact]
    public async Task A_province_reads_its_own_stream_only()
    {
        using var host = _stack.StartHost();
        var kerman = await TestCli.KeyAsync(_stack.Azurite, "kerman");
        var writer = await TestCli.KeyAsync(_stack.Azurite, "office");
        await _stack.SentAsync(host, "yazd/private.csv", new SurveyBuilder().Add(RowBuilder.WorkedExample("Y-1", "yazd")));

        using var refused = await AccessAsync(host.Http, "provinces/yazd/events/access", (Api.ProvinceApi.ProvinceKeyHeader, kerman));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var office = await AccessAsync(host.Http, "events/access", (Api.ProvinceApi.ProvinceKeyHeader, kerman));
        Assert.Equal(HttpStatusCode.Unauthorized, office.StatusCode);

        using var granted = await AccessAsync(host.Http, "provinces/kerman/events/access", (Api.ProvinceApi.ProvinceKeyHeader, kerman));
        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        var link = await granted.Content.ReadFromJsonAsync<Api.EventStreamAccess>(Api.ApiResults.Json);
        Assert.True(link!.SignedLink);
        Assert.Equal(EventStreams.OfFolder("kerman"), link.Stream);
        Assert.Empty((await new QueueClient(link.QueueUrl).ReceiveMessagesAsync(32)).Value);
        // The same link pointed at Yazd's queue: its signature names Kerman's queue only.
        var yazdUrl = new Uri(link.QueueUrl.ToString().Replace("/events-kerman?", "/events-yazd?", StringComparison.Ordinal));
        var denied = await Assert.ThrowsAsync<RequestFailedException>(() => new QueueClient(yazdUrl).ReceiveMessagesAsync(32));
        Assert.Equal(403, denied.Status);
        // Yazd's events are there, for Yazd and the office.
        Assert.NotEmpty((await _stack.Stream(EventStreams.OfFolder("yazd")).PeekMessagesAsync(32)).Value);

        using var officeGranted = await AccessAsync(host.Http, "events/access", (Api.OfficeApi.WriterKeyHeader, writer));
        Assert.Equal(HttpStatusCode.Created, officeGranted.StatusCode);
        var officeLink = await officeGranted.Content.ReadFromJsonAsync<Api.EventStreamAccess>(Api.ApiResults.Json);
        Assert.Contains((await new QueueClient(officeLink!.QueueUrl, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }).PeekMessagesAsync(32)).Value,
            m => CloudEvent.Parse(m.Body)!.Source == "/provinces/yazd");
    }

    [Fact]
    public async Task Upload_wait_ends_on_the_event_without_asking_the_survey_route()
    {
        using var host = _stack.StartHost("--Diagnostics:Enabled=true");
        var kerman = await TestCli.KeyAsync(_stack.Azurite, "kerman");
        await EventStreamStack.WaitHealthyAsync(host.Http);
        var folder = Directory.CreateTempSubdirectory("mineingest-events-");
        var big = Path.Combine(folder.FullName, "kerman-20000.csv");
        await File.WriteAllBytesAsync(big, new SurveyBuilder().AddMany(20_000, i => RowBuilder.WorkedExample($"E-{i:D5}")).ToCsv());

        var (exit, text) = await TestCli.RunAsync("upload", big, "--api", host.Url + "/api", "--province", "kerman", "--key", kerman, "--wait", "--timeout-minutes", "5");
        output.WriteLine(text);
        Assert.True(exit == ExitCodes.AllWentThrough, text);
        Assert.Contains("survey.received", text);
        Assert.Contains("rows 20000, accepted 20000, rejected 0, failed 0, pending 0", text);
        var asked = (await host.Http.GetFromJsonAsync<Dictionary<string, int>>("/diagnostics/api-requests"))!;
        output.WriteLine(string.Join(", ", asked.Select(a => $"{a.Key}: {a.Value}")));
        Assert.Equal(0, asked.Where(a => a.Key.StartsWith("GET /api/provinces/{province}/surveys", StringComparison.Ordinal) || a.Key.StartsWith("GET /api/surveys", StringComparison.Ordinal))
            .Sum(a => a.Value));
        Assert.Equal(1, asked.GetValueOrDefault("POST /api/provinces/{province}/events/access"));

        // A file with rows to fix: its rows are asked for once, after the event.
        var mixed = Path.Combine(folder.FullName, "kerman-mixed.csv");
        await File.WriteAllBytesAsync(mixed, new SurveyBuilder().Add(RowBuilder.WorkedExample("M-1")).Add(RowBuilder.WorkedExample("M-2").Set("latitude", 41.2)).ToCsv());
        var (mixedExit, mixedText) = await TestCli.RunAsync("upload", mixed, "--api", host.Url + "/api", "--province", "kerman", "--key", kerman, "--wait");
        Assert.Equal(ExitCodes.RowsRejected, mixedExit);
        Assert.Contains("rows 2, accepted 1, rejected 1, failed 0, pending 0", mixedText);
        Assert.Matches(@"│\s*3\s*│\s*M-2\s*│\s*latitude", mixedText);
        asked = (await host.Http.GetFromJsonAsync<Dictionary<string, int>>("/diagnostics/api-requests"))!;
        Assert.Equal(1, asked.GetValueOrDefault("GET /api/provinces/{province}/surveys"));

        // The province's events were taken off its stream as they were shown; the office's stream has them all.
        Assert.Empty((await _stack.Stream(EventStreams.OfFolder("kerman")).PeekMessagesAsync(32)).Value);
        Assert.Equal(4, (await _stack.ReadAllAsync(EventStreams.Office)).Count);
    }

    [Fact]
    public async Task The_events_command_prints_the_provinces_events_and_takes_them_off_once_printed()
    {
        using var host = _stack.StartHost();
        var kerman = await TestCli.KeyAsync(_stack.Azurite, "kerman");
        await _stack.SentAsync(host, "kerman/printed.csv", new SurveyBuilder().Add(RowBuilder.WorkedExample("P-1")));
        await _stack.ReadUntilAsync(EventStreams.OfFolder("kerman"), 2, TimeSpan.FromSeconds(30), peek: true);

        var (exit, text) = await TestCli.RunAsync("events", "--api", host.Url + "/api", "--province", "kerman", "--key", kerman, "--json");
        Assert.True(exit == 0, text);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([EventTypes.SurveyReceived, EventTypes.SurveyCompleted], lines.Select(l => CloudEvent.Parse(BinaryData.FromString(l))!.Type));
        foreach (var line in lines) EventStreamStack.AssertValid(line);
        Assert.Empty((await _stack.Stream(EventStreams.OfFolder("kerman")).PeekMessagesAsync(32)).Value);
        var (_, again) = await TestCli.RunAsync("events", "--api", host.Url + "/api", "--province", "kerman", "--key", kerman);
        Assert.DoesNotContain("survey.", again);
    }

    private static async Task<HttpResponseMessage> AccessAsync(HttpClient http, string route, (string Header, string Key) key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/" + route);
        request.Headers.Add(key.Header, key.Key);
        return await http.SendAsync(request);
    }

    public void Dispose() => _stack.Dispose();
}
