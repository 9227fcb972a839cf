using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline.Ingestion;

/// <summary>
/// Writes a chunk's scored mines to their provinces' tables: new ones inserted, known ones written only when the row is
/// newer than what is on record ("newest survey wins"), decided from the API's view and written on its ETags, read from
/// the table where the view was behind.
/// </summary>
public sealed class MineWriter(StorageClients storage, MineView view, ILogger<MineWriter> logger)
{
    private const int BatchSize = 100;

    /// <summary>
    /// Writes mines in transactions of up to 100 per province, each only where this survey's row is newer than
    /// the mine on record. A batch is first sent as inserts alone: for mines not yet on record (a new round's
    /// usual case) that is one request per 100 mines. If any is on record the insert fails as a whole, and the batch
    /// is decided from the in-memory view of the mines (loaded once; it holds each mine's version and ETag) and
    /// written with those ETags: one request again. Only if that fails (the view was stale, or another writer came
    /// first) does one range query decide each mine; a concurrent writer makes that transaction fail on its ETag,
    /// and the batch is decided again.
    /// </summary>
    public async Task<WrittenMines> WriteAsync(List<MineEntity> mines, CancellationToken ct)
    {
        var written = new WrittenMines();
        foreach (var province in mines.GroupBy(m => m.PartitionKey))
        {
            var sorted = province.OrderBy(m => m.RowKey, StringComparer.Ordinal).ToList();
            for (var i = 0; i < sorted.Count; i += BatchSize)
            {
                var batch = sorted.GetRange(i, Math.Min(BatchSize, sorted.Count - i));
                // A failed transaction is the slowest thing Azurite does: when the view already knows some of these
                // mines are on record, decide from it without trying inserts first.
                var known = view.IfLoaded?.ByKey;
                var onRecordAlready = known is not null && batch.Any(m => known.ContainsKey((m.PartitionKey, m.RowKey)));
                if (!onRecordAlready && await TryInsertAllAsync(batch, written, ct)) continue;
                if (await TryWriteNewerFromViewAsync(batch, written, ct)) continue;
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await WriteNewerAsync(province.Key, batch, written, ct);
                        break;
                    }
                    catch (TableTransactionFailedException ex) when (ex.Status is 404 or 409 or 412 && attempt < 10)
                    {
                        logger.LogInformation("Mines of {Province} changed while writing; deciding the batch again", province.Key);
                    }
                }
            }
        }
        return written;
    }

    private async Task<bool> TryInsertAllAsync(List<MineEntity> batch, WrittenMines written, CancellationToken ct)
    {
        try
        {
            var responses = await storage.MinesOf(batch[0].PartitionKey).SubmitTransactionAsync(batch.Select(m => new TableTransactionAction(TableTransactionActionType.Add, m)), ct);
            written.Add(batch, responses.Value);
            return true;
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
            return false; // some are on record: decide one by one
        }
    }

    private async Task<bool> TryWriteNewerFromViewAsync(List<MineEntity> batch, WrittenMines written, CancellationToken ct)
    {
        var known = (await view.LoadedAsync(ct)).ByKey;
        try
        {
            // Versions only grow, so a mine the view shows newer than this row is newer on record too: skip it.
            await SubmitNewerAsync(batch, key => known.GetValueOrDefault(key), written, ct);
            return true;
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 404 or 409 or 412)
        {
            // 404: a mine the view still holds was removed (a withdrawal).
            logger.LogDebug("The view of the mines was behind for a batch of {Province}; reading what is on record", batch[0].PartitionKey);
            return false;
        }
    }

    /// <summary>
    /// Adds the mines with no version given, replaces (on its ETag) each whose version is older, and keeps every row as a
    /// version of its mine (<see cref="MineHistory"/>): a replace is a merge of the new row's fields and the
    /// replaced version's property; a row older than the one on record is merged in as a version property (on its ETag).
    /// Nothing of the stored history is needed, so the view that decides holds none. One transaction for all.
    /// </summary>
    private async Task SubmitNewerAsync(List<MineEntity> batch, Func<(string, string), MineEntity?> onRecord, WrittenMines written, CancellationToken ct)
    {
        var actions = new List<TableTransactionAction>();
        // Each action's mine record as storage holds it after the action: the new row's, or the one on record kept.
        var records = new List<MineEntity>();
        foreach (var mine in batch)
        {
            if (onRecord((mine.PartitionKey, mine.RowKey)) is not { } current)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, mine));
                records.Add(mine);
                continue;
            }
            var order = MineEntity.CompareVersions(mine.SurveyDate, mine.SurveyReceivedAt, mine.SurveyId,
                current.SurveyDate, current.SurveyReceivedAt, current.SurveyId);
            if (order > 0)
            {
                // A merge: the new row's fields, and the replaced version in a property of its own beside the others.
                var merge = new TableEntity(mine.PartitionKey, mine.RowKey)
                {
                    [nameof(MineEntity.Data)] = mine.Data, [nameof(MineEntity.Notes)] = mine.Notes ?? "",
                };
                MineHistory.Store(merge, MineVersion.Of(current));
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateMerge, merge, current.ETag));
                records.Add(mine);
            }
            else if (order < 0)
            {
                // An older row than the one on record: one more version (written again, not twice, if it came before).
                var merge = new TableEntity(current.PartitionKey, current.RowKey);
                MineHistory.Store(merge, MineVersion.Of(mine));
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateMerge, merge, current.ETag));
                records.Add(current);
            }
        }
        if (actions.Count == 0) return;
        var responses = await storage.MinesOf(batch[0].PartitionKey).SubmitTransactionAsync(actions, ct);
        written.Add(records, responses.Value);
    }

    private async Task WriteNewerAsync(string province, List<MineEntity> batch, WrittenMines written, CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {province} and RowKey ge {batch[0].RowKey} and RowKey le {batch[^1].RowKey}");
        var onRecord = new Dictionary<string, MineEntity>(StringComparer.Ordinal);
        // The fields and ETags: a replaced one's version goes into its successor's history, read from its fields.
        await foreach (var existing in storage.MinesOf(province).QueryAsync<MineEntity>(filter, select: MineEntity.RecordColumns, cancellationToken: ct))
        {
            onRecord[existing.RowKey] = existing;
        }

        await SubmitNewerAsync(batch, key => onRecord.GetValueOrDefault(key.Item2), written, ct);
    }

    /// <summary>
    /// The mines a chunk wrote as a read would return them (<see cref="MineEntity.AsWritten"/>), from its transactions'
    /// answers; <see cref="All"/> is null when any answer did not give its mine's ETag and Timestamp.
    /// </summary>
    public sealed class WrittenMines
    {
        private List<MineEntity>? _mines = [];

        public IReadOnlyList<MineEntity>? All => _mines;

        /// <summary>One transaction's records (in the order of its actions) and its answers (in the same order).</summary>
        public void Add(IReadOnlyList<MineEntity> records, IReadOnlyList<Response> answers)
        {
            if (_mines is null) return;
            if (answers.Count != records.Count)
            {
                _mines = null;
                return;
            }
            for (var i = 0; i < records.Count; i++)
            {
                if (MineEntity.AsWritten(records[i], answers[i].Headers.ETag) is not { } mine)
                {
                    _mines = null;
                    return;
                }
                _mines.Add(mine);
            }
        }
    }
}
