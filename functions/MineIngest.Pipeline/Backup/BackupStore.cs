using System.Text.Json;
using Azure;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Backup;

/// <summary>Where backups go; bound from the "Backup" section.</summary>
public sealed class BackupOptions
{
    public const string Section = "Backup";

    /// <summary>
    /// A connection string of the storage account that keeps the backups. Empty: <see cref="AccountName"/>, else the app's own
    /// storage (fine locally; in Azure a backup in the same account dies with it, so the Bicep sets a second account).
    /// </summary>
    public string? Connection { get; set; }

    /// <summary>The backup account's name, reached with the app's managed identity (AzureWebJobsStorage__clientId).</summary>
    public string? AccountName { get; set; }

    public string Container { get; set; } = "backups";
}

/// <summary>The backup container: the manifests listed, a backup's files read, new files added (never replaced: the container may be WORM).</summary>
public sealed class BackupStore
{
    public BlobContainerClient Container { get; }

    public BackupStore(BlobContainerClient container) => Container = container;

    public static BackupStore From(BackupOptions options, StorageClients app, string? clientId = null)
    {
        if (!string.IsNullOrWhiteSpace(options.Connection))
            return new(new BlobContainerClient(options.Connection, options.Container));
        if (!string.IsNullOrWhiteSpace(options.AccountName))
        {
            var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
            return new(new BlobContainerClient(new Uri($"https://{options.AccountName}.blob.core.windows.net/{options.Container}"), credential));
        }
        return new(app.Blobs.GetBlobContainerClient(options.Container));
    }

    public static BackupStore From(IOptions<BackupOptions> options, StorageClients app, Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        From(options.Value, app, configuration[$"{StorageClients.ConnectionName}:clientId"]);

    /// <summary>
    /// The newest complete backups (those with a manifest), newest first, at most <paramref name="limit"/>; with
    /// <paramref name="idPrefix"/> only those whose id starts with it (a day: "20261206"). Ids sort by time, so only the
    /// manifests listed are read (hourly backups kept 35 days are 840 folders).
    /// </summary>
    public async Task<List<BackupManifest>> ListAsync(CancellationToken ct, int limit = 100, string? idPrefix = null)
    {
        var ids = new List<string>();
        if (!(await Container.ExistsAsync(ct)).Value) return [];
        await foreach (var item in Container.GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", idPrefix, ct))
            if (item.IsPrefix && !item.Prefix.StartsWith("content/", StringComparison.Ordinal)) ids.Add(item.Prefix.TrimEnd('/'));
        var found = new List<BackupManifest>();
        foreach (var id in ids.OrderDescending(StringComparer.Ordinal))
        {
            if (found.Count >= limit) break;
            if (await ManifestIfExistsAsync(id, ct) is { } manifest) found.Add(manifest);
        }
        return found;
    }

    public async Task<BackupManifest?> ManifestIfExistsAsync(string backupId, CancellationToken ct)
    {
        try
        {
            var content = await Container.GetBlobClient(BackupLayout.Manifest(backupId)).DownloadContentAsync(ct);
            return JsonSerializer.Deserialize<BackupManifest>(content.Value.Content.ToMemory().Span, BackupLayout.Json);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Adds a file unless one of that name is there (content files are named by their hash: the same name is the same bytes).</summary>
    public async Task AddIfAbsentAsync(string name, Stream content, CancellationToken ct)
    {
        try
        {
            await Container.GetBlobClient(name).UploadAsync(content, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 409 || ex.ErrorCode == BlobErrorCode.BlobAlreadyExists)
        {
        }
    }
}
