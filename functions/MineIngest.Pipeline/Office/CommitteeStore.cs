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
    private readonly Lock _adding = new();
    /// <summary>Meetings this instance added, with when: a read that began before one and ends after keeps it.</summary>
    private readonly List<(DateTimeOffset At, CommitteeDto Item)> _added = [];

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

    /// <summary>
    /// The meetings for one request, on the mine view's rules (<see cref="MineView.ReadAsync"/>): a plain request at once
    /// from the list held, one that waits after a read begun at or after what it asks.
    /// </summary>
    public async ValueTask<ViewRead<IReadOnlyList<CommitteeDto>>> ReadAsync(RequestFreshness request, CancellationToken ct)
    {
        var (checkedAt, stale) = await _refresh.ReadAsync(request, TimeSpan.FromSeconds(_options.Value.MineViewWaitSeconds), _items is not null, _logger, "committee list", ct);
        return new ViewRead<IReadOnlyList<CommitteeDto>>(_items ?? [], checkedAt, stale);
    }

    /// <summary>Reads the meetings now (or joins the read running since now): what the background refresh calls.</summary>
    public Task CheckNowAsync(CancellationToken ct) => _refresh.EnsureAsync(_time.GetUtcNow()).WaitAsync(ct);

    private async Task LoadAsync()
    {
        var began = _time.GetUtcNow();
        var items = new List<CommitteeDto>();
        await foreach (var e in _storage.Committees.QueryAsync<CommitteeEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {CommitteeEntity.Partition}")))
            items.Add(CommitteeDto.From(e));
        lock (_adding)
        {
            // A meeting this instance added while the read ran may be missing from it: kept, not dropped until the next read.
            var missed = _added.Where(a => a.At >= began && !items.Any(i => i.Id == a.Item.Id)).Select(a => a.Item).ToList();
            if (missed.Count > 0) items = Ordered(items.Concat(missed));
            _added.RemoveAll(a => a.At < began);
            if (_items is not { } old || old.Count != items.Count || !old.Select(i => i.Id).SequenceEqual(items.Select(i => i.Id))) Interlocked.Increment(ref _version);
            _items = items;
        }
    }

    /// <summary>In the order a read lists them: by RowKey, the date and then the id.</summary>
    private static List<CommitteeDto> Ordered(IEnumerable<CommitteeDto> items) => [.. items.OrderBy(i => $"{i.Date}|{i.Id}", StringComparer.Ordinal)];

    public async Task<CommitteeDto> AddAsync(CommitteeEntity entity, CancellationToken ct)
    {
        await _storage.Committees.AddEntityAsync(entity, ct);
        _refresh.RequireAfter(_time.GetUtcNow());
        var added = CommitteeDto.From(entity);
        // In this instance's very next answer, plain ones too (they do not wait for a read).
        lock (_adding)
        {
            _added.Add((_time.GetUtcNow(), added));
            if (_items is { } items && !items.Any(i => i.Id == added.Id))
            {
                _items = Ordered(items.Append(added));
                Interlocked.Increment(ref _version);
            }
        }
        return added;
    }

    /// <summary>Meetings in [from, to] (ISO dates, either may be open) that concern the province (its own, or discussing its mines).</summary>
    public static IEnumerable<CommitteeDto> Select(IEnumerable<CommitteeDto> all, string? from, string? to, string? province) => all.Where(c =>
        (from is null || string.CompareOrdinal(c.Date, from) >= 0) && (to is null || string.CompareOrdinal(c.Date, to) <= 0)
        && (province is null || c.Province == province || c.Mines.Any(m => m.Province == province)));
}
