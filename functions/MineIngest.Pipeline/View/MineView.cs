using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.View;

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
    /// <summary>How far before its last look the view reads the change log: covers clocks of other instances that lag.</summary>
    private static readonly TimeSpan ChangeLogOverlap = TimeSpan.FromMinutes(2);
    /// <summary>Writes within this of the view's last check may not be in it yet (they commit out of order).</summary>
    private static readonly TimeSpan Overlap = HeldMines.Overlap;
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
        _held = new HeldMines(logger);
        _refresh = new CoalescedRefresh(RefreshMeasuredAsync, time);
        _snapshotWriter = new ViewSnapshotWriter(snapshots, storage, work, options, time, logger);
        Telemetry.PipelineTelemetry.ObserveViewAge(() => CheckedAt is { } checkedAt ? (time.GetUtcNow() - checkedAt).TotalSeconds : null);
    }

    /// <summary>How many whole mines this view has read from storage (keys-only reads not counted): what a refresh costs.</summary>
    public long MinesRead => _held.MinesRead;

    /// <summary>What the view's changes have cost so far (docs/BENCHMARKS.md reads it through the local host's diagnostics).</summary>
    public ViewCosts Costs => new(Interlocked.Read(ref _refreshes), Interlocked.Read(ref _refreshTicks) / (double)TimeSpan.TicksPerMillisecond,
        Interlocked.Read(ref _longestRefreshTicks) / (double)TimeSpan.TicksPerMillisecond, Interlocked.Read(ref _changedMines),
        Interlocked.Read(ref _rankingTicks) / (double)TimeSpan.TicksPerMillisecond, MinesRead, _held.Compactions, _held.CompactionMs);

    private long _refreshes, _refreshTicks, _longestRefreshTicks, _changedMines, _rankingTicks;

    /// <summary>Mines this instance wrote, as written, by the change-log entry that names them.</summary>
    private readonly OwnWrites _own = new();
    /// <summary>One change of the view's mines at a time: the refresh, or own writes taken in between refreshes.</summary>
    private readonly SemaphoreSlim _changing = new(1, 1);
    /// <summary>Own writes waiting from which a refresh is started to take them in: they are held twice until then.</summary>
    private const long OwnWritesBeforeRefresh = 20_000;

    /// <summary>Every mine the view has seen, and how current it is (changed only by the refresh, one at a time).</summary>
    private readonly HeldMines _held;
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
            if (_held.TakeIn(own, changes)) Publish(_held.Reranked(_snapshot.Ranked, changes), _lookedAt ?? _time.GetUtcNow(), _seenChanges.ToList());
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
        var changed = await OtherWriters.ReadAsync(_storage, _held, log, haveBase: _loaded || fromSnapshot, changes, ct);
        _held.NoteRemoved(log.Removed, began);
        changed |= _held.TakeIn(log.Own, changes);
        changed |= _held.Remove(log.Removed, changes);
        _held.CollectReplacedVersions();
        if (changed || fromSnapshot)
        {
            // The snapshot's mines are stored in ranking order: unchanged since, they need no sort (100,000 took a new instance 0.1-0.2 s).
            var ranking = System.Diagnostics.Stopwatch.GetTimestamp();
            var ranked = !changed && stored!.Mines is MineEntity[] storedRanked ? storedRanked : wasLoaded ? _held.Reranked(_snapshot.Ranked, changes) : RankedMines.Sort(_held.All);
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
        _snapshot = new MineSnapshot(ranked, _held.AsOf(), _held.All, Interlocked.Increment(ref _version));
        // Copies of the small parts; the ranked array is this change's own.
        _snapshotWriter.Offer(new StoredView(ranked, new Dictionary<string, DateTimeOffset>(_held.HighWater, StringComparer.Ordinal), seen, checkedAt), _snapshot.Version);
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
        _held.Fill(stored.Mines, stored.HighWater);
        _seenChanges = new HashSet<string>(stored.SeenChanges, StringComparer.Ordinal);
        _lookedAt = stored.CheckedAt;
        _logger.LogInformation("Mine view started from the snapshot of {CheckedAt}: {Mines} mines, read in {Ms} ms", stored.CheckedAt, stored.Mines.Count,
            (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return stored;
    }
}
