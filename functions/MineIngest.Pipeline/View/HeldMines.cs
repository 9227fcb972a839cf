using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.View;

/// <summary>
/// The mines a view holds and what it knows of how current they are: each province table's high water, the mines a
/// withdrawal removed lately, and the versions it let go since the last compaction. Changed only by the view's refresh
/// (one at a time, <see cref="MineView"/>); <see cref="All"/> is read by anyone at any time.
/// </summary>
internal sealed class HeldMines(ILogger logger)
{
    /// <summary>Writes commit out of order: a table is read again from this long before its high water.</summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromSeconds(5);
    /// <summary>A fifth of a national survey's mines: five background collections in a next round of 100,000.</summary>
    private const int ReplacedBeforeCollection = 20_000;
    private int _replacedSinceCollection;
    private long _minesRead, _compactions, _compactionTicks;

    /// <summary>How many whole mines were read from storage (keys-only reads not counted).</summary>
    public long MinesRead => Interlocked.Read(ref _minesRead);
    public long Compactions => Interlocked.Read(ref _compactions);
    public double CompactionMs => Interlocked.Read(ref _compactionTicks) / (double)TimeSpan.TicksPerMillisecond;

    /// <summary>Every mine the view has seen, by key; written only by the refresh (one at a time), read by anyone at any time.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), MineEntity> _mines = new();
    public System.Collections.Concurrent.ConcurrentDictionary<(string, string), MineEntity> All => _mines;
    /// <summary>
    /// The newest Timestamp seen in each province's mines table by reading it: every write older than this (less the
    /// overlap) is in the view. Own writes taken in as written do not move it (other instances' writes before them may
    /// not be read yet).
    /// </summary>
    private readonly Dictionary<string, DateTimeOffset> _highWater = new(StringComparer.Ordinal);
    public IReadOnlyDictionary<string, DateTimeOffset> HighWater => _highWater;
    /// <summary>The newest Timestamp of a mine taken in without reading its table (own writes, the stored snapshot): for AsOf.</summary>
    private DateTimeOffset? _newestTaken;
    /// <summary>
    /// Mines removed by a withdrawal, as the change log named them, kept for an hour: an own write noted after the
    /// withdrawal's entry was seen (the chunk's entry comes after its last batch) must not bring a deleted mine back.
    /// </summary>
    private readonly Dictionary<(string, string), (DateTimeOffset Timestamp, DateTimeOffset Seen)> _recentlyRemoved = new();
    private static readonly TimeSpan RemovedKept = TimeSpan.FromHours(1);
    /// <summary>Notes the mines a withdrawal removed (by the change log), and forgets those noted over an hour ago.</summary>
    public void NoteRemoved(IEnumerable<RemovedMine> removed, DateTimeOffset now)
    {
        foreach (var gone in removed) _recentlyRemoved[(gone.Province, gone.RowKey)] = (gone.Timestamp, now);
        foreach (var (key, at) in _recentlyRemoved)
            if (now - at.Seen > RemovedKept) _recentlyRemoved.Remove(key);
    }

    /// <summary>
    /// Takes in the mines read from one province's table; <paramref name="allHeldUpTo"/>: every mine of the table up to this
    /// Timestamp is held as on record. True when any changed the view.
    /// </summary>
    public bool TakeRead(string province, List<MineEntity> read, DateTimeOffset? allHeldUpTo, Dictionary<(string, string), MineEntity?> changes)
    {
        Interlocked.Add(ref _minesRead, read.Count);
        if (allHeldUpTo is { } held && (!_highWater.TryGetValue(province, out var before) || held > before)) _highWater[province] = held;
        var changed = false;
        foreach (var mine in read)
        {
            if (mine.Timestamp is { } stamp && (!_highWater.TryGetValue(province, out var high) || stamp > high)) _highWater[province] = stamp;
            var key = (mine.PartitionKey, mine.RowKey);
            if (_mines.TryGetValue(key, out var known))
            {
                if (known.ETag == mine.ETag) continue;
                _replacedSinceCollection++;
            }
            changes.TryAdd(key, known);
            _mines[key] = mine;
            changed = true;
        }
        return changed;
    }

    /// <summary>Takes in mines this instance wrote, as written; true when any changed the view.</summary>
    public bool TakeIn(List<(string Entry, IReadOnlyList<MineEntity> Mines)> own, Dictionary<(string, string), MineEntity?> changes)
    {
        var changed = false;
        foreach (var (_, mines) in own)
        {
            foreach (var mine in mines)
            {
                // Unless the view holds it as written since (by another instance, read above or before), or it was deleted since.
                var key = (mine.PartitionKey, mine.RowKey);
                if (_mines.TryGetValue(key, out var known) && known.Timestamp is { } stamp && stamp >= mine.Timestamp) continue;
                if (_recentlyRemoved.TryGetValue(key, out var deleted) && deleted.Timestamp >= mine.Timestamp) continue;
                // Counted as replaced even when new: held until the view took them in, they reached the oldest
                // generation, and so did much of the scoring around them; the collection compacts it.
                _replacedSinceCollection++;
                changes.TryAdd(key, known);
                _mines[key] = mine;
                if (_newestTaken is not { } newest || mine.Timestamp > newest) _newestTaken = mine.Timestamp;
                changed = true;
            }
        }
        return changed;
    }

    /// <summary>Removes the mines a withdrawal deleted, unless written again since (a newer Timestamp: a survey sent again after it adds the mine anew).</summary>
    public bool Remove(List<RemovedMine> removed, Dictionary<(string, string), MineEntity?> changes)
    {
        var changed = false;
        foreach (var gone in removed)
        {
            var key = (gone.Province, gone.RowKey);
            if (_mines.TryGetValue(key, out var held) && (held.Timestamp is not { } stamp || stamp <= gone.Timestamp) && _mines.TryRemove(key, out _))
            {
                changes.TryAdd(key, held);
                changed = true;
            }
        }
        return changed;
    }

    public void CollectReplacedVersions()
    {
        if (_replacedSinceCollection < ReplacedBeforeCollection) return;
        // The versions this view let go had lived long enough to reach the oldest generation, which the GC
        // collects only when its budget is spent: in a next round watched from a dashboard, that let every
        // replaced mine pile up. A background collection freed them but left the holes: with the scorer's own
        // writes taken in all through a round, the heap grew by 130-170 MB of them (again 2026-12-06: peaks of
        // 447-504 MB against 368-427 MB). Compacting stops the host 75-110 ms three to five times a round of
        // 100,000 (docs/BENCHMARKS.md, sections 3 and 11): the longest pauses a reader of the view meets.
        _replacedSinceCollection = 0;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Interlocked.Increment(ref _compactions);
        Interlocked.Add(ref _compactionTicks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks);
    }

    /// <summary>When the newest mine the view knows of was written.</summary>
    public DateTimeOffset? AsOf()
    {
        DateTimeOffset? read = _highWater.Count > 0 ? _highWater.Values.Max() : null;
        return read is null || _newestTaken > read ? _newestTaken : read;
    }

    /// <summary>The last snapshot's order (<paramref name="previous"/>) with this refresh's <paramref name="changes"/> merged in.</summary>
    public MineEntity[] Reranked(MineEntity[] previous, Dictionary<(string, string), MineEntity?> changes)
    {
        var gone = new HashSet<MineEntity>(ReferenceEqualityComparer.Instance);
        var added = new List<MineEntity>();
        foreach (var (key, before) in changes)
        {
            _mines.TryGetValue(key, out var now);
            if (ReferenceEquals(now, before)) continue;
            if (before is not null) gone.Add(before);
            if (now is not null) added.Add(now);
        }
        if (RankedMines.Merge(previous, gone, added) is { } merged && merged.Length == _mines.Count) return merged;
        logger.LogWarning("The view's ranking did not match its mines ({Ranked} ranked, {Mines} held); sorted anew", previous.Length, _mines.Count);
        return RankedMines.Sort(_mines);
    }

    /// <summary>The stored snapshot's mines and high water. Compiled optimised at once: run once per process, on a cold start, over 100,000 mines.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Fill(IReadOnlyList<MineEntity> mines, IReadOnlyDictionary<string, DateTimeOffset> highWater)
    {
        DateTimeOffset? newest = null;
        for (var i = 0; i < mines.Count; i++)
        {
            _mines[(mines[i].PartitionKey, mines[i].RowKey)] = mines[i];
            if (mines[i].Timestamp > newest || newest is null) newest = mines[i].Timestamp;
        }
        _newestTaken = newest;
        foreach (var (province, high) in highWater) _highWater[province] = high;
    }
}
