using System.Collections.Concurrent;
using System.Text.Json;
using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline.Api;

/// <summary>
/// Answers of one view snapshot, as JSON bytes: many readers ask the same question of the same snapshot (a dashboard, a
/// ranking page), so each is built and serialised once. A new snapshot starts afresh; at most 500 answers are kept.
/// </summary>
public sealed class SnapshotAnswers
{
    /// <summary>Of the snapshot by its number, not a reference: a cache that held the snapshot held every mine it had, and
    /// while the view took in a next round's mines that kept the first round's 100,000 alive (160 MB of the host's peak).</summary>
    private sealed class Answers(long version)
    {
        public long Version { get; } = version;
        /// <summary>Lazy: the requests that arrive while an answer is built wait for that build instead of each making their own.</summary>
        public ConcurrentDictionary<string, Lazy<byte[]>> Bytes { get; } = new(StringComparer.Ordinal);
        // Counted by hand: ConcurrentDictionary.Count takes every lock, and this is asked on every request.
        public int Count;
    }

    private Answers _current = new(MineSnapshot.Empty.Version);

    public byte[] Get<T>(MineSnapshot snapshot, string question, Func<T> build)
    {
        var cache = _current;
        if (cache.Version != snapshot.Version || Volatile.Read(ref cache.Count) > 500) _current = cache = new Answers(snapshot.Version);
        if (cache.Bytes.TryGetValue(question, out var answer)) return answer.Value;
        var made = new Lazy<byte[]>(() => JsonSerializer.SerializeToUtf8Bytes(build(), Api.ApiResults.Json), LazyThreadSafetyMode.ExecutionAndPublication);
        answer = cache.Bytes.GetOrAdd(question, made);
        if (ReferenceEquals(answer, made)) Interlocked.Increment(ref cache.Count);
        return answer.Value;
    }
}
