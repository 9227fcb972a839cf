using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using MineIngest.Domain;

namespace MineIngest.Pipeline;

/// <summary>
/// The programme office's solution for a mine (table <c>solutions</c>): PartitionKey province, RowKey the mine's key for the
/// current one, the mine's key then the time for each earlier state (its history). Kept apart from the mine, so a new
/// survey of the mine never touches it.
/// </summary>
public sealed class SolutionEntity : ITableEntity
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

/// <summary>A joint technical committee meeting with investors (table <c>committees</c>, PartitionKey "committee", RowKey date then id).</summary>
public sealed class CommitteeEntity : ITableEntity
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

/// <summary>
/// The committee meetings, held in memory for the summary (tens a year): read again at most every few seconds, and at once
/// after this instance records one, so that polling the summary costs storage nothing more than the mines' view does.
/// </summary>
public sealed class CommitteeStore(StorageClients storage, TimeProvider time, ILogger<CommitteeStore> logger)
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(5);
    private (DateTimeOffset At, IReadOnlyList<CommitteeDto> Items)? _cache;
    private long _version;
    private int _refreshing;

    /// <summary>Changes whenever the cached list does: part of the summary's cache key.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>
    /// The meetings. Once loaded, an older list is answered at once while one background read refreshes it: the summary
    /// is read by many at a time, and none of them should wait on storage (or all ask it at once) every 5 seconds.
    /// </summary>
    public async Task<IReadOnlyList<CommitteeDto>> AllAsync(CancellationToken ct)
    {
        if (_cache is not { } cached) return await LoadAsync(ct);
        if (time.GetUtcNow() - cached.At >= Fresh && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0) _ = RefreshInBackgroundAsync();
        return cached.Items;
    }

    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            await LoadAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Committee meetings could not be read again; the summary counts those read before");
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private async Task<IReadOnlyList<CommitteeDto>> LoadAsync(CancellationToken ct)
    {
        var items = new List<CommitteeDto>();
        await foreach (var e in storage.Committees.QueryAsync<CommitteeEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {CommitteeEntity.Partition}"), cancellationToken: ct))
            items.Add(CommitteeDto.From(e));
        if (_cache is not { } old || old.Items.Count != items.Count || !old.Items.Select(i => i.Id).SequenceEqual(items.Select(i => i.Id))) Interlocked.Increment(ref _version);
        _cache = (time.GetUtcNow(), items);
        return items;
    }

    public async Task<CommitteeDto> AddAsync(CommitteeEntity entity, CancellationToken ct)
    {
        await storage.Committees.AddEntityAsync(entity, ct);
        _cache = null;
        return CommitteeDto.From(entity);
    }

    /// <summary>Meetings in [from, to] (ISO dates, either may be open) that concern the province (its own, or discussing its mines).</summary>
    public static IEnumerable<CommitteeDto> Select(IEnumerable<CommitteeDto> all, string? from, string? to, string? province) => all.Where(c =>
        (from is null || string.CompareOrdinal(c.Date, from) >= 0) && (to is null || string.CompareOrdinal(c.Date, to) <= 0)
        && (province is null || c.Province == province || c.Mines.Any(m => m.Province == province)));
}
