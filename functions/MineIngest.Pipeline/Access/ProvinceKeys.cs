using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using MineIngest.Domain;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Access;

/// <summary>One upload key of a province, stored only as a salted hash. Partition: province; row: key id.</summary>
public sealed class ProvinceKeyEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
    public string Salt { get; set; } = "";
    public string Hash { get; set; } = "";
    public DateTimeOffset CreatedOn { get; set; }
    public DateTimeOffset? RevokedOn { get; set; }
}

public sealed record ProvinceKeyInfo(string Province, string Id, DateTimeOffset CreatedOn, DateTimeOffset? RevokedOn);

public enum KeyCheck
{
    /// <summary>A live key of this province.</summary>
    Accepted,
    /// <summary>Missing, malformed, unknown, wrong or revoked: 401.</summary>
    Unknown,
    /// <summary>A live key, of another province: 403.</summary>
    OtherProvince,
}

/// <summary>
/// Province upload keys: "{province}.{id}.{secret}". The id finds the record in one read; the 256-bit secret is
/// checked against SHA-256(salt + secret), which is enough for random secrets (no password stretching needed).
/// </summary>
public sealed class ProvinceKeyStore(StorageClients storage, ReferenceData reference, TimeProvider time)
{
    private TableClient Table => storage.ProvinceKeys;

    /// <summary>A province slug or "national": the folders an upload may go to.</summary>
    public string? Folder(string? name) => SurveyIngestor.UploadFolder(reference, name);

    /// <summary>The scope of the programme office's writer keys: solutions, committee meetings, re-scoring. Not a folder.</summary>
    public const string OfficeScope = "office";

    /// <summary>What a key may be made for: an upload folder, or the office.</summary>
    public string? Scope(string? name) => name?.Trim().ToLowerInvariant() == OfficeScope ? OfficeScope : Folder(name);

    /// <summary>Creates a key; the returned text is the only time the secret exists outside the caller.</summary>
    public async Task<(ProvinceKeyInfo Info, string Key)> CreateAsync(string folder, CancellationToken ct)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var salt = RandomNumberGenerator.GetBytes(16);
        var entity = new ProvinceKeyEntity
        {
            PartitionKey = folder, RowKey = id, Salt = Convert.ToBase64String(salt),
            Hash = Convert.ToBase64String(HashOf(salt, secret)), CreatedOn = time.GetUtcNow(),
        };
        await Table.CreateIfNotExistsAsync(ct);
        await Table.AddEntityAsync(entity, ct);
        return (Info(entity), $"{folder}.{id}.{secret}");
    }

    public async Task<IReadOnlyList<ProvinceKeyInfo>> ListAsync(string? folder, CancellationToken ct)
    {
        await Table.CreateIfNotExistsAsync(ct);
        var filter = folder is null ? null : TableClient.CreateQueryFilter($"PartitionKey eq {folder}");
        var keys = new List<ProvinceKeyInfo>();
        await foreach (var entity in Table.QueryAsync<ProvinceKeyEntity>(filter, select: ["PartitionKey", "RowKey", "CreatedOn", "RevokedOn"], cancellationToken: ct))
            keys.Add(Info(entity));
        return keys.OrderBy(k => k.Province, StringComparer.Ordinal).ThenBy(k => k.CreatedOn).ToList();
    }

    /// <summary>Revokes one key of the province, or all of them when no id is given; returns how many were live.</summary>
    public async Task<int> RevokeAsync(string folder, string? id, CancellationToken ct)
    {
        var revoked = 0;
        foreach (var key in await ListAsync(folder, ct))
        {
            if (key.RevokedOn is not null || (id is not null && key.Id != id)) continue;
            var patch = new TableEntity(folder, key.Id) { [nameof(ProvinceKeyEntity.RevokedOn)] = time.GetUtcNow() };
            await Table.UpdateEntityAsync(patch, ETag.All, TableUpdateMode.Merge, ct);
            revoked++;
        }
        return revoked;
    }

    /// <summary>Checks a presented key against the folder it wants to write to (null: a folder that does not exist).</summary>
    public async Task<(KeyCheck Result, string? KeyFolder)> CheckAsync(string? folder, string? presented, CancellationToken ct)
    {
        var parts = (presented ?? "").Trim().Split('.');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0) || Scope(parts[0]) != parts[0] || parts[1].Length > 16 || parts[2].Length > 64)
            return (KeyCheck.Unknown, null);
        var found = await Table.GetEntityIfExistsAsync<ProvinceKeyEntity>(parts[0], parts[1], cancellationToken: ct);
        if (!found.HasValue || found.Value!.RevokedOn is not null) return (KeyCheck.Unknown, null);
        var entity = found.Value;
        if (!CryptographicOperations.FixedTimeEquals(HashOf(Convert.FromBase64String(entity.Salt), parts[2]), Convert.FromBase64String(entity.Hash)))
            return (KeyCheck.Unknown, null);
        return (entity.PartitionKey == folder ? KeyCheck.Accepted : KeyCheck.OtherProvince, entity.PartitionKey);
    }

    private static byte[] HashOf(byte[] salt, string secret) => SHA256.HashData([.. salt, .. Encoding.UTF8.GetBytes(secret)]);

    private static ProvinceKeyInfo Info(ProvinceKeyEntity e) => new(e.PartitionKey, e.RowKey, e.CreatedOn, e.RevokedOn);
}
