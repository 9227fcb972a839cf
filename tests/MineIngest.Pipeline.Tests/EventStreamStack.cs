using System.Text.Json;
using Azure;
using Azure.Messaging;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Json.Schema;
using MineIngest.TestData;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// An Azurite and the event streams as a province system reads them: each event taken off a stream is checked against
/// docs/events.schema.json. The host runs as its own process, with a fast sweep and left events sent after a second.
/// </summary>
internal sealed class EventStreamStack : IDisposable
{
    public Azurite Azurite { get; } = new();

    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(File.ReadAllText(Path.Combine(Azurite.RepoRoot, "docs", "events.schema.json"))));

    public LocalHostProcess StartHost(params string[] settings) =>
        LocalHostProcess.Start(Azurite, null, [.. settings, "--Pipeline:RecoverAfterSeconds=10", "--LocalHost:SweepSeconds=0.5", "--Events:SendLeftAfterSeconds=1"]);

    public QueueClient Stream(string name) =>
        new(Azurite.ConnectionString, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    public BlobContainerClient Uploads => new(Azurite.ConnectionString, PipelineOptions.SurveysContainer);

    /// <summary>A province's file uploaded to storage, and its report once it has one (as a person waits for it).</summary>
    public async Task<JsonElement> SentAsync(LocalHostProcess host, string blob, SurveyBuilder survey)
    {
        await Uploads.CreateIfNotExistsAsync();
        await Uploads.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(survey.ToCsv()));
        return await PipelineFixture.WaitForSurveyAsync(host.Http, blob);
    }

    public static void AssertValid(string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, $"{json}\n" + string.Join("\n", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    /// <summary>Takes every event off the stream (until it answers empty), each checked against the schema.</summary>
    public async Task<List<CloudEvent>> ReadAllAsync(string stream)
    {
        var events = new List<CloudEvent>();
        var queue = Stream(stream);
        while (true)
        {
            QueueMessage[] batch;
            try
            {
                batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return events; // not made again yet by the host starting
            }
            if (batch.Length == 0) return events;
            foreach (var message in batch)
            {
                AssertValid(message.Body.ToString());
                events.Add(CloudEvent.Parse(message.Body)!);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
        }
    }

    /// <summary>Reads the stream as its reader would, until it holds at least <paramref name="count"/> events (a stream is read by polling it).</summary>
    public async Task<List<CloudEvent>> ReadUntilAsync(string stream, int count, TimeSpan timeout, bool peek = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        var events = new List<CloudEvent>();
        while (true)
        {
            if (peek)
            {
                var seen = (await Stream(stream).PeekMessagesAsync(32)).Value;
                if (seen.Length >= count) return [.. seen.Select(m => CloudEvent.Parse(m.Body)!)];
            }
            else
            {
                events.AddRange(await ReadAllAsync(stream));
                if (events.Count >= count) return events;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{stream}: {events.Count} of {count} events after {timeout.TotalSeconds:0} s.");
            await Task.Delay(250);
        }
    }

    public static async Task WaitHealthyAsync(HttpClient http)
    {
        for (var i = 0; i < 120; i++)
        {
            try
            {
                if ((await http.GetAsync("/api/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException("The host did not answer.");
    }

    public void Dispose() => Azurite.Dispose();
}
