using MineIngest.TestData;

namespace MineIngest.Domain.Tests;

public class ScoringTests
{
    private static readonly RevivalScorer Scorer = new(new ScoringOptions(), ReferenceData.Default);
    private static readonly DateOnly Today = new(2026, 11, 26);

    internal static Mine MineOf(RowBuilder row)
    {
        var outcome = new RowValidator(ReferenceData.Default).Validate(row.ToSurveyRow(2), new ValidationContext(null, Today));
        Assert.True(outcome.Accepted, string.Join("; ", outcome.Errors.Select(e => e.Message)));
        return outcome.Mine!;
    }

    [Fact]
    public void Worked_example_scores_59_0_in_tier_B()
    {
        var score = Scorer.Score(MineOf(RowBuilder.WorkedExample()));

        Assert.Equal(59.0, score.Value);
        Assert.Equal("B", score.Tier);
        Assert.Equal(0.56541, score.Components.Resource, 5);
        Assert.Equal(0.48, score.Components.Grade, 10);
        Assert.Equal(0.6, score.Components.Access, 10);
        Assert.Equal(0.4, score.Components.Jobs, 10);
        Assert.Equal(0.75, score.Components.Cost, 10);
        Assert.Equal(0.9, score.Components.Solvability, 10);
    }

    [Theory]
    [InlineData(65.0, "A")]
    [InlineData(64.9, "B")]
    [InlineData(45.0, "B")]
    [InlineData(44.9, "C")]
    [InlineData(0, "C")]
    [InlineData(100, "A")]
    public void Tier_bounds(double score, string tier) => Assert.Equal(tier, Scorer.TierOf(score));

    [Fact]
    public void Tier_bounds_come_from_configuration()
    {
        var scorer = new RevivalScorer(new ScoringOptions { TierA = 50, TierB = 40 }, ReferenceData.Default);
        Assert.Equal("A", scorer.Score(MineOf(RowBuilder.WorkedExample())).Tier);
    }

    [Fact]
    public void Weights_come_from_configuration()
    {
        var onlyJobs = new ScoringOptions { Resource = 0, Grade = 0, Access = 0, Jobs = 1, Cost = 0, Solvability = 0 };
        Assert.Equal(40.0, new RevivalScorer(onlyJobs, ReferenceData.Default).Score(MineOf(RowBuilder.WorkedExample())).Value);
    }

    [Fact]
    public void Weights_that_do_not_sum_to_one_are_refused_with_the_sum()
    {
        var options = new ScoringOptions { Resource = 0.5 };
        var ex = Assert.Throws<ArgumentException>(() => new RevivalScorer(options, ReferenceData.Default));
        Assert.Contains("sum to 1", ex.Message);
        Assert.Contains("1.25", ex.Message);
    }

    [Fact]
    public void Mineral_without_grade_measure_scores_grade_one_half()
    {
        var mine = MineOf(RowBuilder.WorkedExample().Set("mineral", "construction-stone").Set("grade_pct", null));
        Assert.Equal(0.5, Scorer.Score(mine).Components.Grade);
    }

    [Fact]
    public void Defaults_when_values_are_absent()
    {
        var mine = MineOf(RowBuilder.WorkedExample().Set("road_km", null).Set("power_km", null)
            .Set("investment_bn_rial", null).Set("problem", null));
        var c = Scorer.Score(mine).Components;
        Assert.Equal(0.5, c.Access);
        Assert.Equal(0.5, c.Cost);
        Assert.Equal(0.5, c.Solvability);
    }

    [Fact]
    public void Access_uses_the_one_distance_given_and_clamps()
    {
        Assert.Equal(0.8, Scorer.Score(MineOf(RowBuilder.WorkedExample().Set("power_km", null))).Components.Access, 10);
        Assert.Equal(0, Scorer.Score(MineOf(RowBuilder.WorkedExample().Set("road_km", 200).Set("power_km", 80))).Components.Access);
    }

    [Fact]
    public void Zero_reserve_and_zero_jobs()
    {
        var c = Scorer.Score(MineOf(RowBuilder.WorkedExample().Set("reserve_tonnes", 0).Set("jobs_potential", 0))).Components;
        Assert.Equal(0, c.Resource);
        Assert.Equal(0, c.Jobs);
        Assert.Equal(0.5, c.Cost); // no jobs: cost per job is undefined
    }

    [Theory]
    [InlineData("none", 1.0)]
    [InlineData("financial", 0.9)]
    [InlineData("equipment", 0.8)]
    [InlineData("market", 0.7)]
    [InlineData("infrastructure", 0.6)]
    [InlineData("technical", 0.5)]
    [InlineData("environmental", 0.3)]
    [InlineData("legal", 0.2)]
    public void Solvability_by_main_problem(string problem, double expected) =>
        Assert.Equal(expected, Scorer.Score(MineOf(RowBuilder.WorkedExample().Set("problem", problem))).Components.Solvability);

    [Fact]
    public void Grade_clamps_at_cutoff_and_premium()
    {
        Assert.Equal(0, Scorer.Score(MineOf(RowBuilder.WorkedExample().Set("grade_pct", 10))).Components.Grade);
        Assert.Equal(1, Scorer.Score(MineOf(RowBuilder.WorkedExample().Set("grade_pct", 50))).Components.Grade);
    }

    [Fact]
    public void Ranking_is_score_descending_then_province_then_mine_id()
    {
        var items = new (double S, string P, string M)[] { (50.0, "kerman", "B-2"), (59.0, "yazd", "A-1"), (50.0, "fars", "Z-9"), (50.0, "kerman", "a-1") };
        var ranked = items.Order(new RankingComparer<(double S, string P, string M)>(x => x.S, x => x.P, x => x.M)).ToList();
        Assert.Equal([(59.0, "yazd", "A-1"), (50.0, "fars", "Z-9"), (50.0, "kerman", "a-1"), (50.0, "kerman", "B-2")], ranked);
    }
}
