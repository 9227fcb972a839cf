using Azure.Data.Tables;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MineIngest.Domain;
using MineIngest.Pipeline.Ingestion;

namespace MineIngest.Pipeline.Records;

/// <summary>
/// One accepted row of a mine as its history shows it: the survey, the mine's state then and the score it got.
/// Versions written since surveys can be withdrawn hold the whole record (<see cref="Data"/>, the mine's stored form without
/// its notes), so that a withdrawal can put the mine back as this version described it, and are stored as that record
/// alone (<see cref="MineHistory.Store"/>); older ones as a JSON array of the values below (<see cref="MineVersionConverter"/>).
/// </summary>
[JsonConverter(typeof(MineVersionConverter))]
public sealed record MineVersion(
    string SurveyId, string SurveyDate, DateTimeOffset SurveyReceivedAt, int Row, string Status, string? RevivedOn, double Score, string Tier,
    int JobsPotential, int? JobsCreated, string? Problem, double? InvestmentBnRial,
    double Resource, double Grade, double Access, double Jobs, double Cost, double Solvability, string? Data = null)
{
    public static MineVersion Of(MineEntity m) => new(m.SurveyId, m.SurveyDate, m.SurveyReceivedAt, m.Row, m.Status, m.RevivedOn, m.Score, m.Tier,
        m.JobsPotential, m.JobsCreated, m.Problem, m.InvestmentBnRial, m.Resource, m.Grade, m.Access, m.Jobs, m.Cost, m.Solvability, m.Data);

    /// <summary>
    /// The mine as this version had it. From <see cref="Data"/> when the version holds it; an older version holds only what
    /// the figures need, so the rest (name, place, reserve) comes from <paramref name="other"/>, another version of the mine.
    /// </summary>
    public MineEntity ToMine(MineEntity other)
    {
        var mine = new MineEntity { PartitionKey = other.PartitionKey, RowKey = other.RowKey, Data = Data ?? other.Data };
        if (Data is not null) return mine;
        (mine.SurveyId, mine.SurveyDate, mine.SurveyReceivedAt, mine.Row, mine.Status, mine.RevivedOn, mine.Score, mine.Tier) =
            (SurveyId, SurveyDate, SurveyReceivedAt, Row, Status, RevivedOn, Score, Tier);
        (mine.JobsPotential, mine.JobsCreated, mine.Problem, mine.InvestmentBnRial) = (JobsPotential, JobsCreated, Problem, InvestmentBnRial);
        (mine.Resource, mine.Grade, mine.Access, mine.Jobs, mine.Cost, mine.Solvability) = (Resource, Grade, Access, Jobs, Cost, Solvability);
        return mine;
    }

    /// <summary>Version order, the order of "newest survey wins": survey date, upload time, survey id.</summary>
    public string Key => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{SurveyDate}|{SurveyReceivedAt.UtcTicks:D19}|{SurveyId}");
}

/// <summary>A withdrawn survey's mark on a mine: why, and what the withdrawal did to the mine (restored, removed or untouched).</summary>
public sealed record WithdrawnMark(string SurveyId, string Reason, string Outcome);

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
    /// <summary>Version properties are "V" and 16 hex digits; withdrawal marks "W" and 16 hex digits.</summary>
    private const int PropertyLength = 17;

    public static IReadOnlyList<MineVersion> Earlier(string? earlier) =>
        earlier is null ? [] : JsonSerializer.Deserialize<List<MineVersion>>(earlier, PipelineJson.Options) ?? [];

    /// <summary>The property a version is stored in: the same for the same version, so a re-delivered row writes it again, not twice.</summary>
    public static string PropertyOf(MineVersion version) =>
        "V" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(version.Key)), 0, 8);

    /// <summary>
    /// Puts <paramref name="version"/> in its property of <paramref name="entity"/>, for a merge: as the mine's stored record
    /// alone when the version holds it (every figure of the version is in it; the record beside 18 copies of its own figures,
    /// quoted, was most of a next round's added bytes), else as the array of its figures.
    /// </summary>
    public static void Store(TableEntity entity, MineVersion version) =>
        entity[PropertyOf(version)] = version.Data ?? JsonSerializer.Serialize(version, PipelineJson.Options);

    /// <summary>The versions stored in an entity's version properties (the mine itself and <see cref="MineEntity.Earlier"/> not included).</summary>
    public static IEnumerable<MineVersion> StoredIn(IEnumerable<KeyValuePair<string, object>> properties) =>
        Named(properties, 'V').Select(Parse);

    /// <summary>A stored version: a mine record (an array that starts with its format number) or an array of figures (starts with the survey id).</summary>
    private static MineVersion Parse(string stored) =>
        stored.AsSpan().TrimStart().TrimStart('[').TrimStart() is [>= '0' and <= '9', ..]
            ? MineVersion.Of(new MineEntity { Data = stored }) with { Data = stored }
            : JsonSerializer.Deserialize<MineVersion>(stored, PipelineJson.Options)!;

    /// <summary>The property that marks a survey's versions of this mine withdrawn (the same for the same survey: marking twice writes it again).</summary>
    public static string WithdrawnPropertyOf(string surveyId) =>
        "W" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(surveyId)), 0, 8);

    /// <summary>Marks <paramref name="surveyId"/>'s versions of the mine withdrawn, for a merge; <paramref name="outcome"/> is what the withdrawal did to the mine.</summary>
    public static void MarkWithdrawn(TableEntity entity, string surveyId, string reason, string outcome) =>
        entity[WithdrawnPropertyOf(surveyId)] = JsonSerializer.Serialize(new WithdrawnMark(surveyId, reason, outcome), PipelineJson.Options);

    /// <summary>The withdrawn surveys whose versions this mine holds, by survey id.</summary>
    public static Dictionary<string, WithdrawnMark> WithdrawnIn(IEnumerable<KeyValuePair<string, object>> properties) =>
        Named(properties, 'W').Select(p => JsonSerializer.Deserialize<WithdrawnMark>(p, PipelineJson.Options)!).ToDictionary(m => m.SurveyId, StringComparer.Ordinal);

    private static IEnumerable<string> Named(IEnumerable<KeyValuePair<string, object>> properties, char prefix) =>
        properties.Where(p => p.Key.Length == PropertyLength && p.Key[0] == prefix && p.Value is string && p.Key.Skip(1).All(char.IsAsciiHexDigitUpper))
            .Select(p => (string)p.Value);

    /// <summary>Every version of the mine, oldest first: the earlier ones (both ways of storing them) and the current record.</summary>
    public static List<MineVersion> VersionsOf(MineEntity mine, IEnumerable<KeyValuePair<string, object>>? stored = null) =>
        // The current record first: its version may also be stored as a property (restored by a withdrawal), with an older score.
        new[] { MineVersion.Of(mine) }.Concat(Earlier(mine.Earlier)).Concat(StoredIn(stored ?? []))
            .DistinctBy(v => v.Key).OrderBy(v => v.Key, StringComparer.Ordinal).ToList();

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
        if (!reader.Read()) throw new JsonException("A mine version has 18 or 19 values.");
        if (reader.TokenType == JsonTokenType.EndArray) return version;
        version = version with { Data = reader.TokenType == JsonTokenType.Null ? null : reader.GetString() };
        if (!reader.Read() || reader.TokenType != JsonTokenType.EndArray) throw new JsonException("A mine version has 18 or 19 values.");
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
        if (v.Data is not null) writer.WriteStringValue(v.Data);
        writer.WriteEndArray();
    }

    private static ref Utf8JsonReader Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray) throw new JsonException("A mine version has 18 values.");
        return ref reader;
    }

    private static string? Text(ref Utf8JsonReader reader) => Next(ref reader).TokenType == JsonTokenType.Null ? null : reader.GetString();
}
