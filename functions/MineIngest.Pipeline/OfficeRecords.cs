using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
/// The committee meetings, held in memory for the summary (tens a year) and read again on the same freshness rule as the
/// mine view (<see cref="ReadAsync"/>), so that polling the summary costs storage one small query per refresh. A meeting
/// this instance records is in its very next answer.
/// </summary>
public sealed class CommitteeStore
{
    private readonly StorageClients _storage;
    private readonly IOptions<PipelineOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CommitteeStore> _logger;
    private readonly CoalescedRefresh _refresh;
    private volatile IReadOnlyList<CommitteeDto>? _items;
    private long _version;
    /// <summary>When this instance last recorded a meeting: no answer may come from a read begun before it.</summary>
    private long _ownWriteTicks;

    public CommitteeStore(StorageClients storage, IOptions<PipelineOptions> options, TimeProvider time, ILogger<CommitteeStore> logger)
    {
        _storage = storage;
        _options = options;
        _time = time;
        _logger = logger;
        _refresh = new CoalescedRefresh(LoadAsync, time);
    }

    /// <summary>Changes whenever the list does: part of the summary's cache key and ETag.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>The meetings as read at or after <paramref name="since"/> (or after this instance's last write), on the mine view's rules.</summary>
    public async Task<ViewRead<IReadOnlyList<CommitteeDto>>> ReadAsync(DateTimeOffset since, CancellationToken ct)
    {
        var ownWrite = new DateTimeOffset(Interlocked.Read(ref _ownWriteTicks), TimeSpan.Zero);
        if (ownWrite > since) since = ownWrite;
        await ViewFreshness.WaitAsync(_refresh, since, _options.Value.MineViewWaitSeconds, _items is not null, _logger, "committee list", ct);
        var checkedAt = _refresh.CheckedAt ?? DateTimeOffset.MinValue;
        return new ViewRead<IReadOnlyList<CommitteeDto>>(_items ?? [], checkedAt, checkedAt < since);
    }

    private async Task LoadAsync(DateTimeOffset startedAt)
    {
        var items = new List<CommitteeDto>();
        await foreach (var e in _storage.Committees.QueryAsync<CommitteeEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {CommitteeEntity.Partition}")))
            items.Add(CommitteeDto.From(e));
        if (_items is not { } old || old.Count != items.Count || !old.Select(i => i.Id).SequenceEqual(items.Select(i => i.Id))) Interlocked.Increment(ref _version);
        _items = items;
    }

    public async Task<CommitteeDto> AddAsync(CommitteeEntity entity, CancellationToken ct)
    {
        await _storage.Committees.AddEntityAsync(entity, ct);
        Interlocked.Exchange(ref _ownWriteTicks, _time.GetUtcNow().UtcTicks);
        return CommitteeDto.From(entity);
    }

    /// <summary>Meetings in [from, to] (ISO dates, either may be open) that concern the province (its own, or discussing its mines).</summary>
    public static IEnumerable<CommitteeDto> Select(IEnumerable<CommitteeDto> all, string? from, string? to, string? province) => all.Where(c =>
        (from is null || string.CompareOrdinal(c.Date, from) >= 0) && (to is null || string.CompareOrdinal(c.Date, to) <= 0)
        && (province is null || c.Province == province || c.Mines.Any(m => m.Province == province)));
}
