using Azure.Data.Tables;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.View;

/// <summary>
/// What the change log says since the view's last look: the provinces its unseen entries of other writers name (null
/// when none), how many mines they wrote and which they removed; this instance's own writes those entries hand over;
/// and every entry listed that counts as seen once this refresh succeeds. An entry that names no provinces stands
/// for all of them.
/// </summary>
public sealed record ChangeLogSinceLastLook(HashSet<string>? Provinces, HashSet<string> Seen, List<RemovedMine> Removed, long Mines,
    List<(string Entry, IReadOnlyList<MineEntity> Mines)> Own)
{
    /// <summary>
    /// Reads the log from <paramref name="since"/> (a little before the view's last look), against the entries the view
    /// has seen (<paramref name="seenBefore"/>) and this instance's own writes (<paramref name="own"/>, whose noted
    /// mines it takes).
    /// </summary>
    public static async Task<ChangeLogSinceLastLook> ReadAsync(StorageClients storage, DateTimeOffset since, HashSet<string> seenBefore, OwnWrites own,
        CancellationToken ct)
    {
        var from = MineChangeLog.KeyAt(since);
        var log = new ChangeLogSinceLastLook(null, new HashSet<string>(StringComparer.Ordinal), [], 0, []);
        HashSet<string>? provinces = null;
        var written = 0L;
        await foreach (var entry in storage.MineChanges.QueryAsync<TableEntity>(
                           TableClient.CreateQueryFilter($"PartitionKey eq {MineChangeLog.Partition} and RowKey ge {from}"),
                           select: ["RowKey", MineChangeLog.Provinces, MineChangeLog.Removed, MineChangeLog.Mines], cancellationToken: ct))
        {
            var key = entry.RowKey;
            if (seenBefore.Contains(key) || own.IsTaken(key))
            {
                log.Seen.Add(key);
                continue;
            }
            // Being written by this instance, its mines not noted yet: the next refresh takes them as written. Asked
            // before the notes: an entry no longer expected was noted first, if at all.
            if (own.IsExpected(key)) continue;
            log.Seen.Add(key);
            if (own.TryTake(key, out var mines))
            {
                log.Own.Add((key, mines));
                continue;
            }
            log.Removed.AddRange(MineChangeLog.RemovedIn(entry));
            written += entry.GetInt32(MineChangeLog.Mines) ?? 0;
            provinces ??= new HashSet<string>(StringComparer.Ordinal);
            var named = entry.GetString(MineChangeLog.Provinces);
            if (string.IsNullOrEmpty(named)) provinces.UnionWith(storage.AllMines.Select(m => m.Province));
            else provinces.UnionWith(named.Split(','));
        }
        own.Forget(from);
        // Taken as seen by the caller only once the mines they name are read: a refresh that fails reads them again.
        return log with { Provinces = provinces, Mines = written };
    }
}
