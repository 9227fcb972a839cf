using System.Text;
using Azure;
using System.Buffers;
using System.Runtime.Serialization;
using System.Text.Json;
using Azure.Data.Tables;
using MineIngest.Domain;

namespace MineIngest.Pipeline;

/// <summary>
/// A mine on record: PartitionKey province slug, RowKey the folded mine id. Holds its latest survey's row and score.
/// Stored as <see cref="Data"/> (every field below, one compact JSON array), <see cref="Notes"/> and its earlier versions
/// (<see cref="MineHistory"/>). Nothing filters on the fields in storage (the API answers from its view), and Azurite saves its
/// whole table store every few seconds while anything is written, at a cost that follows the bytes it holds: one array
/// instead of 35 named properties halves a mine's bytes there (docs/BENCHMARKS.md, section 9).
/// </summary>
public sealed class MineEntity : ITableEntity
{
    private string _partitionKey = "";

    public string PartitionKey { get => _partitionKey; set => _partitionKey = MineRecord.Share(value); }
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    /// <summary>The stored form of the fields marked [IgnoreDataMember] (<see cref="MineRecord"/>).</summary>
    public string Data
    {
        get => MineRecord.Write(this);
        set => MineRecord.Read(value, this);
    }

    [IgnoreDataMember] public string MineId { get; set; } = "";
    [IgnoreDataMember] public string Name { get; set; } = "";
    [IgnoreDataMember] public string? County { get; set; }
    [IgnoreDataMember] public string Mineral { get; set; } = "";
    [IgnoreDataMember] public string Status { get; set; } = "";
    [IgnoreDataMember] public double Latitude { get; set; }
    [IgnoreDataMember] public double Longitude { get; set; }
    [IgnoreDataMember] public double ReserveTonnes { get; set; }
    [IgnoreDataMember] public double? GradePct { get; set; }
    [IgnoreDataMember] public double? RoadKm { get; set; }
    [IgnoreDataMember] public double? PowerKm { get; set; }
    [IgnoreDataMember] public int JobsPotential { get; set; }
    [IgnoreDataMember] public int? JobsCreated { get; set; }
    [IgnoreDataMember] public double? InvestmentBnRial { get; set; }
    [IgnoreDataMember] public int? IdleSince { get; set; }
    [IgnoreDataMember] public string? Problem { get; set; }
    /// <summary>ISO yyyy-mm-dd, so that string order is date order.</summary>
    [IgnoreDataMember] public string SurveyDate { get; set; } = "";
    [IgnoreDataMember] public string? RevivedOn { get; set; }
    /// <summary>A property of its own: the API's view leaves the free text out. Empty is none (a merge writes "" to clear it).</summary>
    public string? Notes { get; set => field = string.IsNullOrEmpty(value) ? null : value; }
    [IgnoreDataMember] public double Score { get; set; }
    [IgnoreDataMember] public string Tier { get; set; } = "";
    [IgnoreDataMember] public double Resource { get; set; }
    [IgnoreDataMember] public double Grade { get; set; }
    [IgnoreDataMember] public double Access { get; set; }
    [IgnoreDataMember] public double Jobs { get; set; }
    [IgnoreDataMember] public double Cost { get; set; }
    [IgnoreDataMember] public double Solvability { get; set; }
    /// <summary>JSON array of warning texts.</summary>
    [IgnoreDataMember] public string Warnings { get; set; } = "[]";
    [IgnoreDataMember] public string SurveyId { get; set; } = "";
    [IgnoreDataMember] public int Row { get; set; }
    /// <summary>When the survey that wrote this was uploaded: breaks ties between surveys of the same date.</summary>
    [IgnoreDataMember] public DateTimeOffset SurveyReceivedAt { get; set; }
    /// <summary>
    /// JSON list of the mine's other versions as mines written before the one-property-per-version format stored them; newer versions are
    /// properties of their own (<see cref="MineHistory"/>), which this class does not map. Not in the API's view.
    /// </summary>
    public string? Earlier { get; set; }
    /// <summary>The scoring settings' fingerprint the score was made with (<see cref="ScoringOptions.Fingerprint"/>).</summary>
    [IgnoreDataMember] public string? ScoredWith { get; set; }

    /// <summary>
    /// The columns that make the mine itself: not its free-text notes nor its history (both only grow a read). What
    /// the API's view holds, and all the scorer needs to decide and to keep the replaced version.
    /// </summary>
    public static readonly string[] RecordColumns = [nameof(PartitionKey), nameof(RowKey), nameof(Timestamp), nameof(Data)];

    /// <summary>The mine in a TableEntity read whole (for its version properties too).</summary>
    public static MineEntity From(TableEntity stored) => new()
    {
        PartitionKey = stored.PartitionKey, RowKey = stored.RowKey, Timestamp = stored.Timestamp, ETag = stored.ETag,
        Data = stored.GetString(nameof(Data)), Notes = stored.GetString(nameof(Notes)), Earlier = stored.GetString(nameof(Earlier)),
    };

    /// <summary>The mine as its survey row described it, for scoring it again.</summary>
    public Domain.Mine ToMine() => new()
    {
        Province = PartitionKey, MineId = MineId, Name = Name, County = County, Mineral = Mineral, Status = Status, Latitude = Latitude,
        Longitude = Longitude, ReserveTonnes = ReserveTonnes, GradePct = GradePct, RoadKm = RoadKm, PowerKm = PowerKm, JobsPotential = JobsPotential,
        JobsCreated = JobsCreated, InvestmentBnRial = InvestmentBnRial, IdleSince = IdleSince, Problem = Problem,
        SurveyDate = DateOnly.ParseExact(SurveyDate, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        RevivedOn = RevivedOn is null ? null : DateOnly.ParseExact(RevivedOn, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), Notes = Notes,
    };

    /// <summary>Writes a score into this entity.</summary>
    public void Apply(Score score, string scoredWith)
    {
        Score = score.Value; Tier = score.Tier; Resource = score.Components.Resource; Grade = score.Components.Grade; Access = score.Components.Access;
        Jobs = score.Components.Jobs; Cost = score.Components.Cost; Solvability = score.Components.Solvability; ScoredWith = scoredWith;
    }

    /// <summary>The ranking order of scoring.md over stored mines; the API's sort and its paging both use it.</summary>
    public static readonly RankingComparer<MineEntity> Ranking = new(m => m.Score, m => m.PartitionKey, m => m.RowKey);

    /// <summary>Whether a row with these versions is newer than this one (surveys.md, "Mines across surveys").</summary>
    public static int CompareVersions(string dateA, DateTimeOffset receivedA, string surveyA, string dateB, DateTimeOffset receivedB, string surveyB)
    {
        var byDate = string.CompareOrdinal(dateA, dateB);
        if (byDate != 0) return byDate;
        var byUpload = receivedA.CompareTo(receivedB);
        return byUpload != 0 ? byUpload : string.CompareOrdinal(surveyA, surveyB);
    }

    /// <summary>A RowKey may not hold / \ # ? or control characters: those are percent-escaped.</summary>
    public static string KeyFor(string mineId)
    {
        var key = Domain.Mine.KeyOf(mineId);
        if (!key.Any(c => c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c))) return key;
        var sb = new StringBuilder();
        foreach (var c in key)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c)) sb.Append('%').Append(((int)c).ToString("X2"));
            else sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>
/// A mine's fields as one JSON array, in a fixed order after a format number: [1, mineId, name, county, mineral, status,
/// latitude, longitude, reserveTonnes, gradePct, roadKm, powerKm, jobsPotential, jobsCreated, investmentBnRial, idleSince,
/// problem, surveyDate, revivedOn, score, tier, resource, grade, access, jobs, cost, solvability, [warnings], surveyId, row,
/// surveyReceivedAt (UTC ticks), scoredWith]. Numbers are written in their shortest round-trip form.
/// </summary>
public static class MineRecord
{
    public const int Format = 1;

    public static string Write(MineEntity m)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            w.WriteNumberValue(Format);
            w.WriteStringValue(m.MineId);
            w.WriteStringValue(m.Name);
            Text(w, m.County);
            w.WriteStringValue(m.Mineral);
            w.WriteStringValue(m.Status);
            w.WriteNumberValue(m.Latitude);
            w.WriteNumberValue(m.Longitude);
            w.WriteNumberValue(m.ReserveTonnes);
            Number(w, m.GradePct);
            Number(w, m.RoadKm);
            Number(w, m.PowerKm);
            w.WriteNumberValue(m.JobsPotential);
            Number(w, m.JobsCreated);
            Number(w, m.InvestmentBnRial);
            Number(w, m.IdleSince);
            Text(w, m.Problem);
            w.WriteStringValue(m.SurveyDate);
            Text(w, m.RevivedOn);
            w.WriteNumberValue(m.Score);
            w.WriteStringValue(m.Tier);
            w.WriteNumberValue(m.Resource);
            w.WriteNumberValue(m.Grade);
            w.WriteNumberValue(m.Access);
            w.WriteNumberValue(m.Jobs);
            w.WriteNumberValue(m.Cost);
            w.WriteNumberValue(m.Solvability);
            w.WriteRawValue(string.IsNullOrEmpty(m.Warnings) ? "[]" : m.Warnings);
            w.WriteStringValue(m.SurveyId);
            w.WriteNumberValue(m.Row);
            w.WriteNumberValue(m.SurveyReceivedAt.UtcTicks);
            Text(w, m.ScoredWith);
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static void Read(string data, MineEntity m)
    {
        using var document = JsonDocument.Parse(data);
        var a = document.RootElement;
        if (a.ValueKind != JsonValueKind.Array || a.GetArrayLength() < 32 || a[0].GetInt32() != Format)
            throw new FormatException($"Mine {m.PartitionKey}/{m.RowKey}: stored data of an unknown format.");
        m.MineId = a[1].GetString()!;
        m.Name = a[2].GetString()!;
        m.County = Shared(a[3]);
        m.Mineral = Shared(a[4])!;
        m.Status = Shared(a[5])!;
        m.Latitude = a[6].GetDouble();
        m.Longitude = a[7].GetDouble();
        m.ReserveTonnes = a[8].GetDouble();
        m.GradePct = NullableDouble(a[9]);
        m.RoadKm = NullableDouble(a[10]);
        m.PowerKm = NullableDouble(a[11]);
        m.JobsPotential = a[12].GetInt32();
        m.JobsCreated = NullableInt(a[13]);
        m.InvestmentBnRial = NullableDouble(a[14]);
        m.IdleSince = NullableInt(a[15]);
        m.Problem = Shared(a[16]);
        m.SurveyDate = Shared(a[17])!;
        m.RevivedOn = Shared(a[18]);
        m.Score = a[19].GetDouble();
        m.Tier = Shared(a[20])!;
        m.Resource = a[21].GetDouble();
        m.Grade = a[22].GetDouble();
        m.Access = a[23].GetDouble();
        m.Jobs = a[24].GetDouble();
        m.Cost = a[25].GetDouble();
        m.Solvability = a[26].GetDouble();
        m.Warnings = a[27].GetArrayLength() == 0 ? "[]" : a[27].GetRawText();
        m.SurveyId = Shared(a[28])!;
        m.Row = a[29].GetInt32();
        m.SurveyReceivedAt = new DateTimeOffset(a[30].GetInt64(), TimeSpan.Zero);
        m.ScoredWith = Shared(a[31]);
    }

    /// <summary>
    /// Values that 100,000 mines share (province, mineral, status, tier, problem, county, dates, survey and settings
    /// ids): one string each instead of one per mine, for the API's view, which holds every mine. Bounded by what
    /// surveys contain (names of the reference lists, dates, surveys).
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Pool = new(StringComparer.Ordinal);

    private static int _pooled;

    // Counted by hand: ConcurrentDictionary.Count takes every lock of the dictionary.
    internal static string Share(string value)
    {
        if (Volatile.Read(ref _pooled) >= 200_000) return value;
        var shared = Pool.GetOrAdd(value, value);
        if (ReferenceEquals(shared, value)) Interlocked.Increment(ref _pooled);
        return shared;
    }

    private static string? Shared(JsonElement e) => e.GetString() is { } text ? Share(text) : null;

    private static void Text(Utf8JsonWriter w, string? value)
    {
        if (value is null) w.WriteNullValue(); else w.WriteStringValue(value);
    }

    private static void Number(Utf8JsonWriter w, double? value)
    {
        if (value is { } v) w.WriteNumberValue(v); else w.WriteNullValue();
    }

    private static void Number(Utf8JsonWriter w, int? value)
    {
        if (value is { } v) w.WriteNumberValue(v); else w.WriteNullValue();
    }

    private static double? NullableDouble(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble();
    private static int? NullableInt(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetInt32();
}

/// <summary>One uploaded survey file. PartitionKey "survey", RowKey the survey id.</summary>
public sealed class SurveyEntity : ITableEntity
{
    public const string Partition = "survey";

    public string PartitionKey { get; set; } = Partition;
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string Blob { get; set; } = "";
    /// <summary>The upload folder: a province slug or "national".</summary>
    public string Folder { get; set; } = "";
    public DateTimeOffset ReceivedAt { get; set; }
    /// <summary>reading, processing, rejected (the totals say when processing is complete).</summary>
    public string Stage { get; set; } = SurveyStage.Reading;
    public int Rows { get; set; }
    public int Chunks { get; set; }
    public bool Enqueued { get; set; }
    public int Accepted { get; set; }
    public int Rejected { get; set; }
    public int Failed { get; set; }
    public string? Error { get; set; }
    /// <summary><see cref="Error"/> in Persian.</summary>
    public string? ErrorFa { get; set; }
    /// <summary>JSON: the survey columns as the file's header named them, in its order (<see cref="SurveyHeaders"/>).</summary>
    public string? Headers { get; set; }
    /// <summary>When the survey's rows to fix were deleted (<see cref="ReportRetention"/>); its counts stay.</summary>
    public DateTimeOffset? RowsPurgedOn { get; set; }
    /// <summary>How many times reading the file has begun; past <see cref="SurveyIngestor.MaxReadAttempts"/> it is rejected.</summary>
    public int ReadAttempts { get; set; }
    /// <summary>Why the last try to read the file failed (for the operator's log; the clerk sees <see cref="Error"/>).</summary>
    public string? LastReadError { get; set; }

    // Methods, not properties: the table serializer would store properties.
    /// <summary>Rows not yet accepted, rejected or failed; none for a rejected file.</summary>
    public int RowsPending() => Stage == SurveyStage.Rejected ? 0 : Math.Max(0, Rows - Accepted - Rejected - Failed);

    /// <summary>Rejected, or read with no row pending: the report is final.</summary>
    public bool IsSettled() => Stage == SurveyStage.Rejected || (Stage != SurveyStage.Reading && RowsPending() == 0);
}

/// <summary>
/// The change log of the mines table: one entity per chunk whose mines were written (PartitionKey "changes", RowKey the
/// write time in ticks, survey and chunk). The API's view asks it, one keyed query, whether anything changed, instead
/// of asking the mines table by Timestamp (a full scan on Azurite and in Azure alike).
/// </summary>
public static class MineChangeLog
{
    public const string Partition = "changes";

    /// <summary>Property naming the provinces whose mines tables the entry's writes touched, comma-separated.</summary>
    public const string Provinces = "Provinces";

    public static TableEntity Entry(DateTimeOffset at, string surveyId, int chunk, int mines, IEnumerable<string> provinces) =>
        new(Partition, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{KeyAt(at)}-{surveyId}-{chunk:D6}"))
        {
            ["Mines"] = mines, [Provinces] = string.Join(",", provinces.Distinct().Order(StringComparer.Ordinal)),
        };

    /// <summary>Entries written at or after this time sort at or after this key.</summary>
    public static string KeyAt(DateTimeOffset at) => at.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
}

public static class SurveyStage
{
    public const string Reading = "reading";
    public const string Processing = "processing";
    public const string Rejected = "rejected";
}

/// <summary>What one chunk of a survey came to. Its existence is what makes a re-delivered chunk count once.</summary>
public sealed class ChunkResultEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public int Rows { get; set; }
    public int Accepted { get; set; }
    public int Rejected { get; set; }
    public int Failed { get; set; }

    public static string KeyFor(int chunk) => chunk.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One problem found in a rejected (or failed) row. PartitionKey survey id, RowKey row and index.</summary>
public sealed class RowErrorEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public int Row { get; set; }
    public string? MineId { get; set; }
    public string Field { get; set; } = "";
    public string Message { get; set; } = "";
    public string MessageFa { get; set; } = "";

    public static string KeyFor(int row, int index) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{row:D7}-{index:D3}");
}
