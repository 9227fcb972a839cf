using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;

namespace MineIngest.Pipeline.Records;

/// <summary>
/// One problem found in a rejected (or failed) row, or a warning on an accepted one (<see cref="Kind"/>).
/// PartitionKey survey id, RowKey row and index (warnings after a row's errors).
/// </summary>
public sealed class RowErrorEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public int Row { get; set; }
    public string? MineId { get; set; }
    public string Field { get; set; } = "";
    public string Message { get; set; } = "";
    public string MessageFa { get; set; } = "";

    /// <summary>Null for a reason the row was not taken; <see cref="Warning"/> for a note on a mine that was.</summary>
    public string? Kind { get; set; }

    public const string Warning = "warning";

    /// <summary>A warning's index within its row: after any error index, so a row's errors come first.</summary>
    public const int FirstWarningIndex = 900;

    [IgnoreDataMember] public bool IsWarning => Kind == Warning;

    public static string KeyFor(int row, int index) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{row:D7}-{index:D3}");
}
