using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.View;

/// <summary>
/// The mines on record at one moment, in ranking order, and when the newest of them was written. <see cref="ByKey"/>
/// is the view's live index, shared by every snapshot: it may already hold newer versions than <see cref="Ranked"/>
/// (its users, the scorer and the committee count, want the newest they can get; the scorer writes on ETags anyway).
/// One index instead of one per snapshot: a view refreshed every second while a survey is scored would otherwise
/// build a 100,000-entry dictionary each second.
/// </summary>
/// <param name="Version">Counts the snapshots of this view: a new one whenever a mine changed.</param>
public sealed record MineSnapshot(MineEntity[] Ranked, DateTimeOffset? AsOf, IReadOnlyDictionary<(string, string), MineEntity> ByKey, long Version)
{
    public static readonly MineSnapshot Empty = new([], null, new Dictionary<(string, string), MineEntity>(), 0);
}

/// <summary>
/// An in-memory view of the mines table for the API: summaries and rankings read it instead of the table.
/// Each refresh first reads the mine change log (<see cref="MineChangeLog"/>, one keyed query); only when it holds an
/// entry this view has not seen does it ask the mines tables of the provinces the entries name for mines changed since
/// it last looked at each (by their Timestamp, with a few seconds' overlap for writes that committed out of order).
/// <see cref="ViewRefresher"/> checks it every MineViewRefreshSeconds; a plain request is answered from the last check
/// at once, and only a request that asks for more (no-cache, a view token) waits for a check (<see cref="ReadAsync"/>).
/// </summary>
public sealed class MineView
{
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(5);
    /// <summary>How far before its last look the view reads the change log: covers clocks of other instances that lag.</summary>
    private static readonly TimeSpan ChangeLogOverlap = TimeSpan.FromMinutes(2);
    /// <summary>Unseen writes (by the change log's counts) from which a refresh reads changed mines whole without a keys-first pass.</summary>
    private const long ManyUnseen = 20_000;
    /// <summary>A fifth of a national survey's mines: five background collections in a next round of 100,000.</summary>
    private const int ReplacedBeforeCollection = 20_000;
    private int _replacedSinceCollection;
    private long _minesRead;
    private long _version;

    private readonly StorageClients _storage;
    private readonly IOptions<PipelineOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MineView> _logger;
    private readonly CoalescedRefresh _refresh;
    private readonly ViewSnapshotStore _snapshots;

    public MineView(StorageClients storage, ViewSnapshotStore snapshots, Ingestion.WorkClaims work, IOptions<PipelineOptions> options, TimeProvider time,
        ILogger<MineView> logger)
    {
        _storage = storage;
        _snapshots = snapshots;
        _options = options;
        _time = time;
        _logger = logger;
        _refresh = new CoalescedRefresh(RefreshMeasuredAsync, time);
        _snapshotWriter = new ViewSnapshotWriter(snapshots, storage, work, options, time, logger);
        Telemetry.PipelineTelemetry.ObserveViewAge(() => CheckedAt is { } checkedAt ? (time.GetUtcNow() - checkedAt).TotalSeconds : null);
    }

    /// <summary>How many whole mines this view has read from storage (keys-only reads not counted): what a refresh costs.</summary>
    public long MinesRead => Interlocked.Read(ref _minesRead);

    /// <summary>What the view's changes have cost so far (docs/BENCHMARKS.md reads it through the local host's diagnostics).</summary>
    public ViewCosts Costs => new(Interlocked.Read(ref _refreshes), Interlocked.Read(ref _refreshTicks) / (double)TimeSpan.TicksPerMillisecond,
        Interlocked.Read(ref _longestRefreshTicks) / (double)TimeSpan.TicksPerMillisecond, Interlocked.Read(ref _changedMines),
        Interlocked.Read(ref _rankingTicks) / (double)TimeSpan.TicksPerMillisecond, MinesRead, Interlocked.Read(ref _compactions),
        Interlocked.Read(ref _compactionTicks) / (double)TimeSpan.TicksPerMillisecond);

    private long _refreshes, _refreshTicks, _longestRefreshTicks, _changedMines, _rankingTicks, _compactions, _compactionTicks;

    /// <summary>Mines this instance wrote, as written, by the change-log entry that names them.</summary>
    private readonly OwnWrites _own = new();
    /// <summary>One change of the view's mines at a time: the refresh, or own writes taken in between refreshes.</summary>
    private readonly SemaphoreSlim _changing = new(1, 1);
    /// <summary>Own writes waiting from which a refresh is started to take them in: they are held twice until then.</summary>
    private const long OwnWritesBeforeRefresh = 20_000;

    /// <summary>Every mine the view has seen, by key; written only by the refresh (one at a time), read by anyone at any time.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), MineEntity> _mines = new();
    /// <summary>
    /// The newest Timestamp seen in each province's mines table by reading it: every write older than this (less the
    /// overlap) is in the view. Own writes taken in as written do not move it (other instances' writes before them may
    /// not be read yet).
    /// </summary>
    private readonly Dictionary<string, DateTimeOffset> _highWater = new(StringComparer.Ordinal);
    /// <summary>The newest Timestamp of a mine taken in without reading its table (own writes, the stored snapshot): for AsOf.</summary>
    private DateTimeOffset? _newestTaken;
    /// <summary>
    /// Mines removed by a withdrawal, as the change log named them, kept for an hour: an own write noted after the
    /// withdrawal's entry was seen (the chunk's entry comes after its last batch) must not bring a deleted mine back.
    /// </summary>
    private readonly Dictionary<(string, string), (DateTimeOffset Timestamp, DateTimeOffset Seen)> _recentlyRemoved = new();
    private static readonly TimeSpan RemovedKept = TimeSpan.FromHours(1);
    private volatile bool _loaded;
    private HashSet<string> _seenChanges = new(StringComparer.Ordinal);
    private volatile MineSnapshot _snapshot = MineSnapshot.Empty;
    /// <summary>When the last successful refresh began, or when the stored view this one started from was checked.</summary>
    private DateTimeOffset? _lookedAt;
    private readonly ViewSnapshotWriter _snapshotWriter;

    /// <summary>
    /// The view for one request. A plain one is answered at once from the newest snapshot held (the background refresh
    /// keeps it checked), stale when that check is older than it allows: no plain read waits on storage. One that waits
    /// (no-cache, a view token) gets the view checked at or after what it asks, after the refresh that makes it so
    /// (shared with every concurrent caller); when that refresh does not end within
    /// <see cref="PipelineOptions.MineViewWaitSeconds"/> or fails on storage, the view as last checked, marked stale.
    /// With no view ever loaded there is nothing to serve: every request waits for the first load, and a storage fault
    /// is thrown.
    /// </summary>
    public async ValueTask<ViewRead<MineSnapshot>> ReadAsync(RequestFreshness request, CancellationToken ct)
    {
        // The check's time before the snapshot: the snapshot read after it is at least that new.
        var (checkedAt, stale) = await _refresh.ReadAsync(request, Wait, _loaded, _logger, "mine view", ct);
        return new ViewRead<MineSnapshot>(_snapshot, checkedAt, stale);
    }

    private TimeSpan Wait => TimeSpan.FromSeconds(_options.Value.MineViewWaitSeconds);

    /// <summary>
    /// Checks the view against storage now (or joins the check running since now): what the background refresh calls.
    /// </summary>
    public Task CheckNowAsync(CancellationToken ct) => _refresh.EnsureAsync(_time.GetUtcNow()).WaitAsync(ct);

    /// <summary>
    /// Completes when this instance wrote mines since the last call (or at the timeout, false): the background refresh
    /// then takes them in at once rather than at its next period.
    /// </summary>
    public Task<bool> WrittenAsync(TimeSpan timeout, CancellationToken ct) => _written.WaitAsync(timeout, ct);

    private readonly SemaphoreSlim _written = new(0, 1);

    private void SignalWritten()
    {
        if (_written.CurrentCount > 0) return;
        try
        {
            _written.Release();
        }
        catch (SemaphoreFullException)
        {
            // Another writer signalled first: one wake-up serves both.
        }
    }

    /// <summary>
    /// Mines were written on this instance before <paramref name="at"/>: a request that waits is not answered from a
    /// check begun before then, and the background refresh takes them in now rather than at its next period.
    /// </summary>
    public void NoteWritten(DateTimeOffset at)
    {
        _refresh.RequireAfter(at);
        SignalWritten();
    }

    /// <summary>
    /// A route is about to report a survey <paramref name="status"/> (completed or withdrawn: settled) whose record was last written at <paramref name="surveyWritten"/>
    /// (storage's clock): when that may be after the view's last check (within the overlap kept for clocks), the report
    /// waits (at most MineViewWaitSeconds) for a check begun now, so that the first plain answer after it counts the
    /// survey. The report is read from storage anyway; the readers of the view never wait. Older reports cost nothing.
    /// </summary>
    public async Task NoteReportedAsync(string status, DateTimeOffset? surveyWritten, CancellationToken ct)
    {
        if (status is not ("completed" or "withdrawn") || !_loaded) return;
        if (surveyWritten is { } written && CheckedAt is { } checkedAt && written < checkedAt - Overlap) return;
        await _refresh.WaitAsync(_time.GetUtcNow(), Wait, loaded: true, _logger, "mine view", ct);
    }

    /// <summary>
    /// This instance is about to write the change-log entry <paramref name="entry"/> for mines it wrote and will hand
    /// over with <see cref="NoteOwnWrites"/>; <see cref="EndOwnWrites"/> after, noted or not.
    /// </summary>
    public void ExpectOwnWrites(string entry) => _own.Expect(entry);

    public void EndOwnWrites(string entry) => _own.End(entry);

    /// <summary>
    /// This instance wrote <paramref name="mines"/> (as a read of them would return them, ETags and Timestamps included) and
    /// then the change-log entry <paramref name="entry"/> that names them: the view takes them in (the background refresh
    /// at once, <see cref="TakeOwnWritesAsync"/>; else the next refresh) and counts that entry as seen instead of reading
    /// them back. Other instances' writes are read as before; a mine written again since (a newer Timestamp) is not set back.
    /// </summary>
    public void NoteOwnWrites(string entry, IReadOnlyList<MineEntity> mines)
    {
        var pending = _own.Note(entry, mines);
        SignalWritten();
        // Without the background refresh (MineViewRefreshSeconds 0) only requests refresh: many waiting would be held twice for long.
        if (pending >= OwnWritesBeforeRefresh && _loaded) _ = _refresh.EnsureAsync(_time.GetUtcNow());
    }

    /// <summary>
    /// Takes in the mines this instance wrote and noted, without asking storage anything: the scorer's writes are in its
    /// own answers within the background refresh's short gap (<see cref="ViewRefresher.WritesGap"/>), not its period.
    /// </summary>
    public async Task TakeOwnWritesAsync(CancellationToken ct)
    {
        if (!_loaded || _own.IsEmpty) return;
        await _changing.WaitAsync(ct);
        try
        {
            var own = _own.TakeAll();
            if (own.Count == 0) return;
            var changes = new Dictionary<(string, string), MineEntity?>();
            var changed = TakeIn(own, changes);
            if (changed) Publish(Reranked(changes), _lookedAt ?? _time.GetUtcNow(), _seenChanges.ToList());
        }
        finally
        {
            _changing.Release();
        }
    }

    /// <summary>When the view was last checked against storage, or null before its first load.</summary>
    public DateTimeOffset? CheckedAt => _refresh.CheckedAt;

    /// <summary>
    /// The view as it is, loading it first if it never was; no refresh. For the scorer, which decides from it and
    /// writes with its ETags: a stale entry only makes a conditional write fail, and the scorer then reads.
    /// </summary>
    public async Task<MineSnapshot> LoadedAsync(CancellationToken ct)
    {
        // Asked as of now, not of any time: a first load that failed (storage away) must be tried again, not answered with that failure.
        if (!_loaded) await _refresh.EnsureAsync(_time.GetUtcNow()).WaitAsync(ct);
        return _snapshot;
    }

    /// <summary>The view if it was ever loaded, without loading it.</summary>
    public MineSnapshot? IfLoaded => _loaded ? _snapshot : null;

    /// <summary>One refresh; <see cref="CoalescedRefresh"/> runs one at a time. Nothing of the view changes unless it succeeds.</summary>
    private async Task RefreshMeasuredAsync()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await _changing.WaitAsync();
        try
        {
            await ChangeOnceAsync(CancellationToken.None);
        }
        finally
        {
            _changing.Release();
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            Telemetry.PipelineTelemetry.ViewRefreshDuration.Record(took.TotalSeconds);
            Interlocked.Increment(ref _refreshes);
            Interlocked.Add(ref _refreshTicks, took.Ticks);
            if (took.Ticks > Interlocked.Read(ref _longestRefreshTicks)) Interlocked.Exchange(ref _longestRefreshTicks, took.Ticks);
        }
    }

    /// <summary>
    /// One refresh, in its steps: the stored snapshot on a first load; the change log since the last look; the mines
    /// tables it names, for other instances' writes; this instance's own writes taken in as written; removals; and a new
    /// snapshot when anything changed.
    /// </summary>
    private async Task ChangeOnceAsync(CancellationToken ct)
    {
        var began = _time.GetUtcNow();
        var wasLoaded = _loaded;
        // A first load starts from the stored snapshot when there is one to trust; the change log since then does the rest.
        var stored = _loaded ? null : await LoadSnapshotAsync(ct);
        var fromSnapshot = stored is not null;
        // The log first: whatever it lists was written before, so the mines queries below find it.
        // From the last look: when the last successful refresh began (the running one counts only once it succeeds).
        // Before the first load, only recent entries matter (the load reads every mine anyway).
        var log = await ChangeLogSinceLastLook.ReadAsync(_storage, (_lookedAt ?? began) - ChangeLogOverlap, _seenChanges, _own, ct);
        if (log.Provinces is null && _loaded && log.Own.Count == 0)
        {
            _seenChanges = log.Seen;
            _lookedAt = began;
            return;
        }
        // Each mine this refresh changes, with the version it held before (null: none): what the ranking merges.
        var changes = new Dictionary<(string, string), MineEntity?>();
        var changed = await ReadOthersAsync(log, haveBase: _loaded || fromSnapshot, changes, ct);
        foreach (var gone in log.Removed) _recentlyRemoved[(gone.Province, gone.RowKey)] = (gone.Timestamp, began);
        changed |= TakeIn(log.Own, changes);
        foreach (var (key, at) in _recentlyRemoved)
            if (began - at.Seen > RemovedKept) _recentlyRemoved.Remove(key);
        changed |= Remove(log.Removed, changes);
        CollectReplacedVersions();
        if (changed || fromSnapshot)
        {
            // The snapshot's mines are stored in ranking order: unchanged since, they need no sort (100,000 took a new instance 0.1-0.2 s).
            var ranking = System.Diagnostics.Stopwatch.GetTimestamp();
            var ranked = !changed && stored!.Mines is MineEntity[] storedRanked ? storedRanked : wasLoaded ? Reranked(changes) : RankedMines.Sort(_mines);
            Interlocked.Add(ref _rankingTicks, System.Diagnostics.Stopwatch.GetElapsedTime(ranking).Ticks);
            Interlocked.Add(ref _changedMines, changes.Count);
            Publish(ranked, began, log.Seen.ToList());
            // Started from the stored snapshot with nothing newer in the log: that snapshot is this view; no need to write it again.
            if (fromSnapshot && !changed) _snapshotWriter.AlreadyStored(_snapshot.Version);
        }
        _seenChanges = log.Seen;
        _lookedAt = began;
        _loaded = true;
        _snapshotWriter.Schedule();
    }

    /// <summary>A new snapshot of the view for the answers, and what a stored snapshot written now would hold.</summary>
    private void Publish(MineEntity[] ranked, DateTimeOffset checkedAt, List<string> seen)
    {
        _snapshot = new MineSnapshot(ranked, AsOf(), _mines, Interlocked.Increment(ref _version));
        // Copies of the small parts; the ranked array is this change's own.
        _snapshotWriter.Offer(new StoredView(ranked, new Dictionary<string, DateTimeOffset>(_highWater, StringComparer.Ordinal), seen, checkedAt), _snapshot.Version);
    }

    /// <summary>
    /// Reads the mines written by others since the view last looked at each table the log names (every table on a
    /// first load without a snapshot), and takes in those it does not hold as on record; true when any changed.
    /// </summary>
    private async Task<bool> ReadOthersAsync(ChangeLogSinceLastLook log, bool haveBase, Dictionary<(string, string), MineEntity?> changes, CancellationToken ct)
    {
        // A whole survey's mines written since the last look (a next round nobody watched): most of what the keys-first
        // pass would read is unseen anyway, and that pass over 100,000 keys was a second scan of every changed table.
        var keysFirst = log.Mines < ManyUnseen;
        var tables = !haveBase ? _storage.AllMines.ToList()
            : _storage.AllMines.Where(t => log.Provinces?.Contains(t.Province) == true).ToList();
        var read = new List<MineEntity>[tables.Count];
        var allHeldUpTo = new DateTimeOffset?[tables.Count];
        // A few tables at a time: this host turns one page into mines while storage serves the next.
        await Parallel.ForEachAsync(Enumerable.Range(0, tables.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, token) =>
        {
            var (province, table) = tables[i];
            var mines = read[i] = [];
            // Per table: a province's writes are found however late the log entry that names them comes. A province
            // with none read yet was empty when the view loaded: all of it came since (own writes among it).
            DateTimeOffset? since = _highWater.TryGetValue(province, out var seen) ? seen - Overlap : null;
            if (haveBase && keysFirst)
            {
                // Keys first: the overlap mostly holds mines this view already has (this instance's own writes, all of
                // them), and reading them whole each refresh was most of a polled view's garbage while a survey is scored.
                (since, allHeldUpTo[i]) = await OldestUnseenAsync(table, since, token);
                if (since is null) return;
            }
            var filter = since is { } from ? TableClient.CreateQueryFilter($"Timestamp ge {from}") : null;
            await foreach (var mine in table.QueryAsync<MineEntity>(filter, maxPerPage: 1000, select: MineEntity.RecordColumns, cancellationToken: token)) mines.Add(mine);
            Interlocked.Add(ref _minesRead, mines.Count);
        });
        var changed = false;
        for (var i = 0; i < tables.Count; i++)
        {
            // Every mine of the table up to this Timestamp is held as on record: nothing older is left to read.
            if (allHeldUpTo[i] is { } held && (!_highWater.TryGetValue(tables[i].Province, out var before) || held > before)) _highWater[tables[i].Province] = held;
            foreach (var mine in read[i])
            {
                if (mine.Timestamp is { } stamp && (!_highWater.TryGetValue(tables[i].Province, out var high) || stamp > high)) _highWater[tables[i].Province] = stamp;
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
        }
        return changed;
    }

    /// <summary>Takes in mines this instance wrote, as written; true when any changed the view.</summary>
    private bool TakeIn(List<(string Entry, IReadOnlyList<MineEntity> Mines)> own, Dictionary<(string, string), MineEntity?> changes)
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
    private bool Remove(List<RemovedMine> removed, Dictionary<(string, string), MineEntity?> changes)
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

    private void CollectReplacedVersions()
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
    private DateTimeOffset? AsOf()
    {
        DateTimeOffset? read = _highWater.Count > 0 ? _highWater.Values.Max() : null;
        return read is null || _newestTaken > read ? _newestTaken : read;
    }

    /// <summary>The last snapshot's order with this refresh's <paramref name="changes"/> merged in.</summary>
    private MineEntity[] Reranked(Dictionary<(string, string), MineEntity?> changes)
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
        if (RankedMines.Merge(_snapshot.Ranked, gone, added) is { } merged && merged.Length == _mines.Count) return merged;
        _logger.LogWarning("The view's ranking did not match its mines ({Ranked} ranked, {Mines} held); sorted anew", _snapshot.Ranked.Length, _mines.Count);
        return RankedMines.Sort(_mines);
    }

    /// <summary>
    /// Fills the view from the stored snapshot and returns it; null (and the view untouched) when there is none to trust
    /// or storage fails: the tables are read instead.
    /// </summary>
    private async Task<StoredView?> LoadSnapshotAsync(CancellationToken ct)
    {
        StoredView? stored;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            stored = await _snapshots.ReadAsync(_storage.AllMines.Select(m => m.Province).ToList(), ct);
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or AggregateException or HttpRequestException)
        {
            _logger.LogWarning("The view's snapshot could not be read ({Reason}); reading every mine", ex.Message);
            return null;
        }
        if (stored is null) return null;
        Fill(stored.Mines);
        foreach (var (province, high) in stored.HighWater) _highWater[province] = high;
        _seenChanges = new HashSet<string>(stored.SeenChanges, StringComparer.Ordinal);
        _lookedAt = stored.CheckedAt;
        _logger.LogInformation("Mine view started from the snapshot of {CheckedAt}: {Mines} mines, read in {Ms} ms", stored.CheckedAt, stored.Mines.Count,
            (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return stored;
    }

    /// <summary>Compiled optimised at once: run once per process, on a cold start, over 100,000 mines.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Fill(IReadOnlyList<MineEntity> mines)
    {
        DateTimeOffset? newest = null;
        for (var i = 0; i < mines.Count; i++)
        {
            _mines[(mines[i].PartitionKey, mines[i].RowKey)] = mines[i];
            if (mines[i].Timestamp > newest || newest is null) newest = mines[i].Timestamp;
        }
        _newestTaken = newest;
    }

    /// <summary>
    /// The Timestamp of the oldest mine written since <paramref name="from"/> (any time when null) that this view does
    /// not hold in the version on record (by ETag), or null when it holds them all, and then the newest Timestamp among
    /// them; reads keys and Timestamps only.
    /// </summary>
    private async Task<(DateTimeOffset? OldestUnseen, DateTimeOffset? NewestHeld)> OldestUnseenAsync(TableClient table, DateTimeOffset? from, CancellationToken ct)
    {
        DateTimeOffset? oldest = null, newest = null;
        var filter = from is { } since ? TableClient.CreateQueryFilter($"Timestamp ge {since}") : null;
        await foreach (var key in table.QueryAsync<TableEntity>(filter, maxPerPage: 1000,
                           select: [nameof(ITableEntity.PartitionKey), nameof(ITableEntity.RowKey), nameof(ITableEntity.Timestamp)], cancellationToken: ct))
        {
            if (key.Timestamp is not { } stamp) return (from ?? DateTimeOffset.UnixEpoch, null);
            if (_mines.TryGetValue((key.PartitionKey, key.RowKey), out var known) && known.ETag == key.ETag)
            {
                if (newest is null || stamp > newest) newest = stamp;
                continue;
            }
            if (oldest is null || stamp < oldest) oldest = stamp;
        }
        return oldest is null ? (null, newest) : (oldest, null);
    }
}

/// <summary>
/// What the view's refreshes have cost since the instance started: how many, their time in all and the longest, the
/// mines they changed and the time spent ordering them, the whole mines read from storage, and the collections the view
/// forced to let replaced versions go (each stops the process).
/// </summary>
public sealed record ViewCosts(long Refreshes, double RefreshMs, double LongestRefreshMs, long ChangedMines, double RankingMs, long MinesRead,
    long Compactions, double CompactionMs);
