using Azure;
using Azure.Data.Tables;
using MineIngest.Pipeline.Ingestion;

namespace MineIngest.Pipeline.Records;

/// <summary>One uploaded survey file. PartitionKey "survey", RowKey the survey id.</summary>
public sealed class SurveyEntity : ITableEntity, Events.IHasOutbox
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
    /// <summary>The survey's trace (W3C traceparent): chunks queued again later still report to it.</summary>
    public string? TraceParent { get; set; }
    /// <summary>The ETag of the blob as it was read: a blob with another one is another upload.</summary>
    public string? BlobETag { get; set; }
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
    /// <summary>
    /// Until when the instance reading the file holds it: renewed while it reads (<see cref="SurveyIngestor"/>), so another
    /// instance takes the file up seconds after the reader died, and never while it lives.
    /// </summary>
    public DateTimeOffset? ReadingUntil { get; set; }
    /// <summary>The instance that holds (or last held) the reading claim (<see cref="Ingestion.WorkClaims.Instance"/>).</summary>
    public string? ReadBy { get; set; }
    /// <summary>Why the last try to read the file failed (for the operator's log; the clerk sees <see cref="Error"/>).</summary>
    public string? LastReadError { get; set; }

    /// <summary>When the survey's withdrawal was asked for (<see cref="Office.Withdrawals"/>); null while it counts.</summary>
    public DateTimeOffset? WithdrawRequestedAt { get; set; }
    public string? WithdrawReason { get; set; }
    /// <summary>Who asked: "office (key id)" or "province kerman (key id)".</summary>
    public string? WithdrawnBy { get; set; }
    /// <summary>The provinces whose mines the withdrawal goes through, comma-separated.</summary>
    public string? WithdrawProvinces { get; set; }
    /// <summary>When every mine was put back; with the counts of what was done.</summary>
    public DateTimeOffset? WithdrawnAt { get; set; }
    public int? WithdrawRestored { get; set; }
    public int? WithdrawRemoved { get; set; }
    public int? WithdrawUntouched { get; set; }

    /// <summary>The survey's events not yet sent (<see cref="Events.EventOutbox"/>), written with the change each reports.</summary>
    public string? Outbox { get; set; }
    public DateTimeOffset? OutboxSince { get; set; }
    public bool OutboxPending { get; set; }

    // Methods, not properties: the table serializer would store properties.
    /// <summary>Rows not yet accepted, rejected or failed; none for a rejected file.</summary>
    public int RowsPending() => Stage == SurveyStage.Rejected ? 0 : Math.Max(0, Rows - Accepted - Rejected - Failed);

    /// <summary>Rejected, or read with no row pending: the report is final.</summary>
    public bool IsSettled() => Stage == SurveyStage.Rejected || (Stage != SurveyStage.Reading && RowsPending() == 0);
}
