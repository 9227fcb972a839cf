using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using MineIngest.TestData;

using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline.Tests;

/// <summary>The API's view of the mines costs what changed: one keyed query of the change log when nothing did.</summary>
public sealed class MineViewTests : IDisposable
{
    private readonly Azurite _azurite = new();

    /// <summary>The view checked against storage after this call began, as a request with Cache-Control: no-cache gets it.</summary>
    private static async Task<MineSnapshot> CheckedNow(MineView view) =>
        (await view.ReadAsync(new RequestFreshness(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, Waits: true, default), CancellationToken.None)).Value;

    [Fact]
    public async Task An_unchanged_view_costs_one_change_log_query_and_a_scored_chunk_shows_at_the_next_refresh()
    {
        var counter = new StorageRequestCounter();
        // No snapshot writes: they would count among the refresh's requests (their cost is measured in docs/BENCHMARKS.md).
        await using var services = _azurite.PipelineServices([("Pipeline:RowsPerChunk", "4"), ("Pipeline:MineViewRefreshSeconds", "0"), ("Pipeline:ViewSnapshotSeconds", "0")], counter);
        var storage = services.GetRequiredService<StorageClients>();
        var view = services.GetRequiredService<MineView>();
        var processor = services.GetRequiredService<ChunkProcessor>();
        var sweep = services.GetRequiredService<SurveySweep>();
        await storage.EnsureCreatedAsync(CancellationToken.None);

        Assert.Empty((await CheckedNow(view)).Ranked);
        var bytes = new SurveyBuilder().AddMany(6, i => RowBuilder.WorkedExample($"V-{i}", "yazd")).ToCsv();
        await storage.Surveys.GetBlobClient("yazd/view.csv").UploadAsync(BinaryData.FromBytes(bytes));
        await sweep.RunAsync(CancellationToken.None);

        // Nothing scored yet: the view reads the change log alone.
        var requests = Total(counter);
        Assert.Empty((await CheckedNow(view)).Ranked);
        Assert.Equal(1, Total(counter) - requests);

        // Score the first chunk (4 mines) by hand, as the queue trigger would: this instance's view takes the mines in as
        // they were written, reading none of them back.
        var queue = storage.ChunkQueue;
        var first = (await queue.ReceiveMessageAsync()).Value;
        await processor.ProcessAsync(ChunkMessage.Parse(first.MessageText), first.DequeueCount, CancellationToken.None);
        Assert.Equal(4, (await CheckedNow(view)).Ranked.Length);
        Assert.Equal(0, view.MinesRead);

        for (var i = 0; i < 3; i++)
        {
            requests = Total(counter);
            Assert.Equal(4, (await CheckedNow(view)).Ranked.Length);
            Assert.Equal(1, Total(counter) - requests);
        }

        // The second chunk, scored by another instance: the refresh reads its 2 new mines whole, not the 4 it has that
        // were written within its few seconds' overlap (it reads their keys and ETags only).
        await using var other = _azurite.PipelineServices([("Pipeline:ViewSnapshotSeconds", "0")]);
        var second = (await queue.ReceiveMessageAsync()).Value;
        await other.GetRequiredService<ChunkProcessor>().ProcessAsync(ChunkMessage.Parse(second.MessageText), second.DequeueCount, CancellationToken.None);
        var read = view.MinesRead;
        Assert.Equal(6, (await CheckedNow(view)).Ranked.Length);
        Assert.Equal(2, view.MinesRead - read);
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

    /// <summary>
    /// A mine is stored as one compact array (plus notes and history): every field comes back as written, through a real
    /// table, by a whole read and by the view's column selection (which leaves the notes out).
    /// </summary>
    [Fact]
    public async Task A_mine_and_its_history_come_back_from_storage_exactly_as_written()
    {
        await using var services = _azurite.PipelineServices([("Pipeline:MineViewRefreshSeconds", "0")]);
        var storage = services.GetRequiredService<StorageClients>();
        await storage.EnsureCreatedAsync(CancellationToken.None);
        var received = new DateTimeOffset(2026, 11, 27, 5, 6, 7, 891, TimeSpan.Zero).AddTicks(1234);
        MineEntity Mine(string id, bool optional) => new()
        {
            PartitionKey = "sistan-and-baluchestan", RowKey = MineEntity.KeyFor(id), MineId = id, Name = "معدن \"کرومیت\" " + id, County = optional ? "Zahedan" : null,
            Mineral = "chromite", Status = "revived", Latitude = 29.123456789012, Longitude = -0.1, ReserveTonnes = 5e6,
            GradePct = optional ? 32.75 : null, RoadKm = optional ? 0 : null, PowerKm = optional ? 1e-7 : null, JobsPotential = 20,
            JobsCreated = optional ? 7 : null, InvestmentBnRial = optional ? 123.4 : null, IdleSince = optional ? 1395 : null,
            Problem = optional ? "financial" : null, SurveyDate = "2020-05-10", RevivedOn = optional ? "2021-01-02" : null,
            Notes = optional ? "line 1\nline 2" : null, Score = 63.25, Tier = "B", Resource = 1, Grade = 0.5, Access = 0.123456789,
            Jobs = 0.25, Cost = 0, Solvability = 1, Warnings = optional ? "[\"Grade 12% is below the cut-off.\"]" : "[]",
            SurveyId = "abc123", Row = 42, SurveyReceivedAt = received, ScoredWith = optional ? "e4d6d2007530f297" : null,
            Earlier = optional ? LegacyEarlier(new MineVersion("old", "2019-01-01", received.AddDays(-400), 3, "idle", null, 41.5, "C",
                10, null, "market", null, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)) : null,
        };
        var table = storage.MinesOf("sistan-and-baluchestan");
        foreach (var optional in new[] { true, false })
        {
            var written = Mine(optional ? "SB-1" : "SB/2", optional);
            await table.AddEntityAsync(written);
            var read = (await table.GetEntityAsync<MineEntity>(written.PartitionKey, written.RowKey)).Value;
            foreach (var property in typeof(MineEntity).GetProperties().Where(p => p.Name is not (nameof(MineEntity.Timestamp) or nameof(MineEntity.ETag))))
                Assert.Equal(property.GetValue(written), property.GetValue(read));
            Assert.Equal(written.Earlier is null ? 1 : 2, MineHistory.VersionsOf(read).Count);
            var whole = (await table.GetEntityAsync<TableEntity>(written.PartitionKey, written.RowKey)).Value;
            Assert.Equal(MineHistory.VersionsOf(read), MineHistory.VersionsOf(MineEntity.From(whole), whole));
        }
        var viewed = (await CheckedNow(services.GetRequiredService<MineView>())).Ranked;
        Assert.Equal(2, viewed.Length);
        Assert.All(viewed, m => Assert.Null(m.Notes));
        Assert.Equal(29.123456789012, viewed.Single(m => m.MineId == "SB-1").Latitude);
        Assert.Equal(received, viewed.Single(m => m.MineId == "SB-1").SurveyReceivedAt);
    }

    /// <summary>
    /// A mine's history survives what writes it: a newer survey (a merge that adds the replaced version), an older one
    /// arriving late (a merge that adds it), and re-scoring (a merge of the fields alone); a mine stored the old way (its
    /// history in one list) keeps that list too. The API's view holds no history.
    /// </summary>
    [Fact]
    public async Task History_survives_replacing_surveys_late_rows_and_rescoring()
    {
        await using var services = _azurite.PipelineServices([("Pipeline:MineViewRefreshSeconds", "0")]);
        var storage = services.GetRequiredService<StorageClients>();
        await storage.EnsureCreatedAsync(CancellationToken.None);
        var view = services.GetRequiredService<MineView>();
        async Task ScoreAsync(string blob, string surveyDate, string status)
        {
            var bytes = new SurveyBuilder().AddMany(3, i => RowBuilder.WorkedExample($"H-{i}", "yazd").Set("survey_date", surveyDate).Set("status", status)).ToCsv();
            await storage.Surveys.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(bytes));
            await services.GetRequiredService<SurveySweep>().RunAsync(CancellationToken.None);
            await ScoreQueuedChunksAsync(services);
            await CheckedNow(view); // the scorer decides from the view, as in a host answering the API
        }
        var table = storage.MinesOf("yazd");
        async Task<List<string>> HistoryAsync(int i)
        {
            var stored = (await table.GetEntityAsync<TableEntity>("yazd", MineEntity.KeyFor($"H-{i}"))).Value;
            return MineHistory.VersionsOf(MineEntity.From(stored), stored).Select(v => v.SurveyDate + " " + v.Status).ToList();
        }

        await ScoreAsync("yazd/h-2021.csv", "2021-03-01", "idle");
        // One of the three stored the way older versions stored mines: its history a list in Earlier.
        var legacy = (await table.GetEntityAsync<MineEntity>("yazd", MineEntity.KeyFor("H-0"))).Value;
        legacy.Earlier = LegacyEarlier(MineVersion.Of(legacy) with { SurveyId = "older", SurveyDate = "2019-05-05", Status = "active" });
        await table.UpdateEntityAsync(legacy, legacy.ETag, TableUpdateMode.Replace);
        await ScoreAsync("yazd/h-2023.csv", "2023-04-01", "active");
        await ScoreAsync("yazd/h-2022.csv", "2022-02-02", "reviving"); // late: older than the mine on record

        string[] expected = ["2021-03-01 idle", "2022-02-02 reviving", "2023-04-01 active"];
        Assert.Equal(["2019-05-05 active", .. expected], await HistoryAsync(0));
        Assert.Equal(expected, await HistoryAsync(1));
        Assert.All((await CheckedNow(view)).Ranked, m => Assert.Null(m.Earlier));
        Assert.All((await CheckedNow(view)).Ranked, m => Assert.Equal("2023-04-01", m.SurveyDate));

        // Re-scoring with other settings merges the fields alone: every version stays.
        var page = new List<MineEntity>();
        await foreach (var mine in table.QueryAsync<MineEntity>()) page.Add(mine);
        page.ForEach(m => { m.ScoredWith = "other settings"; m.Score = -1; });
        Assert.Equal(3, await services.GetRequiredService<Rescoring>().RescoreAsync(page, CancellationToken.None));
        Assert.Equal(["2019-05-05 active", .. expected], await HistoryAsync(0));
        Assert.Equal(expected, await HistoryAsync(2));
        Assert.All(await table.QueryAsync<MineEntity>().ToListAsync(), m => Assert.True(m.Score > 0));
    }

    /// <summary>
    /// The scorer's own view takes the mines it wrote as its transactions answered (ETag, Timestamp, fields), reading
    /// none of them back, and holds exactly what a read of them gives, as another instance's view reads them: through new
    /// mines (inserts), a newer survey (merges) and an older one arriving late (a version added, the record kept).
    /// </summary>
    [Fact]
    public async Task The_scorers_view_holds_its_own_writes_exactly_as_a_read_of_them()
    {
        (string, string)[] settings = [("Pipeline:MineViewRefreshSeconds", "0"), ("Pipeline:ViewSnapshotSeconds", "0")];
        await using var scorer = _azurite.PipelineServices(settings);
        await using var reader = _azurite.PipelineServices(settings);
        var storage = scorer.GetRequiredService<StorageClients>();
        await storage.EnsureCreatedAsync(CancellationToken.None);
        var own = scorer.GetRequiredService<MineView>();
        var other = reader.GetRequiredService<MineView>();
        Assert.Empty((await CheckedNow(own)).Ranked);
        Assert.Empty((await CheckedNow(other)).Ranked);
        var table = storage.MinesOf("kerman");
        var read = 0L;
        foreach (var (blob, date, mines) in new[] { ("kerman/o-2021.csv", "2021-03-01", 5), ("kerman/o-2023.csv", "2023-04-01", 7), ("kerman/o-2022.csv", "2022-02-02", 7) })
        {
            var bytes = new SurveyBuilder().AddMany(mines, i => RowBuilder.WorkedExample($"O-{i}", "kerman").Set("survey_date", date).Set("jobs_potential", 10 + i)).ToCsv();
            await storage.Surveys.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(bytes));
            await scorer.GetRequiredService<SurveySweep>().RunAsync(CancellationToken.None);
            await ScoreQueuedChunksAsync(scorer);
            var onRecord = await table.QueryAsync<MineEntity>(select: MineEntity.RecordColumns).ToListAsync();
            var held = (await CheckedNow(own)).Ranked;
            var readByOther = (await CheckedNow(other)).Ranked;
            Assert.Equal(mines, onRecord.Count);
            Assert.Equal(0, own.MinesRead);
            Assert.Equal(read += mines, other.MinesRead);
            foreach (var copy in new[] { held, readByOther })
            {
                Assert.Equal(onRecord.Select(Fields).Order(StringComparer.Ordinal), copy.Select(Fields).Order(StringComparer.Ordinal));
            }
        }
        Assert.All((await CheckedNow(own)).Ranked, m => Assert.Equal("2023-04-01", m.SurveyDate));
        Assert.Equal((await CheckedNow(other)).AsOf, (await CheckedNow(own)).AsOf);

        static string Fields(MineEntity m) => $"{m.PartitionKey}|{m.RowKey}|{m.ETag}|{m.Timestamp:O}|{m.Notes}|{m.Data}";
    }

    /// <summary>
    /// A scorer notes its writes after the chunk's last batch; a withdrawal may delete one of them before that, and the
    /// view may see the deletion first. The note then must not bring the deleted mine back.
    /// </summary>
    [Fact]
    public async Task A_mine_deleted_before_its_scorer_noted_it_stays_deleted()
    {
        await using var services = _azurite.PipelineServices([("Pipeline:MineViewRefreshSeconds", "0"), ("Pipeline:ViewSnapshotSeconds", "0")]);
        var storage = services.GetRequiredService<StorageClients>();
        await storage.EnsureCreatedAsync(CancellationToken.None);
        var view = services.GetRequiredService<MineView>();
        Assert.Empty((await CheckedNow(view)).Ranked);
        var bytes = new SurveyBuilder().AddMany(2, i => RowBuilder.WorkedExample($"D-{i}", "kerman")).ToCsv();
        await storage.Surveys.GetBlobClient("kerman/d.csv").UploadAsync(BinaryData.FromBytes(bytes));
        await services.GetRequiredService<SurveySweep>().RunAsync(CancellationToken.None);
        var message = (await storage.ChunkQueue.ReceiveMessageAsync()).Value;
        await services.GetRequiredService<ChunkProcessor>().ProcessAsync(ChunkMessage.Parse(message.MessageText), message.DequeueCount, CancellationToken.None);
        var written = (await CheckedNow(view)).Ranked.Single(m => m.MineId == "D-0");

        // What a withdrawal does: the mine deleted, then a log entry naming it with the Timestamp it had.
        await storage.MinesOf("kerman").DeleteEntityAsync(written.PartitionKey, written.RowKey, written.ETag);
        await storage.MineChanges.UpsertEntityAsync(MineChangeLog.Entry(DateTimeOffset.UtcNow, "withdrawal", 0, 0, ["kerman"],
            [new RemovedMine("kerman", written.RowKey, written.Timestamp!.Value)]));
        Assert.Equal(["D-1"], (await CheckedNow(view)).Ranked.Select(m => m.MineId));

        // The scorer's note of that write, late.
        view.NoteOwnWrites("late-note", [written]);
        await view.TakeOwnWritesAsync(CancellationToken.None);
        Assert.Equal(["D-1"], (await CheckedNow(view)).Ranked.Select(m => m.MineId));
    }

    /// <summary>
    /// A chunk delivered again after a try that wrote its mines and died before their change-log entry: the new try finds
    /// them on record as its own rows and writes nothing, so its instance's view must read them, not take the entry as
    /// its own writes (a storage outage left 125 of 19,060 mines out of the answers that way).
    /// </summary>
    [Fact]
    public async Task A_chunk_done_again_after_a_try_that_died_shows_every_mine()
    {
        (string, string)[] settings = [("Pipeline:MineViewRefreshSeconds", "0"), ("Pipeline:ViewSnapshotSeconds", "0")];
        await using var died = _azurite.PipelineServices(settings);
        await using var again = _azurite.PipelineServices(settings);
        var storage = died.GetRequiredService<StorageClients>();
        await storage.EnsureCreatedAsync(CancellationToken.None);
        var view = again.GetRequiredService<MineView>();
        Assert.Empty((await CheckedNow(view)).Ranked);
        var bytes = new SurveyBuilder().AddMany(6, i => RowBuilder.WorkedExample($"T-{i}", "kerman")).ToCsv();
        await storage.Surveys.GetBlobClient("kerman/again.csv").UploadAsync(BinaryData.FromBytes(bytes));
        await died.GetRequiredService<SurveySweep>().RunAsync(CancellationToken.None);
        var message = (await storage.ChunkQueue.ReceiveMessageAsync()).Value;
        var chunk = ChunkMessage.Parse(message.MessageText);

        // The first try: the mines written, then (as if it died there) neither the change-log entry nor the result.
        await died.GetRequiredService<ChunkProcessor>().ProcessAsync(chunk, 1, CancellationToken.None);
        await foreach (var entry in storage.MineChanges.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {MineChangeLog.Partition}")))
            await storage.MineChanges.DeleteEntityAsync(entry.PartitionKey, entry.RowKey);
        await storage.ChunkResults.DeleteEntityAsync(chunk.SurveyId, ChunkResultEntity.KeyFor(chunk.Chunk));

        await again.GetRequiredService<ChunkProcessor>().ProcessAsync(chunk, 2, CancellationToken.None);
        Assert.Equal(6, (await CheckedNow(view)).Ranked.Length);
    }

    /// <summary>Every chunk waiting in the queue scored by <paramref name="host"/>, one by one, as its queue trigger would.</summary>
    private static async Task ScoreQueuedChunksAsync(IServiceProvider host)
    {
        var queue = host.GetRequiredService<StorageClients>().ChunkQueue;
        while ((await queue.ReceiveMessageAsync()).Value is { } message)
        {
            await host.GetRequiredService<ChunkProcessor>().ProcessAsync(ChunkMessage.Parse(message.MessageText), message.DequeueCount, CancellationToken.None);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        }
    }

    /// <summary>A mine's history as older versions stored it: one JSON list in Earlier.</summary>
    private static string LegacyEarlier(MineVersion version) => System.Text.Json.JsonSerializer.Serialize(new[] { version }, PipelineJson.Options);

    private static long Total(StorageRequestCounter counter) => counter.Snapshot().Values.Sum();

    public void Dispose() => _azurite.Dispose();
}
