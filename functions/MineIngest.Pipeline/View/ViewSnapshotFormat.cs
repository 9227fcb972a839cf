using System.IO.Compression;
using System.Text;
using Azure;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.View;

/// <summary>
/// The view snapshot's bytes (<see cref="ViewSnapshotStore"/> keeps them): gzip of a binary list, a header that repeats
/// the blob's metadata, the provinces, the high water and the change-log entries seen, a table of values many mines
/// share, then each mine's fields in <see cref="MineRecord"/>'s order.
/// </summary>
internal static class ViewSnapshotFormat
{
    public const int Format = 1;
    private const string Magic = "MineIngest view";

    public static MemoryStream Serialize(StoredView view, IReadOnlyList<string> provinces, string scoredWith)
    {
        var index = provinces.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i, StringComparer.Ordinal);
        var buffer = new MemoryStream();
        // Buffered: a BinaryWriter straight on the compressor hands it every field alone.
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var buffered = new BufferedStream(gzip, 1 << 16))
        using (var w = new BinaryWriter(buffered, Encoding.UTF8))
        {
            w.Write(Magic);
            w.Write(Format);
            w.Write(scoredWith);
            w.Write(view.CheckedAt.UtcTicks);
            w.Write(provinces.Count);
            foreach (var province in provinces) w.Write(province);
            w.Write(view.HighWater.Count);
            foreach (var (province, high) in view.HighWater)
            {
                w.Write(province);
                w.Write(high.UtcTicks);
            }
            w.Write(view.SeenChanges.Count);
            foreach (var seen in view.SeenChanges) w.Write(seen);
            var shared = SharedValues.Of(view.Mines);
            w.Write(shared.Count);
            foreach (var value in shared.Values) w.Write(value);
            w.Write(view.Mines.Count);
            foreach (var mine in view.Mines)
            {
                w.Write(index[mine.PartitionKey]);
                w.Write(mine.RowKey);
                w.Write(mine.Timestamp?.UtcTicks ?? 0);
                w.Write(mine.ETag.ToString());
                WriteFields(w, mine, shared);
            }
            w.Write(Magic);
        }
        return buffer;
    }

    // Compiled optimised at once (these run once per process, on a cold start, over 100,000 mines).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static StoredView Parse(Stream bytes, IReadOnlyList<string> provinces, string scoredWith, DateTimeOffset checkedAt)
    {
        using var gzip = new GZipStream(bytes, CompressionMode.Decompress, leaveOpen: true);
        // Buffered: a BinaryReader straight on the decompressor asks it for each field alone, millions of small reads.
        using var buffered = new BufferedStream(gzip, 1 << 16);
        using var r = new BinaryReader(buffered, Encoding.UTF8);
        if (r.ReadString() != Magic || r.ReadInt32() != Format || r.ReadString() != scoredWith || r.ReadInt64() != checkedAt.UtcTicks)
            throw new InvalidDataException("The snapshot's header does not match its metadata.");
        var stored = new string[r.ReadInt32()];
        for (var i = 0; i < stored.Length; i++) stored[i] = r.ReadString();
        if (!stored.SequenceEqual(provinces, StringComparer.Ordinal)) throw new InvalidDataException("The snapshot's provinces are not this app's.");
        var highWater = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        for (int i = 0, n = r.ReadInt32(); i < n; i++) highWater[r.ReadString()] = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0, n = r.ReadInt32(); i < n; i++) seen.Add(r.ReadString());
        var shared = new string?[r.ReadInt32() + 1]; // 0: none
        for (var i = 1; i < shared.Length; i++) shared[i] = MineRecord.Share(r.ReadString());
        var count = r.ReadInt32();
        if (count < 0) throw new InvalidDataException("The snapshot's mine count is negative.");
        var mines = new MineEntity[count];
        // Every object made here lives as long as the view: collections meanwhile only copy them from generation to
        // generation. Without any, 100,000 mines read in about a quarter of the time (docs/BENCHMARKS.md).
        using var noCollections = NoCollections.For(count * 1024L);
        for (var i = 0; i < count; i++)
        {
            var mine = mines[i] = new MineEntity { PartitionKey = stored[r.ReadInt32()], RowKey = r.ReadString() };
            var ticks = r.ReadInt64();
            mine.Timestamp = ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
            mine.ETag = new ETag(r.ReadString());
            ReadFields(r, mine, shared);
        }
        if (r.ReadString() != Magic) throw new InvalidDataException("The snapshot does not end where it should.");
        return new StoredView(mines, highWater, seen, checkedAt);
    }

    // A mine's fields in binary, in MineRecord's order. Not its JSON form: parsing 100,000 of those took a new instance
    // 2.8 s, most of its start. Values many mines share (mineral, status, dates, survey, settings...) are written once,
    // in a table before the mines, and each mine names them by number: no string to make or to pool for them.
    private static void WriteFields(BinaryWriter w, MineEntity m, SharedValues shared)
    {
        w.Write(m.MineId);
        w.Write(m.Name);
        shared.Write(w, m.County);
        shared.Write(w, m.Mineral);
        shared.Write(w, m.Status);
        w.Write(m.Latitude);
        w.Write(m.Longitude);
        w.Write(m.ReserveTonnes);
        Number(w, m.GradePct);
        Number(w, m.RoadKm);
        Number(w, m.PowerKm);
        w.Write(m.JobsPotential);
        Number(w, m.JobsCreated);
        Number(w, m.InvestmentBnRial);
        Number(w, m.IdleSince);
        shared.Write(w, m.Problem);
        shared.Write(w, m.SurveyDate);
        shared.Write(w, m.RevivedOn);
        w.Write(m.Score);
        shared.Write(w, m.Tier);
        w.Write(m.Resource);
        w.Write(m.Grade);
        w.Write(m.Access);
        w.Write(m.Jobs);
        w.Write(m.Cost);
        w.Write(m.Solvability);
        shared.Write(w, m.Warnings);
        shared.Write(w, m.SurveyId);
        w.Write(m.Row);
        w.Write(m.SurveyReceivedAt.UtcTicks);
        shared.Write(w, m.ScoredWith);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ReadFields(BinaryReader r, MineEntity m, string?[] shared)
    {
        m.MineId = r.ReadString();
        m.Name = r.ReadString();
        m.County = shared[r.Read7BitEncodedInt()];
        m.Mineral = shared[r.Read7BitEncodedInt()]!;
        m.Status = shared[r.Read7BitEncodedInt()]!;
        m.Latitude = r.ReadDouble();
        m.Longitude = r.ReadDouble();
        m.ReserveTonnes = r.ReadDouble();
        m.GradePct = NullableDouble(r);
        m.RoadKm = NullableDouble(r);
        m.PowerKm = NullableDouble(r);
        m.JobsPotential = r.ReadInt32();
        m.JobsCreated = NullableInt(r);
        m.InvestmentBnRial = NullableDouble(r);
        m.IdleSince = NullableInt(r);
        m.Problem = shared[r.Read7BitEncodedInt()];
        m.SurveyDate = shared[r.Read7BitEncodedInt()]!;
        m.RevivedOn = shared[r.Read7BitEncodedInt()];
        m.Score = r.ReadDouble();
        m.Tier = shared[r.Read7BitEncodedInt()]!;
        m.Resource = r.ReadDouble();
        m.Grade = r.ReadDouble();
        m.Access = r.ReadDouble();
        m.Jobs = r.ReadDouble();
        m.Cost = r.ReadDouble();
        m.Solvability = r.ReadDouble();
        m.Warnings = shared[r.Read7BitEncodedInt()] ?? "[]";
        m.SurveyId = shared[r.Read7BitEncodedInt()]!;
        m.Row = r.ReadInt32();
        m.SurveyReceivedAt = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero);
        m.ScoredWith = shared[r.Read7BitEncodedInt()];
    }

    /// <summary>The values of the shared fields, numbered; number 0 stands for none (null).</summary>
    private sealed class SharedValues
    {
        private readonly Dictionary<string, int> _numbers = new(StringComparer.Ordinal);
        public List<string> Values { get; } = [];
        public int Count => Values.Count;

        public static SharedValues Of(IEnumerable<MineEntity> mines)
        {
            var shared = new SharedValues();
            foreach (var m in mines)
                foreach (var value in (ReadOnlySpan<string?>)[m.County, m.Mineral, m.Status, m.Problem, m.SurveyDate, m.RevivedOn, m.Tier, m.Warnings, m.SurveyId, m.ScoredWith])
                    if (value is not null && !shared._numbers.ContainsKey(value))
                    {
                        shared.Values.Add(value);
                        shared._numbers[value] = shared.Values.Count; // 1-based: 0 is none
                    }
            return shared;
        }

        public void Write(BinaryWriter w, string? value) => w.Write7BitEncodedInt(value is null ? 0 : _numbers[value]);
    }

    private static void Number(BinaryWriter w, double? value)
    {
        w.Write(value.HasValue);
        if (value is { } v) w.Write(v);
    }

    private static void Number(BinaryWriter w, int? value)
    {
        w.Write(value.HasValue);
        if (value is { } v) w.Write(v);
    }

    private static double? NullableDouble(BinaryReader r) => r.ReadBoolean() ? r.ReadDouble() : null;
    private static int? NullableInt(BinaryReader r) => r.ReadBoolean() ? r.ReadInt32() : null;
}

/// <summary>A stretch of allocations with no garbage collection (GC.TryStartNoGCRegion), where the runtime grants it.</summary>
internal sealed class NoCollections : IDisposable
{
    private readonly bool _started;

    private NoCollections(bool started) => _started = started;

    public static NoCollections For(long bytes)
    {
        try
        {
            return new NoCollections(System.Runtime.GCSettings.LatencyMode != System.Runtime.GCLatencyMode.NoGCRegion && GC.TryStartNoGCRegion(Math.Clamp(bytes, 1 << 20, 240L << 20)));
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or InvalidOperationException)
        {
            return new NoCollections(false); // more than the runtime allows at once, or another thread's region: collections as usual
        }
    }

    public void Dispose()
    {
        if (!_started || System.Runtime.GCSettings.LatencyMode != System.Runtime.GCLatencyMode.NoGCRegion) return;
        try
        {
            GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // The budget ran out (other threads allocate too) and a collection already ended the region.
        }
    }
}
