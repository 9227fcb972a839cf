using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using MineIngest.LocalHost;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.Telemetry;
using MineIngest.TestData;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// What an operator sees, through the in-memory exporter: one trace per survey across the queue, metrics that add up to
/// the report, a poisoned chunk and a file read without an event in their metrics, and no row's values anywhere.
/// The meter and source are the process's: other tests' hosts may report too, so everything is picked by survey or province.
/// </summary>
public sealed class TelemetryTests : IAsyncLifetime
{
    private const string Province = "kurdistan", PoisonProvince = "north-khorasan";
    private readonly Azurite _azurite = new();
    private readonly List<Activity> _spans = [];
    private readonly List<Metric> _metrics = [];
    private readonly List<LogRecord> _logs = [];
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var url = $"http://127.0.0.1:{_azurite.HostPort()}";
        _app = LocalHostApp.Build([$"--AzureWebJobsStorage={_azurite.ConnectionString}", $"--urls={url}", "--Pipeline:RowsPerChunk=2",
            "--Pipeline:MineViewRefreshSeconds=0", "--extensions:queues:visibilityTimeout=00:00:00.200", "--extensions:queues:maxPollingInterval=00:00:00.200",
            "--LocalHost:SweepSeconds=0.5", "--Logging:LogLevel:Default=Information"],
            b => b.Services.AddOpenTelemetry()
                .WithTracing(t => t.AddSource(PipelineTelemetry.Name).AddInMemoryExporter(_spans))
                .WithMetrics(m => m.AddMeter(PipelineTelemetry.Name).AddInMemoryExporter(_metrics))
                .WithLogging(l => l.AddInMemoryExporter(_logs)));
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(url) };
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _http.Dispose();
        _azurite.Dispose();
    }

    private long Sum(string metric, params (string Key, string Value)[] tags)
    {
        _app.Services.GetRequiredService<MeterProvider>().ForceFlush();
        long total = 0;
        // Cumulative sums: the newest export of each series holds its total.
        foreach (var m in _metrics.Where(m => m.Name == metric).TakeLast(1))
        {
            foreach (ref readonly var point in m.GetMetricPoints())
            {
                var pointTags = new Dictionary<string, object?>();
                foreach (var tag in point.Tags) pointTags[tag.Key] = tag.Value;
                if (tags.All(t => Equals(pointTags.GetValueOrDefault(t.Key), t.Value))) total += point.GetSumLong();
            }
        }
        return total;
    }

    [Fact]
    public async Task A_survey_is_one_trace_across_the_queue_its_metrics_equal_its_report_and_no_row_value_leaves()
    {
        // Six rows, one wrong: three chunks of two.
        const string SecretName = "Namdar-Secret-7731", SecretCounty = "Hidden-County-5521", SecretNote = "Private note 9911";
        var survey = new SurveyBuilder().AddMany(6, i => RowBuilder.WorkedExample($"TEL-{i}", Province).Set("mine_name", $"{SecretName}-{i}")
            .Set("county", SecretCounty).Set("notes", SecretNote).Set("latitude", i == 4 ? 41.2 : 35.3));
        var container = new BlobContainerClient(_azurite.ConnectionString, PipelineOptions.SurveysContainer);
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient($"{Province}/telemetry.csv").UploadAsync(BinaryData.FromBytes(survey.ToCsv()));
        var report = await PipelineFixture.WaitForSurveyAsync(_http, $"{Province}/telemetry.csv");
        var id = report.GetProperty("id").GetString()!;
        Assert.Equal((5, 1, 0), (report.GetProperty("accepted").GetInt32(), report.GetProperty("rejected").GetInt32(), report.GetProperty("failed").GetInt32()));

        _app.Services.GetRequiredService<TracerProvider>().ForceFlush();
        var ofSurvey = _spans.ToList().Where(s => (s.GetTagItem("mineingest.survey.id") as string) == id).ToList();
        var read = Assert.Single(ofSurvey, s => s.DisplayName == "survey.read");
        var chunks = ofSurvey.Where(s => s.DisplayName == "survey.chunk" && s.GetTagItem("mineingest.accepted") is not null).ToList();
        var totals = Assert.Single(ofSurvey, s => s.DisplayName == "survey.totals");
        Assert.Equal(3, chunks.Count);
        Assert.All(ofSurvey, s => Assert.Equal(read.TraceId, s.TraceId));                   // one trace...
        Assert.All(chunks, c => Assert.Equal(read.SpanId, c.ParentSpanId));                   // ...across the queue
        Assert.Contains(chunks, c => c.SpanId == totals.ParentSpanId);
        Assert.Equal((Province, $"{Province}/telemetry.csv", 6), ((string)read.GetTagItem("mineingest.province")!, (string)read.GetTagItem("mineingest.blob")!, (int)read.GetTagItem("mineingest.rows")!));
        Assert.Equal((6, 5, 1, 0), ((int)totals.GetTagItem("mineingest.rows")!, (int)totals.GetTagItem("mineingest.accepted")!,
            (int)totals.GetTagItem("mineingest.rejected")!, (int)totals.GetTagItem("mineingest.failed")!));
        Assert.Equal(5, chunks.Sum(c => (int)c.GetTagItem("mineingest.accepted")!));

        Assert.Equal(5, Sum("mineingest.rows", ("province", Province), ("outcome", "accepted")));
        Assert.Equal(1, Sum("mineingest.rows", ("province", Province), ("outcome", "rejected")));
        Assert.Equal(0, Sum("mineingest.rows", ("province", Province), ("outcome", "failed")));
        Assert.Equal(1, Sum("mineingest.sweep.files_without_event", ("province", Province))); // the local host reads every upload in its sweep

        // No row's values in any span, event or log of the process.
        _app.Services.GetRequiredService<LoggerProvider>().ForceFlush();
        var said = _spans.ToList().SelectMany(s => s.TagObjects.Select(t => t.Value?.ToString()).Concat(s.Events.Select(e => e.Name)).Append(s.DisplayName))
            .Concat(_logs.ToList().SelectMany(l => new[] { l.FormattedMessage, l.Body }.Concat(l.Attributes?.Select(a => a.Value?.ToString()) ?? [])))
            .OfType<string>().ToList();
        Assert.NotEmpty(said);
        Assert.DoesNotContain(said, text => text.Contains(SecretName) || text.Contains(SecretCounty) || text.Contains(SecretNote) || text.Contains("41.2"));
    }

    [Fact]
    public async Task A_poisoned_chunk_shows_in_its_metric_and_its_rows_as_failed()
    {
        // A survey whose one chunk cannot be read (its staged rows are gone): every try fails, the message is poisoned.
        const string surveyId = "poisoned-telemetry-survey";
        var surveys = new TableServiceClient(_azurite.ConnectionString).GetTableClient(PipelineOptions.SurveysTable);
        await _app.Services.GetRequiredService<StorageClients>().EnsureCreatedAsync(CancellationToken.None);
        await surveys.UpsertEntityAsync(new SurveyEntity
        {
            RowKey = surveyId, Blob = $"{PoisonProvince}/gone.csv", Folder = PoisonProvince, ReceivedAt = DateTimeOffset.UtcNow,
            Stage = SurveyStage.Processing, Rows = 2, Chunks = 1, Enqueued = true,
        });
        var queue = new QueueClient(_azurite.ConnectionString, PipelineOptions.ChunkQueue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await queue.SendMessageAsync(new ChunkMessage(surveyId, 0, 2, 2, 3).ToJson());

        JsonElement report = default;
        for (var i = 0; i < 240 && (report.ValueKind != JsonValueKind.Object || report.GetProperty("status").GetString() != "completed"); i++)
        {
            await Task.Delay(250);
            report = await _http.GetFromJsonAsync<JsonElement>($"/api/surveys/{surveyId}");
        }
        Assert.Equal(("completed", 2), (report.GetProperty("status").GetString(), report.GetProperty("failed").GetInt32()));
        Assert.Equal(1, Sum("mineingest.poison.messages", ("province", PoisonProvince)));
        Assert.Equal(2, Sum("mineingest.rows", ("province", PoisonProvince), ("outcome", "failed")));
    }
}
