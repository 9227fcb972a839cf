using Azure.Data.Tables;
using MineIngest.Domain;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;
using MineIngest.Pipeline.Office;

namespace MineIngest.Pipeline.Api;

/// <summary>Solutions recorded, by state (<see cref="OfficeApi.SolutionStates"/>).</summary>
public sealed record SolutionCounts(int Proposed, int Agreed, int InProgress, int Done)
{
    public int Total => Proposed + Agreed + InProgress + Done;

    /// <summary>Counts the states given; null (no solution recorded) counts nowhere.</summary>
    public static SolutionCounts Of(IEnumerable<string?> states)
    {
        int p = 0, a = 0, i = 0, d = 0;
        foreach (var state in states)
        {
            switch (state)
            {
                case "proposed": p++; break;
                case "agreed": a++; break;
                case "in-progress": i++; break;
                case "done": d++; break;
            }
        }
        return new SolutionCounts(p, a, i, d);
    }
}

public sealed record ReportProvinceRow(string Province, int Mines, TierCounts Tiers, int Revived, long JobsCreated, int Meetings, SolutionCounts Solutions);

public sealed record ReportMineralRow(string Mineral, int Mines, TierCounts Tiers, int Revived, long JobsCreated);

/// <param name="Diagnosed">Mines whose survey named this main problem; <paramref name="Solutions"/> of them have a solution recorded.</param>
public sealed record ReportProblemRow(string Problem, int Diagnosed, SolutionCounts Solutions);

public sealed record ReportRevivedMine(string Province, string MineId, string Name, string Mineral, string RevivedOn, int JobsCreated);

/// <param name="This">The period's summary, as /api/summary answers it for the same period and province.</param>
/// <param name="Before">The summary of the period it is compared with.</param>
public sealed record ProgressReport(
    ReportPeriod Period, string? Province, Summary This, Summary Before, int Diagnosed, SolutionCounts Solutions,
    IReadOnlyList<ReportProvinceRow> ByProvince, IReadOnlyList<ReportMineralRow> ByMineral, IReadOnlyList<ReportProblemRow> ByProblem,
    IReadOnlyList<ReportRevivedMine> Revived, IReadOnlyList<CommitteeDto> Meetings);

/// <summary>
/// The programme's progress report for a period: built from the same view, committee meetings and solutions as the API,
/// so its figures equal /api/summary's for the same period and province.
/// </summary>
public sealed class ProgressReports(StorageClients storage, ViewReader views)
{
    public async Task<(ProgressReport Report, AnswerFreshness Freshness)> BuildAsync(RequestFreshness freshness, ReportPeriod period, string? province, CancellationToken ct)
    {
        var (snapshot, meetings, answer) = await views.MinesAndMeetingsAsync(freshness, ct);
        var solutions = await CurrentSolutionsAsync(province, ct);
        var (from, to) = (period.FromIso, period.ToIso);
        var summary = SummaryBuilder.Build(snapshot, meetings, province, null, from, to);
        var before = SummaryBuilder.Build(snapshot, meetings, province, null, period.Previous.FromIso, period.Previous.ToIso);
        var inScope = snapshot.Ranked.Where(m => province is null || m.PartitionKey == province).ToList();
        string? StateOf(MineEntity m) => solutions.GetValueOrDefault((m.PartitionKey, m.RowKey));

        var byProvince = summary.ByProvince.Select(g => new ReportProvinceRow(g.Province, g.Mines, g.ByTier, g.Revived, g.JobsCreated,
            CommitteeStore.Select(meetings, from, to, g.Province).Count(),
            SolutionCounts.Of(inScope.Where(m => m.PartitionKey == g.Province).Select(StateOf)))).ToList();
        var byMineral = summary.ByMineral.Select(g => new ReportMineralRow(g.Mineral, g.Mines, g.ByTier, g.Revived, g.JobsCreated)).ToList();
        // Problems diagnosed: mines whose survey named a main problem other than none.
        var diagnosed = inScope.Where(m => m.Problem is { } p && p != "none").ToList();
        var byProblem = diagnosed.GroupBy(m => m.Problem!).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ReportProblemRow(g.Key, g.Count(), SolutionCounts.Of(g.Select(StateOf))))
            .ToList();
        var revived = inScope.Where(m => SummaryBuilder.RevivedIn(m, from, to))
            .OrderBy(m => m.RevivedOn, StringComparer.Ordinal).ThenBy(m => m.PartitionKey, StringComparer.Ordinal).ThenBy(m => m.RowKey, StringComparer.Ordinal)
            .Select(m => new ReportRevivedMine(m.PartitionKey, m.MineId, m.Name, m.Mineral, m.RevivedOn!, m.JobsCreated ?? 0)).ToList();
        var report = new ProgressReport(period, province, summary, before, diagnosed.Count,
            SolutionCounts.Of(diagnosed.Select(StateOf)),
            byProvince, byMineral, byProblem, revived, CommitteeStore.Select(meetings, from, to, province).ToList());
        return (report, answer);
    }

    /// <summary>Each mine's current solution state (the history's entities, keyed "mine|time", left out).</summary>
    private async Task<Dictionary<(string, string), string>> CurrentSolutionsAsync(string? province, CancellationToken ct)
    {
        var states = new Dictionary<(string, string), string>();
        var filter = province is null ? null : TableClient.CreateQueryFilter($"PartitionKey eq {province}");
        await foreach (var s in storage.Solutions.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey", nameof(SolutionEntity.State)], cancellationToken: ct))
            if (!s.RowKey.Contains('|', StringComparison.Ordinal)) states[(s.PartitionKey, s.RowKey)] = s.GetString(nameof(SolutionEntity.State)) ?? "";
        return states;
    }
}
