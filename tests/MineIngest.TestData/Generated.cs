using MineIngest.Domain;

namespace MineIngest.TestData;

/// <summary>Large generated surveys for benchmarks and load tests.</summary>
public static class Generated
{
    private static readonly string[] Minerals = ["chromite", "manganese", "hematite", "iron-ore", "copper", "dolomite", "construction-stone", "limestone"];

    /// <summary>
    /// A varied survey of <paramref name="rows"/> mines across every province, every twentieth row (i % 20 == 19) rejected
    /// for a latitude outside Iran, unless <paramref name="allValid"/>.
    /// </summary>
    public static SurveyBuilder Survey(int rows, string folder, bool allValid = false)
    {
        var random = new Random(1399);
        var provinces = ReferenceData.Default.Provinces;
        return new SurveyBuilder().AddMany(rows, i =>
        {
            var mineral = Minerals[i % Minerals.Length];
            var row = RowBuilder.WorkedExample($"G-{i:D6}", provinces[i % provinces.Count].Slug)
                .Set("mineral", mineral).Set("latitude", Math.Round(26 + random.NextDouble() * 12, 4)).Set("longitude", Math.Round(45 + random.NextDouble() * 17, 4))
                .Set("reserve_tonnes", random.Next(1_000, 5_000_000)).Set("grade_pct", mineral == "construction-stone" ? null : Math.Round(random.NextDouble() * 60, 2))
                .Set("jobs_potential", random.Next(0, 80)).Set("road_km", random.Next(0, 100)).Set("power_km", random.Next(0, 100))
                .Set("survey_date", new DateOnly(2020, 1, 1).AddDays(random.Next(0, 1500)));
            if (i % 7 == 0) row.Set("status", "revived").Set("revived_on", new DateOnly(2020, 6, 1).AddDays(random.Next(0, 900))).Set("jobs_created", random.Next(0, 60));
            if (i % 20 == 19 && !allValid) row.Set("latitude", 45.5);
            return row;
        });
    }
}
