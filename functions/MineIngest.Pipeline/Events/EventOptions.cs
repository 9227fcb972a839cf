using System.ComponentModel.DataAnnotations;

namespace MineIngest.Pipeline.Events;

/// <summary>Bound from the "Events" section: how long the streams keep what nobody read, and when the sweep sends what was left.</summary>
public sealed class EventOptions
{
    public const string Section = "Events";

    /// <summary>
    /// Days an event waits in a stream for its reader (the queue message's time to live). A province system that is
    /// away for a week still finds what happened; what nobody reads in that time is gone.
    /// </summary>
    [Range(7, 365)]
    public int KeepDays { get; set; } = 14;

    /// <summary>
    /// Events recorded longer ago than this and still not sent (the instance that wrote them died, or the stream did not
    /// answer) are sent by the next sweep. Shorter than the time a send takes would only send twice.
    /// </summary>
    [Range(1, 3600)]
    public double SendLeftAfterSeconds { get; set; } = 10;

    /// <summary>How long a reading link to a stream lasts (the valet key handed to a province's system).</summary>
    [Range(5, 1440)]
    public int AccessMinutes { get; set; } = 60;
}

/// <summary>
/// The streams: one storage queue per upload folder (each province, and national), readable only with that folder's
/// link or role, and one for the programme office with every event. What a stream refused as malformed goes to the
/// dead-letter queue.
/// </summary>
public static class EventStreams
{
    public const string Prefix = "events-";
    public const string Office = Prefix + "office";
    public const string DeadLetter = Prefix + "deadletter";

    /// <summary>An upload folder's stream ("events-kerman", "events-national"); a slug is a valid queue name once prefixed.</summary>
    public static string OfFolder(string folder) => Prefix + folder;

    /// <summary>Every folder's stream, the office's and the dead-letter queue: what storage must hold.</summary>
    public static IEnumerable<string> All(Domain.ReferenceData reference) =>
        reference.Provinces.Select(p => OfFolder(p.Slug)).Append(OfFolder(Ingestion.SurveyIngestor.NationalFolder)).Append(Office).Append(DeadLetter);

    /// <summary>A province's events have the source "/provinces/{slug}", national surveys' "/national", the office's own "/office".</summary>
    public const string ProvinceSource = "/provinces/";
    public const string NationalSource = "/" + Ingestion.SurveyIngestor.NationalFolder;

    /// <summary>Where an event goes: its folder's stream (when it is a folder's) and always the office's.</summary>
    public static IReadOnlyList<string> For(string source) =>
        source == NationalSource ? [OfFolder(Ingestion.SurveyIngestor.NationalFolder), Office]
        : source.StartsWith(ProvinceSource, StringComparison.Ordinal) && source.Length > ProvinceSource.Length ? [OfFolder(source[ProvinceSource.Length..]), Office]
        : [Office];
}
