using System.Collections.Concurrent;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.View;

/// <summary>
/// The mines this instance's scorer wrote, handed to its view as written (with their ETags and Timestamps) by the
/// change-log entry that names them, so the view need not read them back. An entry is expected before it is written
/// and noted after: a refresh that lists an expected entry leaves it for the next one, one that lists a noted entry
/// takes its mines, and entries taken in between refreshes are counted as seen when the log lists them.
/// </summary>
public sealed class OwnWrites
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<MineEntity>> _noted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _expected = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _taken = new(StringComparer.Ordinal);
    private long _pending;

    public void Expect(string entry) => _expected[entry] = 0;

    public void End(string entry) => _expected.TryRemove(entry, out _);

    /// <summary>Notes the mines of <paramref name="entry"/>; returns how many mines wait to be taken in.</summary>
    public long Note(string entry, IReadOnlyList<MineEntity> mines)
    {
        _noted[entry] = mines;
        return Interlocked.Add(ref _pending, mines.Count);
    }

    public bool IsEmpty => _noted.IsEmpty;

    /// <summary>Being written, its mines not noted yet. Asked before <see cref="TryTake"/>: an entry no longer expected was noted first, if at all.</summary>
    public bool IsExpected(string entry) => _expected.ContainsKey(entry);

    /// <summary>Taken in between refreshes: seen.</summary>
    public bool IsTaken(string entry) => _taken.ContainsKey(entry);

    public bool TryTake(string entry, out IReadOnlyList<MineEntity> mines)
    {
        if (!_noted.TryRemove(entry, out mines!)) return false;
        Interlocked.Add(ref _pending, -mines.Count);
        return true;
    }

    /// <summary>Every entry noted, taken now (between refreshes) and remembered as taken until the log lists it.</summary>
    public List<(string Entry, IReadOnlyList<MineEntity> Mines)> TakeAll()
    {
        var all = new List<(string Entry, IReadOnlyList<MineEntity> Mines)>();
        foreach (var entry in _noted.Keys)
        {
            if (!TryTake(entry, out var mines)) continue;
            all.Add((entry, mines));
            _taken[entry] = 0;
        }
        return all;
    }

    /// <summary>Entries before <paramref name="from"/> (the oldest the log is read from) are found or not by now: what is held for them goes.</summary>
    public void Forget(string from)
    {
        foreach (var entry in _taken.Keys)
            if (string.CompareOrdinal(entry, from) < 0) _taken.TryRemove(entry, out _);
    }
}
