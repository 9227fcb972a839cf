using Azure;
using Azure.Data.Tables;

namespace MineIngest.Pipeline.Records;

/// <summary>What one chunk of a survey came to. Its existence is what makes a re-delivered chunk count once.</summary>
public sealed class ChunkResultEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public int Rows { get; set; }
    public int Accepted { get; set; }
    public int Rejected { get; set; }
    public int Failed { get; set; }
    /// <summary>Warnings the report shows for the chunk (its first ones: see ChunkProcessor); summed into the survey's completed event.</summary>
    public int Warnings { get; set; }

    public static string KeyFor(int chunk) => chunk.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
}
