using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Ingestion;

/// <summary>Which survey a file is: its id from the blob's name and content, and whether a withdrawn survey's blob was sent again.</summary>
public static class SurveyIdentity
{
    /// <summary>
    /// The content's MD5 in hex. A blob committed from blocks (large or browser uploads) has none: compute it and store
    /// it on the blob (only if the blob is still the one measured), so that the sweep can tell this survey from its
    /// listing alone. A file over the size limit is not read at all: its ETag stands in (it is rejected unread).
    /// </summary>
    public static async Task<(string Hash, ETag BlobETag)> ContentHashAsync(BlobClient blob, BlobProperties properties, long maxFileBytes, ILogger logger,
        CancellationToken ct)
    {
        if (properties.ContentHash is { Length: > 0 } stored) return (Convert.ToHexString(stored), properties.ETag);
        if (properties.ContentLength > maxFileBytes) return ("etag-" + properties.ETag, properties.ETag);
        byte[] md5;
        await using (var stream = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), ct))
        {
            md5 = await MD5.HashDataAsync(stream, ct);
        }
        var etag = properties.ETag;
        try
        {
            etag = (await blob.SetHttpHeadersAsync(new BlobHttpHeaders
            {
                ContentHash = md5,
                ContentType = properties.ContentType,
                ContentEncoding = properties.ContentEncoding,
                ContentLanguage = properties.ContentLanguage,
                ContentDisposition = properties.ContentDisposition,
                CacheControl = properties.CacheControl,
            }, new BlobRequestConditions { IfMatch = properties.ETag }, ct)).Value.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 403 or 409 or 412)
        {
            // Replaced meanwhile (that upload is a survey of its own) or not ours to change: the id stands as computed.
            logger.LogInformation("Could not store the content hash on {Blob}: {Reason}", blob.Name, ex.ErrorCode);
        }
        return (Convert.ToHexString(md5), etag);
    }

    /// <summary>
    /// Whether the blob of a withdrawn survey is another upload (the same file sent again), not the one that was read:
    /// its ETag differs from the one the survey was read from (surveys read before that was kept: written after the withdrawal).
    /// </summary>
    public static bool SentAgainAfterWithdrawal(SurveyEntity survey, ETag blobETag, DateTimeOffset blobLastModified) =>
        survey.WithdrawRequestedAt is { } withdrawn && (survey.BlobETag is { } read ? read != blobETag.ToString() : blobLastModified > withdrawn);

    /// <summary>The same blob name with the same content is the same survey, however often it is delivered or uploaded.</summary>
    public static string Of(string blobName, string contentHash) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(blobName + "\n" + contentHash)))[..32];
}
