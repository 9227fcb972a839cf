namespace MineIngest.Domain;

/// <summary>Weights and tier bounds of the revival score (scoring.md); configurable under "Scoring".</summary>
public sealed class ScoringOptions
{
    public const string Section = "Scoring";

    public double Resource { get; set; } = 0.25;
    public double Grade { get; set; } = 0.20;
    public double Access { get; set; } = 0.15;
    public double Jobs { get; set; } = 0.15;
    public double Cost { get; set; } = 0.15;
    public double Solvability { get; set; } = 0.10;
    public double TierA { get; set; } = 65;
    public double TierB { get; set; } = 45;

    /// <summary>Why this configuration cannot be used, or null when it can.</summary>
    /// <summary>Names the settings a score was made with: mines scored with another fingerprint are scored again.</summary>
    public string Fingerprint() => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
        string.Join("|", new[] { Resource, Grade, Access, Jobs, Cost, Solvability, TierA, TierB }.Select(v => v.ToString("R", CultureInfo.InvariantCulture))))))[..16];

    public string? Problem()
    {
        double[] weights = [Resource, Grade, Access, Jobs, Cost, Solvability];
        if (weights.Any(w => w < 0 || !double.IsFinite(w))) return "Scoring weights must be numbers of 0 or more.";
        var sum = weights.Sum();
        if (Math.Abs(sum - 1) > 1e-9)
            return string.Create(CultureInfo.InvariantCulture,
                $"Scoring weights must sum to 1, but Resource + Grade + Access + Jobs + Cost + Solvability = {sum:0.####}.");
        if (TierB > TierA) return "Scoring tier bounds must have TierA at or above TierB.";
        return null;
    }
}

public sealed record ScoreComponents(double Resource, double Grade, double Access, double Jobs, double Cost, double Solvability);

public sealed record Score(double Value, string Tier, ScoreComponents Components);

/// <summary>The revival priority score of scoring.md: six criteria, each 0..1, weighted to 0..100.</summary>
public sealed class RevivalScorer
{
    private readonly ScoringOptions _options;
    private readonly ReferenceData _reference;

    public RevivalScorer(ScoringOptions options, ReferenceData reference)
    {
        if (options.Problem() is { } problem) throw new ArgumentException(problem, nameof(options));
        _options = options;
        _reference = reference;
    }

    public Score Score(Mine mine)
    {
        var mineral = _reference.MineralBySlug(mine.Mineral);
        var components = new ScoreComponents(
            Resource: mine.ReserveTonnes <= 0 ? 0
                : Clamp((Math.Log10(mine.ReserveTonnes) - Math.Log10(mineral.TonnesMin)) / (Math.Log10(mineral.TonnesMax) - Math.Log10(mineral.TonnesMin))),
            Grade: mineral is { HasGrade: true, CutoffPct: { } cutoff, PremiumPct: { } premium } && mine.GradePct is { } grade
                ? Clamp((grade - cutoff) / (premium - cutoff)) : 0.5,
            Access: Access(mine.RoadKm, mine.PowerKm),
            Jobs: Clamp(mine.JobsPotential / 50.0),
            Cost: mine.InvestmentBnRial is { } investment && mine.JobsPotential > 0
                ? 1 - Clamp(investment / mine.JobsPotential / 20) : 0.5,
            Solvability: mine.Problem is { } problem ? _reference.FindProblem(problem)!.Solvability : 0.5);

        var weighted = _options.Resource * components.Resource + _options.Grade * components.Grade
            + _options.Access * components.Access + _options.Jobs * components.Jobs
            + _options.Cost * components.Cost + _options.Solvability * components.Solvability;
        // Through decimal so that 59.05 stored as 59.04999... still rounds as a person would.
        var value = (double)Math.Round((decimal)(100 * weighted), 1, MidpointRounding.AwayFromZero);
        return new Score(value, TierOf(value), components);
    }

    public string TierOf(double score) => score >= _options.TierA ? "A" : score >= _options.TierB ? "B" : "C";

    private static double Access(double? roadKm, double? powerKm)
    {
        if (roadKm is null && powerKm is null) return 0.5;
        var d = roadKm is { } r && powerKm is { } p ? (r + p) / 2 : roadKm ?? powerKm!.Value;
        return 1 - Clamp(d / 50);
    }

    private static double Clamp(double value) => double.IsNaN(value) ? 0 : Math.Clamp(value, 0, 1);
}

/// <summary>Ranking order of scoring.md: score descending, then province slug, then mine id, ascending.</summary>
public sealed class RankingComparer<T>(Func<T, double> score, Func<T, string> province, Func<T, string> mineId) : IComparer<T>
{
    public int Compare(T? x, T? y)
    {
        if (x is null || y is null) return x is null ? (y is null ? 0 : 1) : -1;
        var byScore = score(y).CompareTo(score(x));
        if (byScore != 0) return byScore;
        var byProvince = string.CompareOrdinal(province(x), province(y));
        return byProvince != 0 ? byProvince : string.CompareOrdinal(Mine.KeyOf(mineId(x)), Mine.KeyOf(mineId(y)));
    }
}
