namespace MineIngest.Domain;

/// <summary>The survey's columns in contract order (survey-columns.csv); the ordinal indexes a row's values.</summary>
public enum Column
{
    MineId, MineName, Province, County, Mineral, Status, Latitude, Longitude, ReserveTonnes, GradePct,
    RoadKm, PowerKm, JobsPotential, JobsCreated, InvestmentBnRial, IdleSince, Problem, SurveyDate, RevivedOn, Notes,
}

public sealed record SurveyColumn(Column Column, string Key, string English, string Persian, bool Required, bool Numeric)
{
    /// <summary>How a clerk sees the column named in a message: "Latitude (عرض جغرافیایی)".</summary>
    public string DisplayName => $"{English} ({Persian})";
}

public static class SurveyColumns
{
    public const int Count = 20;

    /// <summary>Columns as the contract lists them. grade_pct and revived_on are required only for some rows,
    /// so a survey without those columns is read and the rows that need them are rejected.</summary>
    public static IReadOnlyList<SurveyColumn> All { get; } = ReferenceData.ReadCsv("survey-columns.csv")
        .Select((r, i) => new SurveyColumn((Column)i, r[0], r[1], r[2], r[4] == "yes",
            Numeric: r[3].Contains("number", StringComparison.Ordinal) || r[3] is "decimal degrees" or "year"))
        .ToList();

    public static IReadOnlyList<SurveyColumn> Required { get; } = All.Where(c => c.Required).ToList();

    private static readonly Dictionary<string, Column> ByHeaderKey = All
        .SelectMany(c => new[] { c.Key, c.English, c.Persian }.Select(name => (Name: TextFold.HeaderKey(name), c.Column)))
        .DistinctBy(x => x.Name)
        .ToDictionary(x => x.Name, x => x.Column);

    public static SurveyColumn Get(Column column) => All[(int)column];

    public static Column? MatchHeader(string? header) =>
        string.IsNullOrWhiteSpace(header) ? null
        : ByHeaderKey.TryGetValue(TextFold.HeaderKey(header), out var column) ? column : null;
}
