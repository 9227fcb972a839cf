using MineIngest.Domain;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Api;

/// <param name="Withdrawn">The version's survey was withdrawn: shown, counted nowhere (<paramref name="WithdrawnReason"/> says why).</param>
public sealed record MineVersionDto(
    string SurveyId, string SurveyDate, string SurveyDateJalali, DateTimeOffset SurveyReceivedAt, int Row, string Status, string? RevivedOn,
    double Score, string Tier, int JobsPotential, int? JobsCreated, string? Problem, double? InvestmentBnRial, Components Components,
    bool Withdrawn = false, string? WithdrawnReason = null)
{
    /// <summary>Who sent the version's survey (see <c>SurveyDto.UploadedBy</c>).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? UploadedBy { get; init; }

    /// <summary>The photos the surveyor sent with the version's survey (the field form), oldest first.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<PhotoDto>? Photos { get; init; }

    /// <summary>Who withdrew the version's survey.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? WithdrawnBy { get; init; }
}

/// <summary>A change of status between two versions: on the revival date when the mine became revived, else the survey date.</summary>
public sealed record StatusChangeDto(string From, string To, string On, string OnJalali, string SurveyId);

public sealed record MineHistoryDto(string Province, string MineId, IReadOnlyList<MineVersionDto> Versions, IReadOnlyList<StatusChangeDto> StatusChanges);

/// <summary>A mine's history as GET /api/mines/{province}/{mineId}/history answers it, from the versions its record holds (<see cref="MineHistory"/>).</summary>
public static class MineHistoryAnswer
{
    public static MineHistoryDto From(MineEntity mine, IEnumerable<KeyValuePair<string, object>> stored)
    {
        var properties = stored.ToList();
        var versions = MineHistory.VersionsOf(mine, properties);
        var withdrawn = MineHistory.WithdrawnIn(properties);
        var dtos = versions.Select(v => new MineVersionDto(v.SurveyId, v.SurveyDate, Jalali(v.SurveyDate), v.SurveyReceivedAt, v.Row, v.Status,
            v.RevivedOn, v.Score, v.Tier, v.JobsPotential, v.JobsCreated, v.Problem, v.InvestmentBnRial,
            Components.Rounded(v.Resource, v.Grade, v.Access, v.Jobs, v.Cost, v.Solvability),
            withdrawn.ContainsKey(v.SurveyId), withdrawn.GetValueOrDefault(v.SurveyId)?.Reason)).ToList();
        // A withdrawn survey's versions count nowhere, status changes included.
        var counted = versions.Where(v => !withdrawn.ContainsKey(v.SurveyId)).ToList();
        var changes = new List<StatusChangeDto>();
        for (var i = 1; i < counted.Count; i++)
        {
            if (counted[i].Status == counted[i - 1].Status) continue;
            var on = counted[i].Status == "revived" && counted[i].RevivedOn is { } revived ? revived : counted[i].SurveyDate;
            changes.Add(new StatusChangeDto(counted[i - 1].Status, counted[i].Status, on, Jalali(on), counted[i].SurveyId));
        }
        return new MineHistoryDto(mine.PartitionKey, mine.MineId, dtos, changes);
    }

    private static string Jalali(string iso) => SurveyValues.TryParseDate(iso, out var d) ? SurveyValues.ToJalali(d) : iso;
}
