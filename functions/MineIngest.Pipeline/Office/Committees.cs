using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using MineIngest.Domain;
using MineIngest.Pipeline.Ingestion;

namespace MineIngest.Pipeline.Office;

/// <summary>A joint technical committee meeting with investors (table <c>committees</c>, PartitionKey "committee", RowKey date then id).</summary>
public sealed class CommitteeEntity : ITableEntity, Events.IHasOutbox
{
    public const string Partition = "committee";

    public string PartitionKey { get; set; } = Partition;
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string Id { get; set; } = "";
    /// <summary>ISO yyyy-mm-dd.</summary>
    public string Date { get; set; } = "";
    /// <summary>A province slug, or "national".</summary>
    public string Province { get; set; } = "";
    /// <summary>JSON array of names.</summary>
    public string Investors { get; set; } = "[]";
    /// <summary>JSON array of <see cref="CommitteeMine"/>.</summary>
    public string Mines { get; set; } = "[]";
    public string? Notes { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public string RecordedBy { get; set; } = "";

    /// <summary>The meeting's committee.recorded event until it is sent (<see cref="Events.EventOutbox"/>).</summary>
    public string? Outbox { get; set; }
    public DateTimeOffset? OutboxSince { get; set; }
    public bool OutboxPending { get; set; }
}

public sealed record CommitteeMine(string Province, string MineId, string Outcome);

public sealed record CommitteeMineRequest(string? Province, string? MineId, string? Outcome);

public sealed record CommitteeRequest(string? Date, string? Province, List<string>? Investors, List<CommitteeMineRequest>? Mines, string? Notes);

public sealed record CommitteeDto(string Id, string Date, string DateJalali, string Province, IReadOnlyList<string> Investors, IReadOnlyList<CommitteeMine> Mines,
    string? Notes, DateTimeOffset RecordedAt)
{
    public static CommitteeDto From(CommitteeEntity e) => new(e.Id, e.Date,
        SurveyValues.TryParseDate(e.Date, out var d) ? SurveyValues.ToJalali(d) : e.Date, e.Province,
        JsonSerializer.Deserialize<List<string>>(e.Investors) ?? [], JsonSerializer.Deserialize<List<CommitteeMine>>(e.Mines, PipelineJson.Options) ?? [],
        e.Notes, e.RecordedAt);
}

public sealed record CommitteeList(IReadOnlyList<CommitteeDto> Items);

public static class CommitteeOutcomes
{
    public const string AgreementSigned = "agreement-signed";
    public static readonly IReadOnlyList<string> All = ["interested", AgreementSigned, "declined", "follow-up"];
}
