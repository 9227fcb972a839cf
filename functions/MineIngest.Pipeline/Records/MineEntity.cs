using System.Globalization;
using System.Buffers;
using System.Text;
using Azure;
using System.Runtime.Serialization;
using Azure.Data.Tables;
using MineIngest.Domain;

namespace MineIngest.Pipeline.Records;

/// <summary>
/// A mine on record: PartitionKey province slug, RowKey the folded mine id. Holds its latest survey's row and score.
/// Stored as <see cref="Data"/> (every field below, one compact JSON array), <see cref="Notes"/> and its earlier versions
/// (<see cref="MineHistory"/>). Nothing filters on the fields in storage (the API answers from its view), and Azurite saves its
/// whole table store every few seconds while anything is written, at a cost that follows the bytes it holds: one array
/// instead of 35 named properties halves a mine's bytes there (docs/BENCHMARKS.md, section 2).
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

    /// <summary>
    /// The mine as a read of <see cref="RecordColumns"/> returns it right after a write of <paramref name="source"/>'s record
    /// answered with <paramref name="etag"/>, or null when the ETag does not give the write's Timestamp. Table storage (Azurite
    /// too) makes an entity's ETag <c>W/"datetime'&lt;its Timestamp, URL-encoded&gt;'"</c>.
    /// </summary>
    public static MineEntity? AsWritten(MineEntity source, ETag? etag)
    {
        const string Prefix = "W/\"datetime'", Suffix = "'\"";
        var text = etag?.ToString();
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal) || !text.EndsWith(Suffix, StringComparison.Ordinal)
            || !DateTimeOffset.TryParse(Uri.UnescapeDataString(text[Prefix.Length..^Suffix.Length]), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var timestamp)) return null;
        // Through Data, as a read would: the same shared strings, and exactly the fields storage holds.
        return new MineEntity { PartitionKey = source.PartitionKey, RowKey = source.RowKey, Timestamp = timestamp, ETag = etag!.Value, Data = source.Data };
    }

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

    /// <summary>
    /// A RowKey may not hold / \ # ? or control characters: those are percent-escaped (% too, so no two ids share a key).
    /// So are the line and paragraph separators and a comma that comes first or after an apostrophe: Azurite fails a
    /// batch holding them, or files the entity under a wrong key (its key parser splits at "','"), while Azure does not.
    /// </summary>
    public static string KeyFor(string mineId)
    {
        var key = Domain.Mine.KeyOf(mineId);
        if (!key.AsSpan().ContainsAny(Escaped) && !key.Any(char.IsControl)) return key;
        var sb = new StringBuilder();
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            var escape = c is '/' or '\\' or '#' or '?' or '%' or '\u2028' or '\u2029' || char.IsControl(c) || (c == ',' && (i == 0 || key[i - 1] == '\''));
            if (!escape) sb.Append(c);
            else if (c < 0x100) sb.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else sb.Append("%u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    private static readonly SearchValues<char> Escaped = SearchValues.Create("/\\#?%,\u2028\u2029");
}
