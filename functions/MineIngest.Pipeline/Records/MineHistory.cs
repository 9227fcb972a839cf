using Azure.Data.Tables;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MineIngest.Domain;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Ingestion;

namespace MineIngest.Pipeline.Records;

/// <summary>
/// One accepted row of a mine as its history shows it: the survey, the mine's state then and the score it got.
/// Stored in <see cref="MineEntity.Earlier"/> as a JSON array of its values in this order (<see cref="MineVersionConverter"/>).
/// </summary>
[JsonConverter(typeof(MineVersionConverter))]
public sealed record MineVersion(
    string SurveyId, string SurveyDate, DateTimeOffset SurveyReceivedAt, int Row, string Status, string? RevivedOn, double Score, string Tier,
    int JobsPotential, int? JobsCreated, string? Problem, double? InvestmentBnRial,
    double Resource, double Grade, double Access, double Jobs, double Cost, double Solvability)
{
    public static MineVersion Of(MineEntity m) => new(m.SurveyId, m.SurveyDate, m.SurveyReceivedAt, m.Row, m.Status, m.RevivedOn, m.Score, m.Tier,
        m.JobsPotential, m.JobsCreated, m.Problem, m.InvestmentBnRial, m.Resource, m.Grade, m.Access, m.Jobs, m.Cost, m.Solvability);

    /// <summary>Version order, the order of "newest survey wins": survey date, upload time, survey id.</summary>
    public string Key => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{SurveyDate}|{SurveyReceivedAt.UtcTicks:D19}|{SurveyId}");
}

public sealed record MineVersionDto(
    string SurveyId, string SurveyDate, string SurveyDateJalali, DateTimeOffset SurveyReceivedAt, int Row, string Status, string? RevivedOn,
    double Score, string Tier, int JobsPotential, int? JobsCreated, string? Problem, double? InvestmentBnRial, Components Components);

/// <summary>A change of status between two versions: on the revival date when the mine became revived, else the survey date.</summary>
public sealed record StatusChangeDto(string From, string To, string On, string OnJalali, string SurveyId);

public sealed record MineHistoryDto(string Province, string MineId, IReadOnlyList<MineVersionDto> Versions, IReadOnlyList<StatusChangeDto> StatusChanges);

/// <summary>
/// A mine's history: every accepted row is a version. The mine entity is the newest one and carries each
/// other one in a property of its own, named by the version (<see cref="PropertyOf"/>), written in the same merge that
/// changes the mine: keeping every version costs no extra entity and no extra request, is as atomic as the mine
/// itself, and needs nothing of the history already stored, so the scorer decides and writes from the API's view,
/// which leaves the history out (a view that held every version went past 500 MB in a polled next round of 100,000 mines). An entity holds at most 252 properties: a mine keeps up to 246
/// earlier versions. Mines written before this format keep theirs as one list in <see cref="MineEntity.Earlier"/>;
/// both are read.
/// </summary>
public static class MineHistory
{
    /// <summary>Version properties are "V" and 16 hex digits.</summary>
    private const int PropertyLength = 17;

    public static IReadOnlyList<MineVersion> Earlier(string? earlier) =>
        earlier is null ? [] : JsonSerializer.Deserialize<List<MineVersion>>(earlier, PipelineJson.Options) ?? [];

    /// <summary>The property a version is stored in: the same for the same version, so a re-delivered row writes it again, not twice.</summary>
    public static string PropertyOf(MineVersion version) =>
        "V" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(version.Key)), 0, 8);

    /// <summary>Puts <paramref name="version"/> in its property of <paramref name="entity"/>, for a merge.</summary>
    public static void Store(TableEntity entity, MineVersion version) =>
        entity[PropertyOf(version)] = JsonSerializer.Serialize(version, PipelineJson.Options);

    /// <summary>The versions stored in an entity's version properties (the mine itself and <see cref="MineEntity.Earlier"/> not included).</summary>
    public static IEnumerable<MineVersion> StoredIn(IEnumerable<KeyValuePair<string, object>> properties) =>
        properties.Where(p => p.Key.Length == PropertyLength && p.Key[0] == 'V' && p.Value is string && p.Key.Skip(1).All(char.IsAsciiHexDigitUpper))
            .Select(p => JsonSerializer.Deserialize<MineVersion>((string)p.Value, PipelineJson.Options)!);

    /// <summary>Every version of the mine, oldest first: the earlier ones (both ways of storing them) and the current record.</summary>
    public static List<MineVersion> VersionsOf(MineEntity mine, IEnumerable<KeyValuePair<string, object>>? stored = null) =>
        Earlier(mine.Earlier).Concat(StoredIn(stored ?? [])).Append(MineVersion.Of(mine))
            .DistinctBy(v => v.Key).OrderBy(v => v.Key, StringComparer.Ordinal).ToList();

    public static MineHistoryDto ToDto(MineEntity mine, IEnumerable<KeyValuePair<string, object>> stored)
    {
        var versions = VersionsOf(mine, stored);
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
        return new MineHistoryDto(mine.PartitionKey, mine.MineId, dtos, changes);
    }

    private static string Jalali(string iso) => SurveyValues.TryParseDate(iso, out var d) ? SurveyValues.ToJalali(d) : iso;
}

/// <summary>A <see cref="MineVersion"/> as an array of its values (no property names): a mine's history is stored in its entity, and bytes there cost (see <see cref="MineEntity"/>).</summary>
public sealed class MineVersionConverter : JsonConverter<MineVersion>
{
    public override MineVersion Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("A mine version is stored as an array.");
        var version = new MineVersion(
            Text(ref reader)!, Text(ref reader)!, new DateTimeOffset(Next(ref reader).GetInt64(), TimeSpan.Zero), Next(ref reader).GetInt32(),
            Text(ref reader)!, Text(ref reader), Next(ref reader).GetDouble(), Text(ref reader)!, Next(ref reader).GetInt32(),
            Next(ref reader).TokenType == JsonTokenType.Null ? null : reader.GetInt32(), Text(ref reader),
            Next(ref reader).TokenType == JsonTokenType.Null ? null : reader.GetDouble(),
            Next(ref reader).GetDouble(), Next(ref reader).GetDouble(), Next(ref reader).GetDouble(), Next(ref reader).GetDouble(),
            Next(ref reader).GetDouble(), Next(ref reader).GetDouble());
        if (!reader.Read() || reader.TokenType != JsonTokenType.EndArray) throw new JsonException("A mine version has 18 values.");
        return version;
    }

    public override void Write(Utf8JsonWriter writer, MineVersion v, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteStringValue(v.SurveyId);
        writer.WriteStringValue(v.SurveyDate);
        writer.WriteNumberValue(v.SurveyReceivedAt.UtcTicks);
        writer.WriteNumberValue(v.Row);
        writer.WriteStringValue(v.Status);
        if (v.RevivedOn is null) writer.WriteNullValue(); else writer.WriteStringValue(v.RevivedOn);
        writer.WriteNumberValue(v.Score);
        writer.WriteStringValue(v.Tier);
        writer.WriteNumberValue(v.JobsPotential);
        if (v.JobsCreated is { } created) writer.WriteNumberValue(created); else writer.WriteNullValue();
        if (v.Problem is null) writer.WriteNullValue(); else writer.WriteStringValue(v.Problem);
        if (v.InvestmentBnRial is { } investment) writer.WriteNumberValue(investment); else writer.WriteNullValue();
        foreach (var component in (ReadOnlySpan<double>)[v.Resource, v.Grade, v.Access, v.Jobs, v.Cost, v.Solvability]) writer.WriteNumberValue(component);
        writer.WriteEndArray();
    }

    private static ref Utf8JsonReader Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray) throw new JsonException("A mine version has 18 values.");
        return ref reader;
    }

    private static string? Text(ref Utf8JsonReader reader) => Next(ref reader).TokenType == JsonTokenType.Null ? null : reader.GetString();
}
