using Azure.Data.Tables;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.View;

/// <summary>A refresh's read of the mines other writers changed: the tables the change log names, from each one's high water.</summary>
internal static class OtherWriters
{
    /// <summary>Unseen writes (by the change log's counts) from which a refresh reads changed mines whole without a keys-first pass.</summary>
    private const long ManyUnseen = 20_000;

    /// <summary>
    /// Reads the mines written by others since the view last looked at each table the log names (every table on a
    /// first load without a snapshot), and takes in those it does not hold as on record; true when any changed.
    /// </summary>
    public static async Task<bool> ReadAsync(StorageClients storage, HeldMines held, ChangeLogSinceLastLook log, bool haveBase,
        Dictionary<(string, string), MineEntity?> changes, CancellationToken ct)
    {
        // A whole survey's mines written since the last look (a next round nobody watched): most of what the keys-first
        // pass would read is unseen anyway, and that pass over 100,000 keys was a second scan of every changed table.
        var keysFirst = log.Mines < ManyUnseen;
        var tables = !haveBase ? storage.AllMines.ToList()
            : storage.AllMines.Where(t => log.Provinces?.Contains(t.Province) == true).ToList();
        var read = new List<MineEntity>[tables.Count];
        var allHeldUpTo = new DateTimeOffset?[tables.Count];
        // A few tables at a time: this host turns one page into mines while storage serves the next.
        await Parallel.ForEachAsync(Enumerable.Range(0, tables.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, token) =>
        {
            var (province, table) = tables[i];
            var mines = read[i] = [];
            // Per table: a province's writes are found however late the log entry that names them comes. A province
            // with none read yet was empty when the view loaded: all of it came since (own writes among it).
            DateTimeOffset? since = held.HighWater.TryGetValue(province, out var seen) ? seen - HeldMines.Overlap : null;
            if (haveBase && keysFirst)
            {
                // Keys first: the overlap mostly holds mines this view already has (this instance's own writes, all of
                // them), and reading them whole each refresh was most of a polled view's garbage while a survey is scored.
                (since, allHeldUpTo[i]) = await OldestUnseenAsync(held, table, since, token);
                if (since is null) return;
            }
            var filter = since is { } from ? TableClient.CreateQueryFilter($"Timestamp ge {from}") : null;
            await foreach (var mine in table.QueryAsync<MineEntity>(filter, maxPerPage: 1000, select: MineEntity.RecordColumns, cancellationToken: token)) mines.Add(mine);
        });
        var changed = false;
        for (var i = 0; i < tables.Count; i++) changed |= held.TakeRead(tables[i].Province, read[i], allHeldUpTo[i], changes);
        return changed;
    }

    /// <summary>
    /// The Timestamp of the oldest mine written since <paramref name="from"/> (any time when null) that this view does
    /// not hold in the version on record (by ETag), or null when it holds them all, and then the newest Timestamp among
    /// them; reads keys and Timestamps only.
    /// </summary>
    private static async Task<(DateTimeOffset? OldestUnseen, DateTimeOffset? NewestHeld)> OldestUnseenAsync(
        HeldMines held, TableClient table, DateTimeOffset? from, CancellationToken ct)
    {
        DateTimeOffset? oldest = null, newest = null;
        var filter = from is { } since ? TableClient.CreateQueryFilter($"Timestamp ge {since}") : null;
        await foreach (var key in table.QueryAsync<TableEntity>(filter, maxPerPage: 1000,
                           select: [nameof(ITableEntity.PartitionKey), nameof(ITableEntity.RowKey), nameof(ITableEntity.Timestamp)], cancellationToken: ct))
        {
            if (key.Timestamp is not { } stamp) return (from ?? DateTimeOffset.UnixEpoch, null);
            if (held.All.TryGetValue((key.PartitionKey, key.RowKey), out var known) && known.ETag == key.ETag)
            {
                if (newest is null || stamp > newest) newest = stamp;
                continue;
            }
            if (oldest is null || stamp < oldest) oldest = stamp;
        }
        return oldest is null ? (null, newest) : (oldest, null);
    }
}
