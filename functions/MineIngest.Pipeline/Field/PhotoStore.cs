using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using MineIngest.Domain.Photos;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Field;

/// <summary>A stored photo of a mine, as listed: which survey it came with, its number there, its size.</summary>
public sealed record StoredPhoto(string Name, string Survey, int Number, int Width, int Height, long Bytes, DateTimeOffset StoredAt);

/// <summary>
/// The surveyors' photos, in the container <see cref="FieldOptions.PhotosContainer"/> under the province's folder:
/// <c>{province}/{mine}/{survey}-{n}.jpg</c>, where {mine} is a hash of the mine's key (any id makes a valid blob name so,
/// and a mine's photos are one prefix to list). The survey, number and size ride in the blob's metadata.
/// </summary>
public sealed class PhotoStore(StorageClients storage)
{
    public BlobContainerClient Container => storage.Blobs.GetBlobContainerClient(FieldOptions.PhotosContainer);

    public static string MineFolder(string province, string mineId) =>
        $"{province}/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(MineEntity.KeyFor(mineId))))[..32]}/";

    public static string NameOf(string surveyId, int number) => $"{surveyId}-{number}.jpg";

    /// <summary>Stores the photo, replacing one sent before with the same survey and number (a phone that sends again after losing the answer).</summary>
    public async Task<StoredPhoto> PutAsync(string province, string mineId, string surveyId, int number, CleanPhoto photo, DateTimeOffset now, CancellationToken ct)
    {
        var name = NameOf(surveyId, number);
        var blob = Container.GetBlobClient(MineFolder(province, mineId) + name);
        var metadata = new Dictionary<string, string>
        {
            ["survey"] = surveyId, ["number"] = number.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["width"] = photo.Width.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["height"] = photo.Height.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // When it was stored, kept with it: a restored blob is written anew, and its own time would say the restore's.
            ["storedat"] = now.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
        await blob.UploadAsync(new BinaryData(photo.Jpeg), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "image/jpeg" }, Metadata = metadata,
        }, ct);
        return new StoredPhoto(name, surveyId, number, photo.Width, photo.Height, photo.Jpeg.Length, now);
    }

    /// <summary>The mine's photos, oldest first: one listing of the mine's prefix.</summary>
    public async Task<IReadOnlyList<StoredPhoto>> ListAsync(string province, string mineId, CancellationToken ct)
    {
        var folder = MineFolder(province, mineId);
        var photos = new List<StoredPhoto>();
        try
        {
            await foreach (var item in Container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, folder, ct))
            {
                var m = item.Metadata;
                photos.Add(new StoredPhoto(item.Name[folder.Length..], (m.TryGetValue("survey", out var survey) ? survey : ""), Number(m, "number"), Number(m, "width"), Number(m, "height"),
                    item.Properties.ContentLength ?? 0,
                    m.TryGetValue("storedat", out var at) && DateTimeOffset.TryParse(at, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var storedAt)
                        ? storedAt : item.Properties.LastModified ?? DateTimeOffset.MinValue));
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // A storage without the container (made at start-up here, by the Bicep in Azure; a restore made before photos existed) holds no photos.
        }
        return photos.OrderBy(p => p.StoredAt).ThenBy(p => p.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>The photo's bytes, or null when the mine has no photo of that name.</summary>
    public async Task<byte[]?> ReadAsync(string province, string mineId, string name, CancellationToken ct)
    {
        try
        {
            var content = await Container.GetBlobClient(MineFolder(province, mineId) + name).DownloadContentAsync(ct);
            return content.Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    private static int Number(IDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var text) && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
}
