using System.ComponentModel.DataAnnotations;

namespace MineIngest.Pipeline;

/// <summary>Names and knobs of the pipeline; bound from the "Pipeline" section.</summary>
public sealed class PipelineOptions
{
    public const string Section = "Pipeline";

    /// <summary>The blob container provinces upload to; the blob trigger's path is fixed to it.</summary>
    public const string SurveysContainer = "surveys";
    /// <summary>Rows read from a survey, staged in blobs of <see cref="RowsPerChunk"/> rows for the scorers.</summary>
    public const string ChunksContainer = "survey-chunks";
    /// <summary>The mine view's snapshot, what a new instance starts from (<see cref="View.ViewSnapshotStore"/>).</summary>
    public const string ViewsContainer = "views";
    /// <summary>One message per chunk of rows: the unit of scoring work.</summary>
    public const string ChunkQueue = "survey-chunks";
    /// <summary>Where the Functions runtime moves a chunk message after <see cref="MaxDequeueCount"/> failed tries.</summary>
    public const string ChunkPoisonQueue = ChunkQueue + "-poison";
    /// <summary>
    /// Mines live in one table per province, named this prefix and the province's slug without hyphens ("minestehran");
    /// the PartitionKey is still the province. Azurite keeps a table as one array whose replace, merge and delete cost
    /// grows with the table (docs/BENCHMARKS.md, sections 2 and 3): a table per province keeps that cost at a province's size. In Azure it changes nothing.
    /// </summary>
    public const string MinesTablePrefix = "mines";

    public static string MinesTableOf(string province) => MinesTablePrefix + province.Replace("-", "", StringComparison.Ordinal);
    /// <summary>One small entity per chunk whose mines were written: what the API's view reads to learn that anything changed.</summary>
    public const string MineChangesTable = "minechanges";
    /// <summary>The programme office's solution per mine, with its history of changes.</summary>
    public const string SolutionsTable = "solutions";
    /// <summary>Joint technical committee meetings with investors.</summary>
    public const string CommitteesTable = "committees";
    /// <summary>Re-scoring: one message per page of a province's mines, and each page's result (counted once).</summary>
    public const string RescoreQueue = "rescore";
    public const string RescorePoisonQueue = RescoreQueue + "-poison";
    public const string RescorePagesTable = "rescorepages";
    /// <summary>Withdrawing a survey: one message per page of a province's mines, and each page's plan (counted once).</summary>
    public const string WithdrawQueue = "withdrawals";
    public const string WithdrawPoisonQueue = WithdrawQueue + "-poison";
    public const string WithdrawPagesTable = "withdrawpages";
    public const string SurveysTable = "surveys";
    public const string ChunkResultsTable = "surveychunks";
    public const string RowErrorsTable = "surveyerrors";
    /// <summary>Upload keys of the provinces, as salted hashes.</summary>
    public const string ProvinceKeysTable = "provincekeys";
    /// <summary>Every change to the record with who made it: one partition per month.</summary>
    public const string AuditTable = "audit";
    /// <summary>Who was given each upload link, so a survey names the person or system that sent it.</summary>
    public const string UploadLinksTable = "uploadlinks";
    /// <summary>Claims on queued work being done, renewed while it is (<see cref="Ingestion.WorkClaims"/>).</summary>
    public const string ClaimsTable = "workclaims";
    /// <summary>The queues whose work is claimed, and sent again when a claim's holder stops renewing it.</summary>
    public static readonly IReadOnlyList<string> ClaimedQueues = [ChunkQueue, RescoreQueue, WithdrawQueue];

    /// <summary>Rows per queue message. Azurite drains deep queues slowly and bills are per request, so rows travel in chunks; 5,000 makes a national file's batches nearly full (docs/BENCHMARKS.md).</summary>
    [Range(1, 10000)]
    public int RowsPerChunk { get; set; } = 5000;

    /// <summary>Must equal host.json's queues.maxDequeueCount: on the last try a mine that still throws is recorded as failed.</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>
    /// A survey with pending rows and no progress for this long has its unfinished chunks queued again, unless their claims
    /// are being renewed: the fallback for work whose holder died before it wrote a claim.
    /// </summary>
    [Range(5, 86400)]
    public double RecoverAfterSeconds { get; set; } = 60;

    /// <summary>
    /// How long a claim on work (a file being read, a chunk being scored, a page of re-scoring or withdrawal) holds without
    /// renewal; its holder renews it every third of this while it works. Work whose claim expired (its instance died) is
    /// taken up by another instance's next sweep, and on the local host its queue message reappears after this long.
    /// </summary>
    [Range(3, 600)]
    public double ClaimSeconds { get; set; } = 10;

    /// <summary>
    /// The least time between two writes of the mine view's snapshot by one instance; it is written only when the view
    /// changed and no newer one is stored. 0: never written (a new instance then reads every mine).
    /// </summary>
    [Range(0, 86400)]
    public double ViewSnapshotSeconds { get; set; } = 60;

    /// <summary>
    /// The oldest an answer built from the API's in-memory view of the mines (and the committee meetings) may be: a request
    /// that finds the view checked longer ago than this waits for a refresh. 0: every request has storage checked first.
    /// </summary>
    [Range(0, 3600)]
    public double MineViewRefreshSeconds { get; set; } = 1;

    /// <summary>
    /// How long a request waits for that refresh before it is answered from the view as last checked, marked stale
    /// (storage slow or away). A view never loaded is not served stale: the request gets 503.
    /// </summary>
    [Range(0.1, 60)]
    public double MineViewWaitSeconds { get; set; } = 3;
}
