using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline.Office;

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
        var (checkedAt, stale) = await _refresh.WaitAsync(since, TimeSpan.FromSeconds(_options.Value.MineViewWaitSeconds), _items is not null, _logger, "committee list", ct);
        return new ViewRead<IReadOnlyList<CommitteeDto>>(_items ?? [], checkedAt, stale);
    }

    private async Task LoadAsync()
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
        _refresh.RequireAfter(_time.GetUtcNow());
        return CommitteeDto.From(entity);
    }

    /// <summary>Meetings in [from, to] (ISO dates, either may be open) that concern the province (its own, or discussing its mines).</summary>
    public static IEnumerable<CommitteeDto> Select(IEnumerable<CommitteeDto> all, string? from, string? to, string? province) => all.Where(c =>
        (from is null || string.CompareOrdinal(c.Date, from) >= 0) && (to is null || string.CompareOrdinal(c.Date, to) <= 0)
        && (province is null || c.Province == province || c.Mines.Any(m => m.Province == province)));
}
