using Azure;
using Azure.Data.Tables;

namespace MineIngest.Pipeline.Records;

/// <summary>One problem found in a rejected (or failed) row. PartitionKey survey id, RowKey row and index.</summary>
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

    public static string KeyFor(int row, int index) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{row:D7}-{index:D3}");
}
