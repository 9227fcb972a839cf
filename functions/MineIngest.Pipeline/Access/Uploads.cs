using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Microsoft.Extensions.Options;
using MineIngest.Domain;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Access;

/// <summary>Bound from the "Uploads" section.</summary>
public sealed class UploadOptions
{
    public const string Section = "Uploads";

    /// <summary>How long an upload URL lasts; the issue caps it at 15 minutes.</summary>
    [Range(1, 15)]
    public int SasMinutes { get; set; } = 15;

    /// <summary>
    /// Comma-separated origins of the upload page, for the blob service's CORS rule (read by <see cref="StorageClients"/>).
    /// The local host sets its own; in Azure leave it empty (the Bicep template sets the rule).
    /// </summary>
    public string BrowserOrigins { get; set; } = "";

    /// <summary>Days a report's rows stay downloadable as rows to fix: then the staged rows and row errors are deleted.</summary>
    [Range(1, 3650)]
    public int ReportRetentionDays { get; set; } = 90;
}

public sealed record UploadRequest(string? FileName);

public sealed record UploadTicket(Uri UploadUrl, string Blob, DateTimeOffset ExpiresOn);

/// <summary>Who was given the upload link of a blob: partition the folder, row a hash of the blob's name (any name is a valid key so).</summary>
public sealed class UploadLinkEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
    public string Blob { get; set; } = "";
    public DateTimeOffset IssuedAt { get; set; }
    public string ActorKind { get; set; } = "";
    public string ActorId { get; set; } = "";
    public string ActorName { get; set; } = "";

    public static string KeyFor(string blob) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(blob)));

    [System.Runtime.Serialization.IgnoreDataMember]
    public Actor Actor => new(ActorKind, ActorId, ActorName);
}

/// <summary>
/// The valet key: a SAS for one new blob under the province's folder, create and write only.
/// Signed with a user delegation key when the app holds no account key (managed identity in Azure),
/// with the account key otherwise (Azurite).
/// </summary>
public sealed class UploadSasIssuer(StorageClients storage, IOptions<UploadOptions> options, TimeProvider time)
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _keyLock = new(1, 1);
    private UserDelegationKey? _delegationKey;

    public async Task<UploadTicket> IssueAsync(string folder, string cleanedFileName, Actor actor, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var blobName = UploadFileNames.BlobName(folder, cleanedFileName, now, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)));
        var blob = storage.Surveys.GetBlobClient(blobName);
        var expiresOn = now.AddMinutes(options.Value.SasMinutes);
        var sas = new BlobSasBuilder
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            StartsOn = now - ClockSkew, // office PCs' clocks drift
            ExpiresOn = expiresOn,
            Protocol = blob.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };
        sas.SetPermissions(BlobSasPermissions.Create | BlobSasPermissions.Write);

        Uri url;
        if (blob.CanGenerateSasUri)
        {
            url = blob.GenerateSasUri(sas);
        }
        else
        {
            var key = await DelegationKeyAsync(now, expiresOn, ct);
            url = new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key, storage.Blobs.AccountName) }.ToUri();
        }
        // Kept before the link is handed out, so that the survey made from the blob can always name who sent it.
        await storage.UploadLinks.UpsertEntityAsync(new UploadLinkEntity
        {
            PartitionKey = folder, RowKey = UploadLinkEntity.KeyFor(blobName), Blob = blobName, IssuedAt = now,
            ActorKind = actor.Kind, ActorId = actor.Id, ActorName = actor.Name,
        }, TableUpdateMode.Replace, ct);
        return new UploadTicket(url, blobName, expiresOn);
    }

    /// <summary>Who was given the link the blob was uploaded with; null for a blob put there otherwise (a province's storage access).</summary>
    public async Task<Actor?> UploaderAsync(string folder, string blob, CancellationToken ct)
    {
        var link = await storage.UploadLinks.GetEntityIfExistsAsync<UploadLinkEntity>(folder, UploadLinkEntity.KeyFor(blob), cancellationToken: ct);
        return link.HasValue ? link.Value!.Actor : null;
    }

    /// <summary>One delegation key serves many tickets: fetched for a day, renewed when it would end before a ticket does.</summary>
    private async Task<UserDelegationKey> DelegationKeyAsync(DateTimeOffset now, DateTimeOffset needed, CancellationToken ct)
    {
        await _keyLock.WaitAsync(ct);
        try
        {
            if (_delegationKey is null || _delegationKey.SignedExpiresOn < needed)
                _delegationKey = (await storage.Blobs.GetUserDelegationKeyAsync(new BlobGetUserDelegationKeyOptions(now.AddDays(1)) { StartsOn = now - ClockSkew }, ct)).Value;
            return _delegationKey;
        }
        finally
        {
            _keyLock.Release();
        }
    }
}
