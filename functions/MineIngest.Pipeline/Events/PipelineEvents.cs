using System.Text.Json;
using Azure.Messaging;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Events;

/// <summary>The event types, as the streams and docs/events.schema.json name them.</summary>
public static class EventTypes
{
    public const string SurveyReceived = "survey.received";
    public const string SurveyCompleted = "survey.completed";
    public const string SurveyFailed = "survey.failed";
    public const string SurveyWithdrawn = "survey.withdrawn";
    public const string SolutionChanged = "solution.changed";
    public const string CommitteeRecorded = "committee.recorded";
    public const string RescoreCompleted = "rescore.completed";
}

public sealed record SurveyReceivedData(string Survey, string Folder, string Blob, string FileName, long Bytes, string? SentBy, DateTimeOffset ReceivedAt);

public sealed record SurveyCompletedData(string Survey, string Folder, string Blob, int Rows, int Accepted, int Rejected, int Failed, int Warnings,
    string Report, string RowsToFix);

public sealed record SurveyFailedData(string Survey, string Folder, string Blob, string Reason, string ReasonFa, string Report);

public sealed record SurveyWithdrawnData(string Survey, string Folder, string Blob, string Reason, string By, int Restored, int Removed, int Untouched,
    string Report);

public sealed record SolutionChangedData(string Province, string MineId, string State, string Text, string? ResponsibleBody, string? TargetDate, string ChangedBy);

public sealed record CommitteeRecordedData(string Id, string Date, string Province, IReadOnlyList<string> Investors, IReadOnlyList<Office.CommitteeMine> Mines, string RecordedBy);

public sealed record RescoreCompletedData(string Run, string Fingerprint, int Mines, int Rescored, DateTimeOffset StartedAt);

/// <summary>
/// The events, as CloudEvents 1.0 (Azure.Messaging's envelope). An event's id is made from what it reports (a survey's
/// id and its step), so the same change always gives the same id and a reader that sees an event twice can tell. A
/// survey's events carry the CloudEvents "sequence" extension (1 received, 2 completed or failed, 3 withdrawn), which
/// orders them where a queue does not.
/// </summary>
public static class PipelineEvents
{
    public const string Sequence = "sequence";

    /// <summary>Text kept as written, nulls included (the schema names every field).</summary>
    public static JsonSerializerOptions Json => Ingestion.PipelineJson.Text;

    public static CloudEvent Received(SurveyEntity survey, long bytes, string? sentBy) =>
        OfSurvey(survey, EventTypes.SurveyReceived, 1, survey.ReceivedAt,
            new SurveyReceivedData(survey.RowKey, survey.Folder, survey.Blob, FileNameOf(survey.Blob), bytes, sentBy, survey.ReceivedAt));

    public static CloudEvent Completed(SurveyEntity survey, int warnings, DateTimeOffset at) =>
        OfSurvey(survey, EventTypes.SurveyCompleted, 2, at,
            new SurveyCompletedData(survey.RowKey, survey.Folder, survey.Blob, survey.Rows, survey.Accepted, survey.Rejected, survey.Failed, warnings,
                ReportRoute(survey), RowsToFixRoute(survey)));

    public static CloudEvent Failed(SurveyEntity survey, DateTimeOffset at) =>
        OfSurvey(survey, EventTypes.SurveyFailed, 2, at,
            new SurveyFailedData(survey.RowKey, survey.Folder, survey.Blob, survey.Error ?? "", survey.ErrorFa ?? "", ReportRoute(survey)));

    public static CloudEvent Withdrawn(SurveyEntity survey, DateTimeOffset at) =>
        OfSurvey(survey, EventTypes.SurveyWithdrawn, 3, at,
            new SurveyWithdrawnData(survey.RowKey, survey.Folder, survey.Blob, survey.WithdrawReason ?? "", survey.WithdrawnBy ?? "",
                survey.WithdrawRestored ?? 0, survey.WithdrawRemoved ?? 0, survey.WithdrawUntouched ?? 0, ReportRoute(survey)));

    public static CloudEvent SolutionChanged(SolutionChangedData data, string mineKey, DateTimeOffset at) =>
        Make(OfficeSource, $"/provinces/{data.Province}/mines/{mineKey}/solution", EventTypes.SolutionChanged,
            $"solution/{data.Province}/{mineKey}/{at.UtcTicks:D19}", at, data);

    public static CloudEvent CommitteeRecorded(CommitteeRecordedData data, DateTimeOffset at) =>
        Make(OfficeSource, $"/committees/{data.Id}", EventTypes.CommitteeRecorded, $"committee/{data.Id}", at, data);

    public static CloudEvent RescoreCompleted(RescoreCompletedData data, DateTimeOffset at) =>
        Make(OfficeSource, $"/rescore/{data.Run}", EventTypes.RescoreCompleted, $"rescore/{data.Run}", at, data);

    public const string OfficeSource = "/office";

    /// <summary>
    /// "/provinces/kerman" for a province's folder, "/national" for the national one, "/unfiled" for a file put outside
    /// any folder (rejected; its events go to the office only).
    /// </summary>
    public static string SourceOf(string folder) =>
        folder == Ingestion.SurveyIngestor.NationalFolder ? EventStreams.NationalSource
        : Domain.ReferenceData.Default.Provinces.Any(p => p.Slug == folder) ? EventStreams.ProvinceSource + folder
        : "/unfiled";

    /// <summary>Where the survey's report is read: the province's own route (what its key or role opens), or the office's.</summary>
    public static string ReportRoute(SurveyEntity survey) => IsNational(survey)
        ? $"/api/surveys/{survey.RowKey}"
        : $"/api/provinces/{survey.Folder}/surveys?blob={Uri.EscapeDataString(survey.Blob)}";

    public static string RowsToFixRoute(SurveyEntity survey) => IsNational(survey)
        ? $"/api/surveys/{survey.RowKey}/errors.xlsx"
        : $"/api/provinces/{survey.Folder}/surveys/{survey.RowKey}/errors.xlsx";

    private static bool IsNational(SurveyEntity survey) => survey.Folder == Ingestion.SurveyIngestor.NationalFolder;

    /// <summary>The name the file had when sent: upload links name blobs "{folder}/{yyyyMMdd-HHmmss}-{tag}-{name}".</summary>
    public static string FileNameOf(string blob)
    {
        var name = blob[(blob.IndexOf('/') + 1)..];
        var parts = name.Split('-', 4);
        return parts.Length == 4 && parts[0].Length == 8 && parts[1].Length == 6 && parts[0].All(char.IsAsciiDigit) && parts[1].All(char.IsAsciiDigit)
            ? parts[3] : name;
    }

    private static CloudEvent OfSurvey<T>(SurveyEntity survey, string type, int sequence, DateTimeOffset at, T data)
    {
        var source = SourceOf(survey.Folder);
        var e = Make(source, $"{source}/surveys/{survey.RowKey}", type, $"{survey.RowKey}/{type["survey.".Length..]}", at, data);
        e.ExtensionAttributes[Sequence] = sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return e;
    }

    private static CloudEvent Make<T>(string source, string subject, string type, string id, DateTimeOffset at, T data) =>
        new(source, type, BinaryData.FromObjectAsJson(data, Json), "application/json", CloudEventDataFormat.Json)
        {
            Id = id, Subject = subject, Time = at,
        };

    /// <summary>The event as its JSON (the queue message's body).</summary>
    public static string ToJson(CloudEvent e) => JsonSerializer.Serialize(e, Json);
}
