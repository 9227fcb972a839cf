using Azure.Data.Tables;

namespace MineIngest.Pipeline.Records;

/// <summary>
/// The change log of the mines table: one entity per chunk whose mines were written (PartitionKey "changes", RowKey the
/// write time in ticks, survey and chunk). The API's view asks it, one keyed query, whether anything changed, instead
/// of asking the mines table by Timestamp (a full scan on Azurite and in Azure alike).
/// </summary>
public static class MineChangeLog
{
    public const string Partition = "changes";

    /// <summary>Property counting the mines the entry's writes touched.</summary>
    public const string Mines = "Mines";

    /// <summary>Property naming the provinces whose mines tables the entry's writes touched, comma-separated.</summary>
    public const string Provinces = "Provinces";

    /// <summary>Property listing the mines the entry's writes deleted (a withdrawal), as JSON <see cref="RemovedMine"/>s: reading
    /// by Timestamp finds what was written, never what is gone.</summary>
    public const string Removed = "Removed";

    public static TableEntity Entry(DateTimeOffset at, string surveyId, int chunk, int mines, IEnumerable<string> provinces,
        IReadOnlyCollection<RemovedMine>? removed = null)
    {
        var entry = new TableEntity(Partition, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{KeyAt(at)}-{surveyId}-{chunk:D6}"))
        {
            [Mines] = mines, [Provinces] = string.Join(",", provinces.Distinct().Order(StringComparer.Ordinal)),
        };
        if (removed is { Count: > 0 }) entry[Removed] = System.Text.Json.JsonSerializer.Serialize(removed, Ingestion.PipelineJson.Options);
        return entry;
    }

    public static IReadOnlyList<RemovedMine> RemovedIn(TableEntity entry) =>
        entry.GetString(Removed) is { Length: > 0 } json ? System.Text.Json.JsonSerializer.Deserialize<List<RemovedMine>>(json, Ingestion.PipelineJson.Options) ?? [] : [];

    /// <summary>Entries written at or after this time sort at or after this key.</summary>
    public static string KeyAt(DateTimeOffset at) => at.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A mine deleted from the record, with the Timestamp it had: a view drops its copy unless it holds a newer one.</summary>
public sealed record RemovedMine(string Province, string RowKey, DateTimeOffset Timestamp);
