using System.IO.Compression;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Backup;

/// <summary>What a restore wrote: entities per table, files, and the entities it removed from a target that held records.</summary>
public sealed record RestoreResult(string BackupId, DateTimeOffset PointInTime, IReadOnlyDictionary<string, int> Entities, int Files, int Removed)
{
    public int Total => Entities.Values.Sum();
}

/// <summary>
/// Restores a checked backup (<see cref="BackupVerifier"/>) into a storage account: the files first (uploads and staged rows),
/// then the tables, then one change-log entry so that instances already running read the restored mines. A target that
/// holds records is refused unless <c>replace</c> is set; then its records are made exactly the backup's (what the backup
/// lacks is removed). A province alone restores that province's mines (with their histories) and nothing else.
/// </summary>
public sealed class BackupRestorer(StorageClients target, TimeProvider time)
{
    private const int BatchSize = 100;

    public async Task<RestoreResult> RestoreAsync(VerifiedBackup backup, bool replace, Action<string> progress, CancellationToken ct)
    {
        var (present, held) = await TargetAsync(backup, ct);
        if (present.Count > 0 && !replace)
            throw new BackupRefusedException("The target is not empty (" + string.Join(", ", present.Select(p => $"{p.Key}: {p.Value}")) +
                "). Restore into empty storage, or give --replace to make these records exactly the backup's.");
        if (present.Count > 0) progress("replacing what the target holds: " + string.Join(", ", present.Select(p => $"{p.Key}: {p.Value}")));
        await target.EnsureCreatedAsync(ct);

        var etags = await RestoreBlobsAsync(backup, progress, ct);
        var entities = new Dictionary<string, int>(StringComparer.Ordinal);
        var (removedCount, removed) = (0, new List<RemovedMine>());
        foreach (var table in backup.Tables)
        {
            var existing = replace && present.ContainsKey("table " + table.Table) ? held[table.Table] : [];
            var (written, gone) = await RestoreTableAsync(backup, table, etags, existing, ct);
            entities[table.Table] = written;
            removedCount += gone.Count;
            if (table.Table.StartsWith(PipelineOptions.MinesTablePrefix, StringComparison.Ordinal))
                removed.AddRange(gone.Select(k => new RemovedMine(k.PartitionKey, k.RowKey, time.GetUtcNow())));
            if (written + gone.Count > 0) progress($"restored {table.Table}: {written} entities" + (gone.Count > 0 ? $", {gone.Count} not in the backup removed" : ""));
        }
        await NoteMinesChangedAsync(backup, entities, removed, ct);
        // The view's snapshot in the target describes other records: a new instance must read the restored mines.
        await target.Views.DeleteBlobIfExistsAsync(View.ViewSnapshotStore.BlobName, cancellationToken: ct);
        return new RestoreResult(backup.Manifest.Id, backup.Manifest.PointInTime, entities, backup.Blobs.Count, removedCount);
    }

    /// <summary>
    /// What the target already holds, per table or container the backup restores (empty when it holds no record), and the
    /// keys of each table, read once: they say whether it holds records and, with --replace, which the backup lacks.
    /// </summary>
    private async Task<(Dictionary<string, string> Present, Dictionary<string, HashSet<(string PartitionKey, string RowKey)>> Keys)> TargetAsync(
        VerifiedBackup backup, CancellationToken ct)
    {
        var present = new Dictionary<string, string>(StringComparer.Ordinal);
        var held = new Dictionary<string, HashSet<(string PartitionKey, string RowKey)>>(StringComparer.Ordinal);
        foreach (var table in backup.Tables)
        {
            var keys = held[table.Table] = await KeysAsync(target.Tables.GetTableClient(table.Table), ct);
            // An app already running on the target keeps its own status rows beside the surveys (the last sweep, re-scoring):
            // not records.
            var records = table.Table == PipelineOptions.SurveysTable ? keys.Count(k => k.PartitionKey == SurveyEntity.Partition) : keys.Count;
            if (records > 0) present["table " + table.Table] = $"{records} entities";
        }
        foreach (var container in backup.Blobs.Select(b => b.Container).Distinct())
        {
            var client = target.Blobs.GetBlobContainerClient(container);
            if (!(await client.ExistsAsync(ct)).Value) continue;
            var count = 0;
            await foreach (var _ in client.GetBlobsAsync(cancellationToken: ct)) count++;
            if (count > 0) present["container " + container] = $"{count} files";
        }
        return (present, held);
    }

    /// <summary>Puts every file back with its content type, Content-MD5 and metadata; returns each upload's ETag then and now.</summary>
    private async Task<Dictionary<string, string>> RestoreBlobsAsync(VerifiedBackup backup, Action<string> progress, CancellationToken ct)
    {
        var etags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var blob in backup.Blobs)
        {
            var client = target.Blobs.GetBlobContainerClient(blob.Container).GetBlobClient(blob.Name);
            await using var content = File.OpenRead(backup.LocalFile(blob.File));
            var headers = new BlobHttpHeaders { ContentType = blob.ContentType, ContentHash = blob.ContentMd5 is null ? null : Convert.FromBase64String(blob.ContentMd5) };
            var written = await client.UploadAsync(content, new BlobUploadOptions { HttpHeaders = headers, Metadata = blob.Metadata?.ToDictionary() }, ct);
            etags[blob.ETag.Trim('"')] = written.Value.ETag.ToString().Trim('"');
        }
        if (backup.Blobs.Count > 0) progress($"restored {backup.Blobs.Count} files of uploads and staged rows");
        return etags;
    }

    /// <summary>Writes a table's entities, then removes those of <paramref name="existing"/> the backup lacks; returns what it wrote and removed.</summary>
    private async Task<(int Written, List<(string PartitionKey, string RowKey)> Removed)> RestoreTableAsync(
        VerifiedBackup backup, BackupTableFile file, Dictionary<string, string> etags, HashSet<(string PartitionKey, string RowKey)> existing, CancellationToken ct)
    {
        var table = target.Tables.GetTableClient(file.Table); // made by EnsureCreatedAsync, as every table the app keeps
        var written = 0;
        foreach (var partition in ReadEntities(backup.LocalTableFile(file)).GroupBy(e => e.PartitionKey))
        {
            foreach (var batch in partition.Chunk(BatchSize))
            {
                foreach (var entity in batch) Prepare(entity, etags);
                await table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct);
                written += batch.Length;
                foreach (var entity in batch) existing.Remove((entity.PartitionKey, entity.RowKey));
            }
        }
        foreach (var (partitionKey, rowKey) in existing) await table.DeleteEntityAsync(partitionKey, rowKey, ETag.All, ct);
        return (written, [.. existing]);
    }

    /// <summary>
    /// Storage sets the Timestamp; a survey's record of the upload it was read from follows that upload's new ETag (else the
    /// sweep would take a withdrawn survey's file, put back, for the same file sent again).
    /// </summary>
    private static void Prepare(TableEntity entity, Dictionary<string, string> etags)
    {
        entity.Remove("Timestamp");
        // A listing gives ETags bare, a read quoted: matched bare, written back in the form the survey had.
        if (entity.GetString(nameof(SurveyEntity.BlobETag)) is { } read && etags.TryGetValue(read.Trim('"'), out var now))
            entity[nameof(SurveyEntity.BlobETag)] = read.StartsWith('"') ? $"\"{now}\"" : now;
    }

    /// <summary>Every key of a table; none for a table not made yet.</summary>
    private static async Task<HashSet<(string PartitionKey, string RowKey)>> KeysAsync(TableClient table, CancellationToken ct)
    {
        var keys = new HashSet<(string, string)>();
        try
        {
            await foreach (var e in table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"], cancellationToken: ct)) keys.Add((e.PartitionKey, e.RowKey));
        }
        catch (RequestFailedException ex) when (ex.Status == 404) { }
        return keys;
    }

    private static IEnumerable<TableEntity> ReadEntities(string local)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(local), CompressionMode.Decompress), Encoding.UTF8);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) yield return EntityLine.Read(Encoding.UTF8.GetBytes(line));
    }

    /// <summary>One change-log entry naming the restored provinces, so a running instance's view reads their mines (and drops the removed ones).</summary>
    private async Task NoteMinesChangedAsync(VerifiedBackup backup, Dictionary<string, int> entities, List<RemovedMine> removed, CancellationToken ct)
    {
        var provinces = target.AllMines.Where(m => entities.ContainsKey(m.Table.Name)).Select(m => m.Province).ToList();
        if (provinces.Count == 0) return;
        var mines = target.AllMines.Sum(m => entities.GetValueOrDefault(m.Table.Name));
        await target.MineChanges.UpsertEntityAsync(MineChangeLog.Entry(time.GetUtcNow(), "restore-" + backup.Manifest.Id, 0, mines, provinces, removed), TableUpdateMode.Replace, ct);
    }
}
