using Azure;
using Azure.Data.Tables;
using MineIngest.Domain;

namespace MineIngest.Pipeline;

/// <summary>
/// One accepted row of a mine: a version, never overwritten (table <c>minehistory</c>). PartitionKey the province, RowKey
/// the mine's key then its version (survey date, upload time, survey id), so that a mine's versions are one keyed range in
/// version order, and a re-delivered chunk writes the same entity again.
/// </summary>
public sealed class MineVersionEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string MineId { get; set; } = "";
    public string SurveyId { get; set; } = "";
    public string SurveyDate { get; set; } = "";
    public DateTimeOffset SurveyReceivedAt { get; set; }
    public int Row { get; set; }
    public string Status { get; set; } = "";
    public string? RevivedOn { get; set; }
    public double Score { get; set; }
    public string Tier { get; set; } = "";
    public int JobsPotential { get; set; }
    public int? JobsCreated { get; set; }
    public string? Problem { get; set; }
    public double? InvestmentBnRial { get; set; }
    public double Resource { get; set; }
    public double Grade { get; set; }
    public double Access { get; set; }
    public double Jobs { get; set; }
    public double Cost { get; set; }
    public double Solvability { get; set; }

    /// <summary>'|' sorts after every character a mine key holds but '}' and '~'; the range of one mine is [key|, key}).</summary>
    public static string KeyFor(MineEntity mine) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{mine.RowKey}|{mine.SurveyDate}|{mine.SurveyReceivedAt.UtcTicks:D19}|{mine.SurveyId}");

    public static MineVersionEntity From(MineEntity m) => new()
    {
        PartitionKey = m.PartitionKey, RowKey = KeyFor(m), MineId = m.MineId, SurveyId = m.SurveyId, SurveyDate = m.SurveyDate,
        SurveyReceivedAt = m.SurveyReceivedAt, Row = m.Row, Status = m.Status, RevivedOn = m.RevivedOn, Score = m.Score, Tier = m.Tier,
        JobsPotential = m.JobsPotential, JobsCreated = m.JobsCreated, Problem = m.Problem, InvestmentBnRial = m.InvestmentBnRial,
        Resource = m.Resource, Grade = m.Grade, Access = m.Access, Jobs = m.Jobs, Cost = m.Cost, Solvability = m.Solvability,
    };
}

public sealed record MineVersionDto(
    string SurveyId, string SurveyDate, string SurveyDateJalali, DateTimeOffset SurveyReceivedAt, int Row, string Status, string? RevivedOn,
    double Score, string Tier, int JobsPotential, int? JobsCreated, string? Problem, double? InvestmentBnRial, Components Components);

/// <summary>A change of status between two versions: on the revival date when the mine became revived, else the survey date.</summary>
public sealed record StatusChangeDto(string From, string To, string On, string OnJalali, string SurveyId);

public sealed record MineHistoryDto(string Province, string MineId, IReadOnlyList<MineVersionDto> Versions, IReadOnlyList<StatusChangeDto> StatusChanges);

public static class MineHistory
{
    /// <summary>
    /// Every version of a mine, oldest first: the current record (the newest) and the history table's range of the mine
    /// (the versions that were replaced or arrived late). A version in both (a crash between the two writes) counts once.
    /// </summary>
    public static async Task<List<MineVersionEntity>> VersionsAsync(StorageClients storage, string province, string mineKey, CancellationToken ct)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {province} and RowKey ge {mineKey + "|"} and RowKey lt {mineKey + "}"}");
        var versions = new Dictionary<string, MineVersionEntity>(StringComparer.Ordinal);
        var current = storage.Mines.GetEntityIfExistsAsync<MineEntity>(province, mineKey, cancellationToken: ct);
        await foreach (var v in storage.MineHistory.QueryAsync<MineVersionEntity>(filter, cancellationToken: ct)) versions[v.RowKey] = v;
        if ((await current) is { HasValue: true } mine)
        {
            var newest = MineVersionEntity.From(mine.Value!);
            versions[newest.RowKey] = newest;
        }
        return versions.Values.OrderBy(v => v.RowKey, StringComparer.Ordinal).ToList(); // RowKey order is version order
    }

    public static MineHistoryDto ToDto(string province, string mineId, IReadOnlyList<MineVersionEntity> versions)
    {
        var dtos = versions.Select(v => new MineVersionDto(v.SurveyId, v.SurveyDate, Jalali(v.SurveyDate), v.SurveyReceivedAt, v.Row, v.Status,
            v.RevivedOn, v.Score, v.Tier, v.JobsPotential, v.JobsCreated, v.Problem, v.InvestmentBnRial,
            Components.Rounded(v.Resource, v.Grade, v.Access, v.Jobs, v.Cost, v.Solvability))).ToList();
        var changes = new List<StatusChangeDto>();
        for (var i = 1; i < versions.Count; i++)
        {
            if (versions[i].Status == versions[i - 1].Status) continue;
            var on = versions[i].Status == "revived" && versions[i].RevivedOn is { } revived ? revived : versions[i].SurveyDate;
            changes.Add(new StatusChangeDto(versions[i - 1].Status, versions[i].Status, on, Jalali(on), versions[i].SurveyId));
        }
        return new MineHistoryDto(province, mineId, dtos, changes);
    }

    private static string Jalali(string iso) => SurveyValues.TryParseDate(iso, out var d) ? SurveyValues.ToJalali(d) : iso;
}
