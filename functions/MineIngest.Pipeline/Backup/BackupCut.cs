using Azure.Data.Tables;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Backup;

/// <summary>
/// What makes a backup taken while surveys are scored consistent: the surveys settled at its point in time (rejected, or
/// every row accounted for) are in it whole; every other survey is left out whole, with its chunks, row errors and every
/// mine version it wrote, so that after a restore the sweep reads it again from its upload. A mine whose current record
/// came from a survey left out goes back to its newest version from a survey kept (as a withdrawal would put it back),
/// or is left out when it has none. A survey left out keeps only the record that its file was received (when, and which
/// upload), so that its reading again keeps its place among the surveys.
/// </summary>
public sealed class BackupCut
{
    private readonly HashSet<string> _settled;

    public BackupCut(IEnumerable<SurveyEntity> surveys)
    {
        var all = surveys.ToList();
        _settled = all.Where(s => s.IsSettled()).Select(s => s.RowKey).ToHashSet(StringComparer.Ordinal);
        LeftOut = all.Where(s => !s.IsSettled()).Select(s => new LeftOutSurvey(s.RowKey, s.Blob, s.Stage)).OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Surveys known at the point in time and not settled then.</summary>
    public IReadOnlyList<LeftOutSurvey> LeftOut { get; }

    /// <summary>Whether a survey's records belong in the backup: it was settled at the point in time (a later survey was not).</summary>
    public bool Keeps(string surveyId) => _settled.Contains(surveyId);

    /// <summary>
    /// A survey record as the backup holds it: whole when the survey was settled (rejected, or no row pending; withdrawals
    /// done or under way included), else as received and not yet read, so that the sweep reads it again after a restore.
    /// </summary>
    public TableEntity Survey(TableEntity stored)
    {
        if (stored.PartitionKey != SurveyEntity.Partition || Keeps(stored.RowKey)) return stored;
        var received = new TableEntity(stored.PartitionKey, stored.RowKey) { Timestamp = stored.Timestamp };
        foreach (var name in (string[])[nameof(SurveyEntity.Blob), nameof(SurveyEntity.Folder), nameof(SurveyEntity.ReceivedAt), nameof(SurveyEntity.BlobETag)])
            if (stored.TryGetValue(name, out var value) && value is not null) received[name] = value;
        received[nameof(SurveyEntity.Stage)] = SurveyStage.Reading;
        received[nameof(SurveyEntity.ReadAttempts)] = 0;
        return received;
    }

    /// <summary>
    /// The mine as the backup holds it: unchanged when every version it holds is from a survey kept; else without the
    /// versions of surveys left out and, if its current record is one of them, back at its newest kept version; null
    /// when no kept version is left.
    /// </summary>
    public TableEntity? Mine(TableEntity stored)
    {
        var mine = MineEntity.From(stored);
        var versions = MineHistory.VersionsOf(mine, stored);
        if (versions.All(v => Keeps(v.SurveyId))) return stored;
        var cut = new TableEntity(stored.PartitionKey, stored.RowKey) { Timestamp = stored.Timestamp };
        foreach (var (name, value) in stored)
        {
            if (name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag") continue;
            if (IsVersionOfLeftOut(name, value)) continue;
            cut[name] = value;
        }
        if (Keeps(mine.SurveyId)) return cut;

        var withdrawn = MineHistory.WithdrawnIn(stored);
        var restoreTo = versions.LastOrDefault(v => Keeps(v.SurveyId) && !withdrawn.ContainsKey(v.SurveyId));
        if (restoreTo is null) return null;
        cut[nameof(MineEntity.Data)] = restoreTo.ToMine(mine).Data;
        // The notes were the left-out survey's: earlier notes are not kept with the versions (its reading writes them again).
        cut.Remove(nameof(MineEntity.Notes));
        // The version is the current record again, as it was before the left-out survey replaced it.
        if (restoreTo.Data is not null) cut.Remove(MineHistory.PropertyOf(restoreTo));
        return cut;
    }

    private bool IsVersionOfLeftOut(string name, object value) =>
        value is string stored && MineHistory.StoredIn([new(name, stored)]).FirstOrDefault() is { } version && !Keeps(version.SurveyId);
}
