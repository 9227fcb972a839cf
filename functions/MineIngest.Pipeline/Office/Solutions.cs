using Azure;
using Azure.Data.Tables;

namespace MineIngest.Pipeline.Office;

/// <summary>
/// The programme office's solution for a mine (table <c>solutions</c>): PartitionKey province, RowKey the mine's key for the
/// current one, the mine's key then the time for each earlier state (its history). Kept apart from the mine, so a new
/// survey of the mine never touches it.
/// </summary>
public sealed class SolutionEntity : ITableEntity, Events.IHasOutbox
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string MineId { get; set; } = "";
    public string Text { get; set; } = "";
    public string? ResponsibleBody { get; set; }
    public string? TargetDate { get; set; }
    public string State { get; set; } = "";
    public DateTimeOffset ChangedAt { get; set; }
    /// <summary>Id of the writer key that made the change.</summary>
    public string ChangedBy { get; set; } = "";

    /// <summary>On a history row: the change's solution.changed event until it is sent (a row written once, never replaced).</summary>
    public string? Outbox { get; set; }
    public DateTimeOffset? OutboxSince { get; set; }
    public bool OutboxPending { get; set; }

    /// <summary>A change's history key: after the current one ('|' sorts after every mine-key character but '}' and '~').</summary>
    public static string HistoryKey(string mineKey, DateTimeOffset at) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{mineKey}|{at.UtcTicks:D19}");
}

public sealed record SolutionRequest(string? Text, string? ResponsibleBody, string? TargetDate, string? State);

public sealed record SolutionDto(string Text, string? ResponsibleBody, string? TargetDate, string State, DateTimeOffset ChangedAt, string ChangedBy)
{
    public static SolutionDto From(SolutionEntity e) => new(e.Text, e.ResponsibleBody, e.TargetDate, e.State, e.ChangedAt, e.ChangedBy);
}

public sealed record MineSolutionDto(string Province, string MineId, SolutionDto? Current, IReadOnlyList<SolutionDto> History);
