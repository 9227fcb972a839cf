using System.IO.Compression;
using System.Security.Cryptography;
using Azure;

namespace MineIngest.Pipeline.Backup;

/// <summary>A backup that cannot be restored as it is, or a target it must not be restored into; the message says which and why.</summary>
public sealed class BackupRefusedException(string message) : Exception(message);

/// <summary>
/// Checks a backup before anything is written: the manifest's format, and every file it names against its size and
/// SHA-256 (and each table file's lines against its count). The files are kept in a local folder as checked, so what is
/// restored is exactly what was checked.
/// </summary>
public sealed class BackupVerifier(BackupStore store)
{
    public async Task<VerifiedBackup> VerifyAsync(string backupId, string? province, Action<string> progress, CancellationToken ct)
    {
        var manifest = await store.ManifestIfExistsAsync(backupId, ct)
            ?? throw new BackupRefusedException($"There is no backup \"{backupId}\" in {store.Container.Uri} (a backup without its manifest did not finish).");
        if (manifest.Format > BackupLayout.FormatVersion)
            throw new BackupRefusedException($"Backup {backupId} is in format {manifest.Format}, newer than this app reads (format {BackupLayout.FormatVersion}): restore it with the app version that wrote it ({manifest.App}).");
        var tables = manifest.Tables.Where(t => province is null || t.Table == PipelineOptions.MinesTableOf(province)).ToList();
        if (province is not null && tables.Count == 0) throw new BackupRefusedException($"Backup {backupId} holds no mines table for {province}.");
        var blobs = province is null ? manifest.Blobs : [];
        var folder = Directory.CreateTempSubdirectory("mineingest-restore-").FullName;
        try
        {
            foreach (var table in tables)
            {
                var local = await DownloadCheckedAsync(BackupLayout.InBackup(backupId, table.File), table.File, table.Bytes, table.Sha256, folder, ct);
                var lines = CountLines(local, table.File);
                if (lines != table.Entities)
                    throw new BackupRefusedException($"Backup {backupId} is damaged: {table.File} holds {lines} entities where the manifest says {table.Entities}.");
                if (table.Entities > 0) progress($"checked {table.File}: {table.Entities} entities");
            }
            progress($"checked {tables.Count} table files ({tables.Sum(t => t.Entities)} entities): sizes, SHA-256 and counts as in the manifest");
            foreach (var blob in blobs.DistinctBy(b => b.File))
                await DownloadCheckedAsync(blob.File, $"{blob.File} ({blob.Container}/{blob.Name})", blob.Bytes, blob.Sha256, folder, ct);
            if (blobs.Count > 0) progress($"checked {blobs.Count} files of uploads and staged rows");
            return new VerifiedBackup(manifest, tables, blobs, folder);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    private async Task<string> DownloadCheckedAsync(string name, string what, long bytes, string sha256, string folder, CancellationToken ct)
    {
        var local = Path.Combine(folder, Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))));
        try
        {
            await store.Container.GetBlobClient(name).DownloadToAsync(local, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new BackupRefusedException($"Backup is incomplete: {what} is missing from {store.Container.Uri}.");
        }
        var length = new FileInfo(local).Length;
        string actual;
        await using (var file = File.OpenRead(local)) actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct));
        if (length != bytes || actual != sha256)
            throw new BackupRefusedException($"Backup is damaged: {what} has {length} bytes and SHA-256 {actual}, the manifest says {bytes} bytes and {sha256}.");
        return local;
    }

    private static int CountLines(string local, string what)
    {
        try
        {
            using var reader = new StreamReader(new GZipStream(File.OpenRead(local), CompressionMode.Decompress));
            var count = 0;
            while (reader.ReadLine() is { } line) if (line.Length > 0) count++;
            return count;
        }
        catch (InvalidDataException)
        {
            throw new BackupRefusedException($"Backup is damaged: {what} is not a gzip file.");
        }
    }
}

/// <summary>A backup whose files were checked, kept in <see cref="Folder"/> until disposed.</summary>
public sealed record VerifiedBackup(BackupManifest Manifest, IReadOnlyList<BackupTableFile> Tables, IReadOnlyList<BackupBlobFile> Blobs, string Folder) : IDisposable
{
    public string LocalFile(string name) => Path.Combine(Folder, Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))));

    public string LocalTableFile(BackupTableFile table) => LocalFile(BackupLayout.InBackup(Manifest.Id, table.File));

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
