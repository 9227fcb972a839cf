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

    /// <summary>Property naming the provinces whose mines tables the entry's writes touched, comma-separated.</summary>
    public const string Provinces = "Provinces";

    public static TableEntity Entry(DateTimeOffset at, string surveyId, int chunk, int mines, IEnumerable<string> provinces) =>
        new(Partition, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{KeyAt(at)}-{surveyId}-{chunk:D6}"))
        {
            ["Mines"] = mines, [Provinces] = string.Join(",", provinces.Distinct().Order(StringComparer.Ordinal)),
        };

    /// <summary>Entries written at or after this time sort at or after this key.</summary>
    public static string KeyAt(DateTimeOffset at) => at.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
}
