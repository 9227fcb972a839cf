using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline.Api;

/// <summary>The summary of http-api.md computed from one view snapshot and the committee meetings.</summary>
public static class SummaryBuilder
{
    public static Summary Build(MineSnapshot snapshot, IReadOnlyList<CommitteeDto> meetings, string? province, string? mineral, string? from, string? to)
    {
        // Committee figures for the period: meetings that concern the province; mines of the scope with an agreement signed there.
        var inPeriod = CommitteeStore.Select(meetings, from, to, province).ToList();
        var agreed = inPeriod.SelectMany(c => c.Mines).Where(m => m.Outcome == CommitteeOutcomes.AgreementSigned && (province is null || m.Province == province))
            .Select(m => (m.Province, MineEntity.KeyFor(m.MineId))).Distinct()
            .Count(k => mineral is null || (snapshot.ByKey.TryGetValue(k, out var mine) && mine.Mineral == mineral));

        // One pass over the ranked mines, nothing copied: built once a snapshot, which is once a second while a
        // dashboard watches a survey being scored, and lists of 100,000 mines per build were large-object garbage.
        var all = new Tally();
        var byProvince = new Dictionary<string, Tally>(StringComparer.Ordinal);
        var byMineral = new Dictionary<string, Tally>(StringComparer.Ordinal);
        var byProblem = new Dictionary<string, (int Mines, long JobsPotential, double Investment)>(StringComparer.Ordinal);
        int idle = 0, reviving = 0, revivedStatus = 0, active = 0;
        long jobsPotential = 0;
        double investment = 0;
        DateTimeOffset? lastWritten = null;
        foreach (var m in snapshot.Ranked)
        {
            if ((province is not null && m.PartitionKey != province) || (mineral is not null && m.Mineral != mineral)) continue;
            var revivedInPeriod = RevivedIn(m, from, to);
            all.Add(m, revivedInPeriod);
            Tally.Of(byProvince, m.PartitionKey).Add(m, revivedInPeriod);
            Tally.Of(byMineral, m.Mineral).Add(m, revivedInPeriod);
            switch (m.Status)
            {
                case "idle": idle++; break;
                case "reviving": reviving++; break;
                case "revived": revivedStatus++; break;
                case "active": active++; break;
            }
            jobsPotential += m.JobsPotential;
            investment += m.InvestmentBnRial ?? 0;
            ref var problem = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(byProblem, m.Problem ?? UnspecifiedProblem, out _);
            problem = (problem.Mines + 1, problem.JobsPotential + m.JobsPotential, problem.Investment + (m.InvestmentBnRial ?? 0));
            if (m.Timestamp is { } written && (lastWritten is null || written > lastWritten)) lastWritten = written;
        }

        return new Summary(
            province, mineral, from, to, all.Mines, byProvince.Count, all.Tiers,
            new StatusCounts(idle, reviving, revivedStatus, active),
            jobsPotential, all.Revived, all.JobsCreated,
            byProvince.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new ProvinceGroup(g.Key, g.Value.Mines, g.Value.Revived, g.Value.JobsCreated, g.Value.Tiers)).ToList(),
            byMineral.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new MineralGroup(g.Key, g.Value.Mines, g.Value.Revived, g.Value.JobsCreated, g.Value.Tiers)).ToList(),
            all.Mines == 0 ? null : lastWritten?.UtcDateTime,
            byProblem.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new ProblemGroup(g.Key, g.Value.Mines, g.Value.JobsPotential, Math.Round(g.Value.Investment, 4))).ToList(),
            Math.Round(investment, 4), inPeriod.Count, agreed);
    }

    /// <summary>A summary's figures for one group of mines, counted as the mines go by.</summary>
    private sealed class Tally
    {
        public int Mines, Revived, A, B, C;
        public long JobsCreated;

        public TierCounts Tiers => new(A, B, C);

        public static Tally Of(Dictionary<string, Tally> groups, string key)
        {
            ref var tally = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(groups, key, out _);
            return tally ??= new Tally();
        }

        public void Add(MineEntity m, bool revivedInPeriod)
        {
            Mines++;
            if (revivedInPeriod)
            {
                Revived++;
                JobsCreated += m.JobsCreated ?? 0;
            }
            switch (m.Tier)
            {
                case "A": A++; break;
                case "B": B++; break;
                case "C": C++; break;
            }
        }
    }

    /// <summary>A mine revived with its revival date in the period (ISO dates, either end open): what "revived" counts.</summary>
    public static bool RevivedIn(MineEntity m, string? from, string? to) => m.Status == "revived" && m.RevivedOn is { } on
        && (from is null || string.CompareOrdinal(on, from) >= 0) && (to is null || string.CompareOrdinal(on, to) <= 0);

    /// <summary>The problem group of mines whose survey named no main problem.</summary>
    public const string UnspecifiedProblem = "unspecified";

}
