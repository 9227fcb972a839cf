using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Data.Tables;

namespace MineIngest.Pipeline.Backup;

/// <summary>
/// A backup as stored: one folder per backup with its manifest and one gzip JSON Lines file per table, and a shared folder
/// of the blobs the record needs (uploads and staged rows), named by the SHA-256 of their content. Laid out in
/// docs/BACKUP.md; readable without the app (`zcat tables/surveys.jsonl.gz | jq`).
/// </summary>
public static class BackupLayout
{
    /// <summary>The format this app writes and the newest it restores: a newer backup is refused rather than half understood.</summary>
    public const int FormatVersion = 1;

    public const string ManifestName = "manifest.json";

    public static string Manifest(string backupId) => $"{backupId}/{ManifestName}";
    public static string TableFile(string table) => $"tables/{table}.jsonl.gz";
    public static string InBackup(string backupId, string file) => $"{backupId}/{file}";

    /// <summary>
    /// Blobs are stored once a day, by content: the day's hourly backups share every upload that did not change, and the
    /// lifecycle rule prunes a day's content with that day's backups.
    /// </summary>
    public static string ContentFile(string day, string sha256) => $"content/{day}/{sha256}";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

/// <summary>What a backup holds and how to check it: every file's entity count, size and SHA-256.</summary>
public sealed record BackupManifest(
    int Format, string Id, string App, string ScoringFingerprint, DateTimeOffset PointInTime, DateTimeOffset StartedAt, DateTimeOffset FinishedAt,
    IReadOnlyList<BackupTableFile> Tables, IReadOnlyList<BackupBlobFile> Blobs, IReadOnlyList<LeftOutSurvey> LeftOut)
{
    public string Note { get; init; } =
        "Tables: one JSON object per line, gzip; each property with its Edm type. Blobs: content/<day>/<sha256>. See docs/BACKUP.md.";

    public int Entities => Tables.Sum(t => t.Entities);
}

public sealed record BackupTableFile(string Table, string File, int Entities, long Bytes, string Sha256);

/// <summary>A blob of the record (<paramref name="Container"/>/<paramref name="Name"/>) and where its content is kept.</summary>
public sealed record BackupBlobFile(
    string Container, string Name, string File, long Bytes, string Sha256, string? ContentType, string? ContentMd5, string ETag,
    IReadOnlyDictionary<string, string>? Metadata);

/// <summary>A survey not settled at the backup's point in time: left out whole, read again from its upload after a restore.</summary>
public sealed record LeftOutSurvey(string Id, string Blob, string Stage);

/// <summary>One table entity as a line of a table file: keys, the Timestamp it had, and every property with its Edm type.</summary>
public static class EntityLine
{
    public static void Write(Utf8JsonWriter writer, TableEntity entity)
    {
        writer.WriteStartObject();
        writer.WriteString("partitionKey", entity.PartitionKey);
        writer.WriteString("rowKey", entity.RowKey);
        if (entity.Timestamp is { } timestamp) writer.WriteString("timestamp", timestamp.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteStartObject("properties");
        foreach (var (name, value) in entity.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag" || value is null) continue;
            writer.WriteStartObject(name);
            WriteTyped(writer, value);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteTyped(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case string s: writer.WriteString("type", "Edm.String"); writer.WriteString("value", s); break;
            case int i: writer.WriteString("type", "Edm.Int32"); writer.WriteNumber("value", i); break;
            // As text, as OData sends it: a JSON number loses digits past 2^53 in most readers.
            case long l: writer.WriteString("type", "Edm.Int64"); writer.WriteString("value", l.ToString(CultureInfo.InvariantCulture)); break;
            case double d when double.IsFinite(d): writer.WriteString("type", "Edm.Double"); writer.WriteNumber("value", d); break;
            case double d: writer.WriteString("type", "Edm.Double"); writer.WriteString("value", d.ToString(CultureInfo.InvariantCulture)); break;
            case bool b: writer.WriteString("type", "Edm.Boolean"); writer.WriteBoolean("value", b); break;
            case DateTimeOffset t: writer.WriteString("type", "Edm.DateTime"); writer.WriteString("value", t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)); break;
            case DateTime t: writer.WriteString("type", "Edm.DateTime"); writer.WriteString("value", new DateTimeOffset(t.ToUniversalTime()).ToString("O", CultureInfo.InvariantCulture)); break;
            case Guid g: writer.WriteString("type", "Edm.Guid"); writer.WriteString("value", g.ToString()); break;
            case byte[] bytes: writer.WriteString("type", "Edm.Binary"); writer.WriteBase64String("value", bytes); break;
            case BinaryData data: writer.WriteString("type", "Edm.Binary"); writer.WriteBase64String("value", data.ToArray()); break;
            default: throw new InvalidDataException($"A table property of type {value.GetType().Name} has no Edm type in the backup format.");
        }
    }

    /// <summary>The entity a line describes; its Timestamp is the one it had (storage sets a new one when it is written).</summary>
    public static TableEntity Read(ReadOnlySpan<byte> line)
    {
        using var document = JsonDocument.Parse(line.ToArray());
        var root = document.RootElement;
        var entity = new TableEntity(root.GetProperty("partitionKey").GetString(), root.GetProperty("rowKey").GetString());
        if (root.TryGetProperty("timestamp", out var timestamp)) entity.Timestamp = DateTimeOffset.Parse(timestamp.GetString()!, CultureInfo.InvariantCulture);
        foreach (var property in root.GetProperty("properties").EnumerateObject())
            entity[property.Name] = ReadTyped(property.Value.GetProperty("type").GetString(), property.Value.GetProperty("value"));
        return entity;
    }

    private static object ReadTyped(string? type, JsonElement value) => type switch
    {
        "Edm.String" => value.GetString()!,
        "Edm.Int32" => value.GetInt32(),
        "Edm.Int64" => long.Parse(value.GetString()!, CultureInfo.InvariantCulture),
        "Edm.Double" => value.ValueKind == JsonValueKind.String ? double.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetDouble(),
        "Edm.Boolean" => value.GetBoolean(),
        "Edm.DateTime" => DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
        "Edm.Guid" => Guid.Parse(value.GetString()!),
        "Edm.Binary" => value.GetBytesFromBase64(),
        _ => throw new InvalidDataException($"Unknown Edm type \"{type}\" in a backup's table file."),
    };
}
