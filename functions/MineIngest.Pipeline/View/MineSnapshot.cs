using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.View;

/// <summary>
/// The mines on record at one moment, in ranking order, and when the newest of them was written. <see cref="ByKey"/>
/// is the view's live index, shared by every snapshot: it may already hold newer versions than <see cref="Ranked"/>
/// (its users, the scorer and the committee count, want the newest they can get; the scorer writes on ETags anyway).
/// One index instead of one per snapshot: a view refreshed every second while a survey is scored would otherwise
/// build a 100,000-entry dictionary each second.
/// </summary>
/// <param name="Version">Counts the snapshots of this view: a new one whenever a mine changed.</param>
public sealed record MineSnapshot(MineEntity[] Ranked, DateTimeOffset? AsOf, IReadOnlyDictionary<(string, string), MineEntity> ByKey, long Version)
{
    public static readonly MineSnapshot Empty = new([], null, new Dictionary<(string, string), MineEntity>(), 0);
}

/// <summary>
/// What the view's refreshes have cost since the instance started: how many, their time in all and the longest, the
/// mines they changed and the time spent ordering them, the whole mines read from storage, and the collections the view
/// forced to let replaced versions go (each stops the process).
/// </summary>
public sealed record ViewCosts(long Refreshes, double RefreshMs, double LongestRefreshMs, long ChangedMines, double RankingMs, long MinesRead,
    long Compactions, double CompactionMs);
