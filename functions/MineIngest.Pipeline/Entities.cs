using System.Text;
using Azure;
using Azure.Data.Tables;
using MineIngest.Domain;

namespace MineIngest.Pipeline;

/// <summary>A mine on record: PartitionKey province slug, RowKey the folded mine id. Holds its latest survey's row and score.</summary>
public sealed class MineEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string MineId { get; set; } = "";
    public string Name { get; set; } = "";
    public string? County { get; set; }
    public string Mineral { get; set; } = "";
    public string Status { get; set; } = "";
    public double Latitude { get; set; }
    public double Longitude { get; set; }
    public double ReserveTonnes { get; set; }
    public double? GradePct { get; set; }
    public double? RoadKm { get; set; }
    public double? PowerKm { get; set; }
    public int JobsPotential { get; set; }
    public int? JobsCreated { get; set; }
    public double? InvestmentBnRial { get; set; }
    public int? IdleSince { get; set; }
    public string? Problem { get; set; }
    /// <summary>ISO yyyy-mm-dd, so that string order is date order.</summary>
    public string SurveyDate { get; set; } = "";
    public string? RevivedOn { get; set; }
    public string? Notes { get; set; }
    public double Score { get; set; }
    public string Tier { get; set; } = "";
    public double Resource { get; set; }
    public double Grade { get; set; }
    public double Access { get; set; }
    public double Jobs { get; set; }
    public double Cost { get; set; }
    public double Solvability { get; set; }
    /// <summary>JSON array of warning texts.</summary>
    public string Warnings { get; set; } = "[]";
    public string SurveyId { get; set; } = "";
    public int Row { get; set; }
    /// <summary>When the survey that wrote this was uploaded: breaks ties between surveys of the same date.</summary>
    public DateTimeOffset SurveyReceivedAt { get; set; }
    /// <summary>JSON list of the mine's other versions (<see cref="MineHistory"/>): the rows this one replaced and the older ones that came later.</summary>
    public string? Earlier { get; set; }
    /// <summary>The scoring settings' fingerprint the score was made with (<see cref="ScoringOptions.Fingerprint"/>).</summary>
    public string? ScoredWith { get; set; }

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
