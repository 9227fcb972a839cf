using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using MineIngest.TestData;

namespace MineIngest.Pipeline.Tests;

/// <summary>The API's view of the mines costs what changed: one keyed query of the change log when nothing did.</summary>
public sealed class MineViewTests : IDisposable
{
    private readonly Azurite _azurite = new();

    [Fact]
    public async Task An_unchanged_view_costs_one_change_log_query_and_a_scored_chunk_shows_at_the_next_refresh()
    {
        var counter = new StorageRequestCounter();
        await using var services = _azurite.PipelineServices([("Pipeline:RowsPerChunk", "4"), ("Pipeline:MineViewRefreshSeconds", "0")], counter);
        var storage = services.GetRequiredService<StorageClients>();
        var view = services.GetRequiredService<MineView>();
        var processor = services.GetRequiredService<ChunkProcessor>();
        var sweep = services.GetRequiredService<SurveySweep>();
        await storage.EnsureCreatedAsync(CancellationToken.None);

        Assert.Empty((await view.GetAsync(CancellationToken.None)).Ranked);
        var bytes = new SurveyBuilder().AddMany(6, i => RowBuilder.WorkedExample($"V-{i}", "yazd")).ToCsv();
        await storage.Surveys.GetBlobClient("yazd/view.csv").UploadAsync(BinaryData.FromBytes(bytes));
        await sweep.RunAsync(CancellationToken.None);

        // Nothing scored yet: the view reads the change log alone.
        var requests = Total(counter);
        Assert.Empty((await view.GetAsync(CancellationToken.None)).Ranked);
        Assert.Equal(1, Total(counter) - requests);

        // Score the first chunk (4 mines) by hand, as the queue trigger would.
        var queue = storage.ChunkQueue;
        var first = (await queue.ReceiveMessageAsync()).Value;
        await processor.ProcessAsync(ChunkMessage.Parse(first.MessageText), first.DequeueCount, CancellationToken.None);
        Assert.Equal(4, (await view.GetAsync(CancellationToken.None)).Ranked.Length);

        for (var i = 0; i < 3; i++)
        {
            requests = Total(counter);
            Assert.Equal(4, (await view.GetAsync(CancellationToken.None)).Ranked.Length);
            Assert.Equal(1, Total(counter) - requests);
        }

        var second = (await queue.ReceiveMessageAsync()).Value;
        await processor.ProcessAsync(ChunkMessage.Parse(second.MessageText), second.DequeueCount, CancellationToken.None);
        Assert.Equal(6, (await view.GetAsync(CancellationToken.None)).Ranked.Length);
    }

    /// <summary>
    /// Two hosts (each its own scorer and view, both views loaded before either survey) score two surveys of the same
    /// mines at once, chunk by chunk in parallel: whatever the order, every mine ends with the newer survey's row.
    /// </summary>
    [Fact]
    public async Task Two_hosts_scoring_the_same_mines_at_once_leave_the_newer_survey_on_record()
    {
        (string, string)[] settings = [("Pipeline:RowsPerChunk", "40"), ("Pipeline:MineViewRefreshSeconds", "60")];
        await using var hostA = _azurite.PipelineServices(settings);
        await using var hostB = _azurite.PipelineServices(settings);
        var storage = hostA.GetRequiredService<StorageClients>();
        await storage.EnsureCreatedAsync(CancellationToken.None);

        byte[] Survey(int year, int mines) => new SurveyBuilder()
            .AddMany(mines, i => RowBuilder.WorkedExample($"R-{i:D3}", "kerman").Set("survey_date", new DateOnly(year, 3, 1)).Set("jobs_potential", year - 2000)).ToCsv();
        async Task ScoreAllAsync(Func<ChunkMessage, IServiceProvider> host)
        {
            var messages = new List<Azure.Storage.Queues.Models.QueueMessage>();
            while ((await storage.ChunkQueue.ReceiveMessagesAsync(32)).Value is { Length: > 0 } got) messages.AddRange(got);
            await Parallel.ForEachAsync(messages.OrderBy(_ => Random.Shared.Next()), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (m, ct) =>
            {
                var chunk = ChunkMessage.Parse(m.MessageText);
                await host(chunk).GetRequiredService<ChunkProcessor>().ProcessAsync(chunk, m.DequeueCount, ct);
            });
        }

        // Round 0 on record, and both views loaded with its ETags.
        await storage.Surveys.GetBlobClient("kerman/2019.csv").UploadAsync(BinaryData.FromBytes(Survey(2019, 200)));
        await hostA.GetRequiredService<SurveySweep>().RunAsync(CancellationToken.None);
        await ScoreAllAsync(_ => hostA);
        Assert.Equal(200, (await hostA.GetRequiredService<MineView>().LoadedAsync(CancellationToken.None)).Ranked.Length);
        Assert.Equal(200, (await hostB.GetRequiredService<MineView>().LoadedAsync(CancellationToken.None)).Ranked.Length);

        // 2020 by host A, 2021 by host B, at once; each also brings 40 new mines.
        await storage.Surveys.GetBlobClient("kerman/2020.csv").UploadAsync(BinaryData.FromBytes(Survey(2020, 240)));
        await storage.Surveys.GetBlobClient("kerman/2021.csv").UploadAsync(BinaryData.FromBytes(Survey(2021, 240)));
        await hostA.GetRequiredService<SurveySweep>().RunAsync(CancellationToken.None);
        var surveyOf = new Dictionary<string, string>();
        await foreach (var s in storage.SurveyTable.QueryAsync<SurveyEntity>(Azure.Data.Tables.TableClient.CreateQueryFilter($"PartitionKey eq {SurveyEntity.Partition}")))
            surveyOf[s.RowKey] = s.Blob;
        await ScoreAllAsync(chunk => surveyOf[chunk.SurveyId] == "kerman/2020.csv" ? hostA : hostB);

        var onRecord = new List<MineEntity>();
        await foreach (var mine in storage.MinesOf("kerman").QueryAsync<MineEntity>(Azure.Data.Tables.TableClient.CreateQueryFilter($"PartitionKey eq {"kerman"}"))) onRecord.Add(mine);
        Assert.Equal(240, onRecord.Count);
        Assert.All(onRecord, m => Assert.Equal(("2021-03-01", 21), (m.SurveyDate, m.JobsPotential)));
        foreach (var id in surveyOf.Keys)
        {
            var survey = (await storage.SurveyTable.GetEntityAsync<SurveyEntity>(SurveyEntity.Partition, id)).Value;
            Assert.Equal(survey.Rows, survey.Accepted);
        }
    }

    private static long Total(StorageRequestCounter counter) => counter.Snapshot().Values.Sum();

    public void Dispose() => _azurite.Dispose();
}
