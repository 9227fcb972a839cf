namespace MineIngest.Domain;

/// <summary>A mine as an accepted survey row describes it, with names resolved to slugs.</summary>
public sealed record Mine
{
    public required string Province { get; init; }
    public required string MineId { get; init; }
    public required string Name { get; init; }
    public string? County { get; init; }
    public required string Mineral { get; init; }
    public required string Status { get; init; }
    public required double Latitude { get; init; }
    public required double Longitude { get; init; }
    public required double ReserveTonnes { get; init; }
    public double? GradePct { get; init; }
    public double? RoadKm { get; init; }
    public double? PowerKm { get; init; }
    public required int JobsPotential { get; init; }
    public int? JobsCreated { get; init; }
    public double? InvestmentBnRial { get; init; }
    public int? IdleSince { get; init; }
    public string? Problem { get; init; }
    public required DateOnly SurveyDate { get; init; }
    public DateOnly? RevivedOn { get; init; }
    public string? Notes { get; init; }
    /// <summary>What the clerk should look at again in an accepted row, in both languages.</summary>
    public IReadOnlyList<RowError> Warnings { get; init; } = [];

    /// <summary>The key that identifies a mine within a province: trimmed (<see cref="SurveyText"/>), compared case-insensitively.</summary>
    public static string KeyOf(string mineId) => (SurveyText.Trimmed(mineId) ?? "").ToUpperInvariant();
}

/// <summary>One reason a row was rejected, in English and Persian (<see cref="ClerkMessages"/>).</summary>
public sealed record RowError(string Field, string Message, string MessageFa)
{
    public RowError(string field, ClerkText text) : this(field, text.English, text.Persian) { }
}

/// <summary>What validation made of one row: a mine (possibly with warnings), or the reasons it was rejected.</summary>
public sealed record RowOutcome(int RowNumber, string? MineId, Mine? Mine, IReadOnlyList<RowError> Errors)
{
    public bool Accepted => Mine is not null;
}
