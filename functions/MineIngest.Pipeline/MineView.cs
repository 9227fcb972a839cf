using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace MineIngest.Pipeline;

/// <summary>The mines on record at one moment, in ranking order, and when the newest of them was written.</summary>
public sealed record MineSnapshot(MineEntity[] Ranked, DateTimeOffset? AsOf);

/// <summary>
/// An in-memory view of the mines table for the API: summaries and rankings read it instead of the table.
/// It asks storage only for mines changed since it last looked (by their Timestamp, with a few seconds'
/// overlap for writes that committed out of order), and not more often than MineViewRefreshSeconds.
/// </summary>
public sealed class MineView(StorageClients storage, IOptions<PipelineOptions> options, TimeProvider time)
{
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string, string), MineEntity> _mines = new();
    private DateTimeOffset? _highWater;
    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;
    private MineSnapshot _snapshot = new([], null);

    public async Task<MineSnapshot> GetAsync(CancellationToken ct)
    {
        if (time.GetUtcNow() - _checkedAt < TimeSpan.FromSeconds(options.Value.MineViewRefreshSeconds)) return _snapshot;
        await _gate.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow();
            if (now - _checkedAt < TimeSpan.FromSeconds(options.Value.MineViewRefreshSeconds)) return _snapshot;
            var filter = _highWater is { } since ? TableClient.CreateQueryFilter($"Timestamp ge {since - Overlap}") : null;
            var changed = false;
            await foreach (var mine in storage.Mines.QueryAsync<MineEntity>(filter, maxPerPage: 1000, cancellationToken: ct))
            {
                var key = (mine.PartitionKey, mine.RowKey);
                if (_mines.TryGetValue(key, out var known) && known.ETag == mine.ETag) continue;
                _mines[key] = mine;
                changed = true;
                if (mine.Timestamp > _highWater || _highWater is null) _highWater = mine.Timestamp;
            }
            if (changed)
            {
                var ranked = _mines.Values.ToArray();
                Array.Sort(ranked, MineEntity.Ranking);
                _snapshot = new MineSnapshot(ranked, _highWater);
            }
            _checkedAt = now;
            return _snapshot;
        }
        finally
        {
            _gate.Release();
        }
    }
}
