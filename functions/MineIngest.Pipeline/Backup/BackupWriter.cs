using System.Buffers;
using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Backup;

/// <summary>
/// Writes a backup of the record: every table the app keeps (the mine view's change log and the claims on work aside:
/// both are rebuilt) as gzip JSON Lines, the uploads and the staged rows as content files, and last the manifest, so a
/// backup without a manifest is one that did not finish. The surveys are cut at the point in time (<see cref="BackupCut"/>).
/// </summary>
public sealed class BackupWriter(StorageClients storage, BackupStore store, ScoringFingerprint fingerprint, TimeProvider time, ILogger<BackupWriter> logger)
{
    /// <summary>
    /// The tables a backup holds, in the order they are written and restored: every table the app keeps but the change log
    /// its view reads (rebuilt) and the claims on work (meaningless after a restore).
    /// </summary>
    public static IReadOnlyList<string> Tables(StorageClients storage) =>
    [
        PipelineOptions.SurveysTable, PipelineOptions.ChunkResultsTable, PipelineOptions.RowErrorsTable, PipelineOptions.SolutionsTable,
        PipelineOptions.CommitteesTable, PipelineOptions.AuditTable, PipelineOptions.ProvinceKeysTable, PipelineOptions.UploadLinksTable,
        PipelineOptions.RescorePagesTable, PipelineOptions.WithdrawPagesTable, .. storage.AllMines.Select(m => m.Table.Name),
    ];

    /// <summary>The blob containers a backup holds: the uploads, the staged rows that the rows-to-fix files are made from, the surveyors' photos.</summary>
    public static readonly IReadOnlyList<string> Containers = [PipelineOptions.SurveysContainer, PipelineOptions.ChunksContainer, Field.FieldOptions.PhotosContainer];

    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();
    private const int LineBufferBytes = 64 * 1024;

    public static string AppVersion { get; } =
        "MineIngest " + (typeof(BackupWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown");

    /// <summary>A new backup's id: its UTC time and a random suffix, so ids sort by time and two instances never share one.</summary>
    public string NewId() =>
        time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    public async Task<BackupManifest> WriteAsync(string id, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        await CreateContainerAsync(ct);
        // The point in time: the surveys as they stand now decide what is in (BackupCut); everything after is cut to match.
        var cut = new BackupCut(await SurveysAsync(ct));
        var tables = new List<BackupTableFile>();
        foreach (var table in Tables(storage)) tables.Add(await WriteTableAsync(id, table, cut, ct));
        var blobs = await WriteBlobsAsync(started, cut, ct);
        var manifest = new BackupManifest(BackupLayout.FormatVersion, id, AppVersion, fingerprint.Fingerprint, started, started, time.GetUtcNow(), tables, blobs, cut.LeftOut);
        await store.AddIfAbsentAsync(BackupLayout.Manifest(id), new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest, BackupLayout.Json)), ct);
        logger.LogInformation("Backup {BackupId}: {Entities} entities in {Tables} tables, {Blobs} files, {LeftOut} surveys in progress left out, in {Seconds:F1} s",
            id, manifest.Entities, tables.Count, blobs.Count, cut.LeftOut.Count, (manifest.FinishedAt - started).TotalSeconds);
        return manifest;
    }

    private async Task CreateContainerAsync(CancellationToken ct)
    {
        try
        {
            await store.Container.CreateIfNotExistsAsync(cancellationToken: ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 403)
        {
            // In Azure the Bicep made it, and the app's identity may add backups but not create or delete containers.
        }
    }

    private async Task<List<SurveyEntity>> SurveysAsync(CancellationToken ct)
    {
        var surveys = new List<SurveyEntity>();
        await foreach (var survey in storage.SurveyTable.QueryAsync<SurveyEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {SurveyEntity.Partition}"), cancellationToken: ct))
            surveys.Add(survey);
        return surveys;
    }

    /// <summary>One table as a gzip JSON Lines file, each entity as the cut keeps it.</summary>
    private async Task<BackupTableFile> WriteTableAsync(string id, string table, BackupCut cut, CancellationToken ct)
    {
        var file = BackupLayout.TableFile(table);
        var blob = store.Container.GetBlockBlobClient(BackupLayout.InBackup(id, file));
        var count = 0;
        HashingStream hashed;
        await using (var output = await blob.OpenWriteAsync(overwrite: true, new BlockBlobOpenWriteOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/gzip" } }, ct))
        {
            hashed = new HashingStream(output);
            await using var gzip = new GZipStream(hashed, CompressionLevel.Optimal, leaveOpen: true);
            // Lines are gathered in a buffer and handed to gzip in 64 KB pieces: a writer on the stream itself would flush
            // it at every line, and each flush of the blob's stream stages a block (100,000 of them for as many mines).
            var lines = new ArrayBufferWriter<byte>(LineBufferBytes * 2);
            await using (var writer = new Utf8JsonWriter(lines, new JsonWriterOptions { Encoder = BackupLayout.Json.Encoder }))
            {
                await foreach (var entity in EntitiesAsync(table, cut, ct))
                {
                    writer.Reset();
                    EntityLine.Write(writer, entity);
                    writer.Flush();
                    lines.Write(NewLine.Span);
                    count++;
                    if (lines.WrittenCount < LineBufferBytes) continue;
                    await gzip.WriteAsync(lines.WrittenMemory, ct);
                    lines.ResetWrittenCount();
                }
            }
            await gzip.WriteAsync(lines.WrittenMemory, ct);
        }
        return new BackupTableFile(table, file, count, hashed.Length, hashed.Sha256());
    }

    private async IAsyncEnumerable<TableEntity> EntitiesAsync(string table, BackupCut cut, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var isMines = table.StartsWith(PipelineOptions.MinesTablePrefix, StringComparison.Ordinal);
        var bySurvey = table is PipelineOptions.ChunkResultsTable or PipelineOptions.RowErrorsTable;
        var pages = storage.Tables.GetTableClient(table).QueryAsync<TableEntity>(cancellationToken: ct).AsPages();
        await using var enumerator = pages.GetAsyncEnumerator(ct);
        while (await NextPageAsync(enumerator))
        {
            foreach (var entity in enumerator.Current.Values)
            {
                if (bySurvey && !cut.Keeps(entity.PartitionKey)) continue;
                if (table == PipelineOptions.SurveysTable) yield return cut.Survey(entity);
                else if (!isMines) yield return entity;
                else if (cut.Mine(entity) is { } kept) yield return kept;
            }
        }
    }

    /// <summary>A table the app has not made yet (no such record so far) is an empty table in the backup.</summary>
    private static async Task<bool> NextPageAsync(IAsyncEnumerator<Page<TableEntity>> pages)
    {
        try
        {
            return await pages.MoveNextAsync();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    /// <summary>
    /// The uploads and the kept surveys' staged rows, each stored once a day by content (a content file is written with its
    /// day's first backup and pruned with that day's backups, so no backup refers to a file older than itself).
    /// </summary>
    private async Task<List<BackupBlobFile>> WriteBlobsAsync(DateTimeOffset started, BackupCut cut, CancellationToken ct)
    {
        var day = started.UtcDateTime.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        var known = await SameDayFilesAsync(day, ct);
        var files = new List<BackupBlobFile>();
        foreach (var container in Containers)
        {
            var client = storage.Blobs.GetBlobContainerClient(container);
            if (!(await client.ExistsAsync(ct)).Value) continue;
            await foreach (var item in client.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix: null, ct))
            {
                if (container == PipelineOptions.ChunksContainer && !cut.Keeps(item.Name.Split('/')[0])) continue;
                var etag = item.Properties.ETag?.ToString() ?? "";
                files.Add(known.TryGetValue((container, item.Name, etag), out var same) ? same : await CopyBlobAsync(client.GetBlobClient(item.Name), item, day, ct));
            }
        }
        return files;
    }

    private async Task<BackupBlobFile> CopyBlobAsync(BlobClient source, BlobItem item, string day, CancellationToken ct)
    {
        using var content = new MemoryStream();
        await source.DownloadToAsync(content, ct);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content.GetBuffer().AsSpan(0, (int)content.Length)));
        var file = BackupLayout.ContentFile(day, sha);
        content.Position = 0;
        await store.AddIfAbsentAsync(file, content, ct);
        var md5 = item.Properties.ContentHash is { Length: > 0 } hash ? Convert.ToBase64String(hash) : null;
        return new BackupBlobFile(source.BlobContainerName, item.Name, file, content.Length, sha, item.Properties.ContentType, md5,
            item.Properties.ETag?.ToString() ?? "", item.Metadata is { Count: > 0 } m ? new Dictionary<string, string>(m) : null);
    }

    /// <summary>The blobs today's earlier backup already stored, by container, name and ETag: an unchanged blob is not read again.</summary>
    private async Task<Dictionary<(string, string, string), BackupBlobFile>> SameDayFilesAsync(string day, CancellationToken ct)
    {
        var known = new Dictionary<(string, string, string), BackupBlobFile>();
        var latest = (await store.ListAsync(ct, limit: 1, idPrefix: day)).FirstOrDefault(m => m.Format == BackupLayout.FormatVersion);
        foreach (var file in latest?.Blobs ?? []) known[(file.Container, file.Name, file.ETag)] = file;
        return known;
    }
}

/// <summary>Passes what is written on, counting the bytes and hashing them (SHA-256) on the way.</summary>
internal sealed class HashingStream(Stream inner) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public override long Length => _length;
    private long _length;

    public string Sha256() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        _length += buffer.Length;
        inner.Write(buffer);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        _hash.AppendData(buffer.Span);
        _length += buffer.Length;
        await inner.WriteAsync(buffer, ct);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
    // Not passed on: a flush of a blob's write stream stages a block; the stream commits what it holds when disposed.
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}
