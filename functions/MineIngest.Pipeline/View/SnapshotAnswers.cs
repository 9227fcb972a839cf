using System.Collections.Concurrent;
using System.Text.Json;
using MineIngest.Pipeline.Api;

namespace MineIngest.Pipeline.View;

/// <summary>
/// Answers of one view snapshot, as JSON bytes: many readers ask the same question of the same snapshot (a dashboard, a
/// ranking page), so each is built and serialised once. A new snapshot starts afresh; at most 500 answers are kept.
/// </summary>
public sealed class SnapshotAnswers
{
    private sealed class Answers(MineSnapshot snapshot)
    {
        public MineSnapshot Snapshot { get; } = snapshot;
        public ConcurrentDictionary<string, byte[]> Bytes { get; } = new(StringComparer.Ordinal);
        // Counted by hand: ConcurrentDictionary.Count takes every lock, and this is asked on every request.
        public int Count;
    }

    private Answers _current = new(MineSnapshot.Empty);

    public byte[] Get<T>(MineSnapshot snapshot, string question, Func<T> build)
    {
        var cache = _current;
        if (!ReferenceEquals(cache.Snapshot, snapshot) || Volatile.Read(ref cache.Count) > 500) _current = cache = new Answers(snapshot);
        if (cache.Bytes.TryGetValue(question, out var answer)) return answer;
        answer = cache.Bytes.GetOrAdd(question, _ => JsonSerializer.SerializeToUtf8Bytes(build(), Api.ApiResults.Json));
        Interlocked.Increment(ref cache.Count);
        return answer;
    }
}
