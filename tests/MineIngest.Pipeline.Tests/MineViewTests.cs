using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
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
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = _azurite.ConnectionString, ["Pipeline:RowsPerChunk"] = "4", ["Pipeline:MineViewRefreshSeconds"] = "0",
        }).Build();
        var services = new ServiceCollection().AddLogging()
            .AddSingleton(StorageClients.FromConfiguration(configuration, counter))
            .AddMineIngest(configuration).BuildServiceProvider();
        await using var _ = services;
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

    private static long Total(StorageRequestCounter counter) => counter.Snapshot().Values.Sum();

    public void Dispose() => _azurite.Dispose();
}
