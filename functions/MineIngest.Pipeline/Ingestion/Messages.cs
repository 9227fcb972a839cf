using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using MineIngest.Domain;
using MineIngest.Domain.Reading;
using MineIngest.Domain.Writing;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Ingestion;

/// <summary>The queue message for one chunk of a survey's rows; the rows themselves are in a blob.</summary>
/// <param name="TraceParent">The survey's trace (W3C traceparent), so that the chunk's scoring is a span of it.</param>
public sealed record ChunkMessage(string SurveyId, int Chunk, int Rows, int FirstRow, int LastRow, string? TraceParent = null)
{
    /// <summary>The message for a staged chunk; it carries the row range so that even a lost chunk is reported as failed rows.</summary>
    public static ChunkMessage For(SurveyEntity survey, int chunk, IReadOnlyList<ChunkRow> rows) =>
        new(survey.RowKey, chunk, rows.Count, rows[0].R, rows[^1].R, survey.TraceParent);

    public string ToJson() => JsonSerializer.Serialize(this, PipelineJson.Options);
    public static ChunkMessage Parse(string json) =>
        JsonSerializer.Deserialize<ChunkMessage>(json, PipelineJson.Options) ?? throw new FormatException("Empty chunk message.");
}

/// <summary>A chunk of rows as read from a survey, staged in blob storage for the scorers.</summary>
public sealed record ChunkDocument(string SurveyId, string Blob, string Folder, DateTimeOffset ReceivedAt, List<ChunkRow> Rows)
{
    public static string BlobName(string surveyId, int chunk) => $"{surveyId}/{ChunkResultEntity.KeyFor(chunk)}.json";
}

/// <param name="R">Spreadsheet row number.</param>
/// <param name="V">Values by column (contract order), exactly as read (<see cref="WrittenTextArrayConverter"/>).</param>
/// <param name="D">The earlier row with the same mine, if any.</param>
public sealed record ChunkRow(int R, [property: JsonConverter(typeof(WrittenTextArrayConverter))] string?[] V, int? D);

/// <summary>
/// Carries a row's values through JSON exactly: JSON writers replace half a character (a lone surrogate, which an xlsx
/// or xls cell can hold) with U+FFFD, so validation would accept a text the clerk never wrote and the rows to fix would
/// lose it. The values travel in the xlsx escape (<see cref="XlsxText"/>), which gives every text back as it was.
/// </summary>
public sealed class WrittenTextArrayConverter : JsonConverter<string?[]>
{
    public override string?[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("Row values must be an array.");
        var values = new List<string?>(SurveyColumns.Count);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            values.Add(reader.TokenType == JsonTokenType.Null ? null : XlsxText.Unescape(reader.GetString()!));
        return values.ToArray();
    }

    public override void Write(Utf8JsonWriter writer, string?[] value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var v in value)
        {
            if (v is null) writer.WriteNullValue();
            else writer.WriteStringValue(XlsxText.Escape(v));
        }
        writer.WriteEndArray();
    }
}

public static class PipelineJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Persian goes out as UTF-8 text, not as \u escapes (readable in a terminal or a log, a sixth of the bytes); the
    /// encoder still escapes what JSON and HTML need (quotes, &lt;, &gt;, &amp;, control characters).
    /// </summary>
    public static readonly JavaScriptEncoder TextEncoder = JavaScriptEncoder.Create(UnicodeRanges.All);

    /// <summary>JSON that keeps text as written, nulls included: the API's answers and the events.</summary>
    public static readonly JsonSerializerOptions Text = new(JsonSerializerDefaults.Web) { Encoder = TextEncoder };
}

/// <summary>A survey's header as stored with it: which column each header cell named, and how, in the file's order.</summary>
public static class SurveyHeaders
{
    private sealed record Stored(string Key, string Text);

    public static string ToJson(IReadOnlyList<SurveyHeader> headers) =>
        JsonSerializer.Serialize(headers.Select(h => new Stored(SurveyColumns.Get(h.Column).Key, h.Text)), PipelineJson.Options);

    /// <summary>The stored header, or the contract's English names in its order for a survey stored without one.</summary>
    public static IReadOnlyList<SurveyHeader> Parse(string? json)
    {
        var stored = json is null ? null : JsonSerializer.Deserialize<List<Stored>>(json, PipelineJson.Options);
        if (stored is null) return SurveyColumns.All.Select(c => new SurveyHeader(c.Column, c.English)).ToList();
        return stored.Select(s => SurveyColumns.All.FirstOrDefault(c => c.Key == s.Key) is { } c ? new SurveyHeader(c.Column, s.Text) : null)
            .OfType<SurveyHeader>().ToList();
    }
}
