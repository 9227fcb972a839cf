using System.Text.Json;
using System.Text.Json.Serialization;
using MineIngest.Domain;
using MineIngest.Domain.Reading;
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
/// <param name="V">Values by column (contract order).</param>
/// <param name="D">The earlier row with the same mine, if any.</param>
public sealed record ChunkRow(int R, string?[] V, int? D);

public static class PipelineJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
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
