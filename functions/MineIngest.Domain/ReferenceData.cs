using System.Collections.Frozen;
using System.Reflection;

namespace MineIngest.Domain;

public sealed record Province(string Slug, string English, string Persian);

public sealed record Mineral(
    string Slug, string English, string Persian, string? GradeMeasure,
    double? CutoffPct, double? PremiumPct, double TonnesMin, double TonnesMax)
{
    public bool HasGrade => GradeMeasure is not null && CutoffPct is not null && PremiumPct is not null;
}

public sealed record NamedValue(string Slug, string English, string Persian);

public sealed record Problem(string Slug, string English, string Persian, double Solvability);

/// <summary>
/// The project's own copy of the contract's names: provinces, minerals, statuses and problems,
/// each found by slug, English or Persian name (folded); and the one catalogue of the other values a person reads
/// (tiers, survey states, committee outcomes, solution states) in English and Persian (names.csv).
/// </summary>
public sealed class ReferenceData
{
    public static ReferenceData Default { get; } = Load();

    public IReadOnlyList<Province> Provinces { get; }
    public IReadOnlyList<Mineral> Minerals { get; }
    public IReadOnlyList<NamedValue> Statuses { get; }
    public IReadOnlyList<Problem> Problems { get; }

    /// <summary>The lists of names.csv by list name ("tier", "survey-status", "committee-outcome", "solution-state").</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<NamedValue>> Lists { get; }

    private readonly FrozenDictionary<string, Province> _provinces;
    private readonly FrozenDictionary<string, Mineral> _minerals;
    private readonly FrozenDictionary<string, NamedValue> _statuses;
    private readonly FrozenDictionary<string, Problem> _problems;

    private ReferenceData(
        IReadOnlyList<Province> provinces, IReadOnlyList<Mineral> minerals,
        IReadOnlyList<(NamedValue Value, string[] Aliases)> statuses,
        IReadOnlyList<(Problem Value, string[] Aliases)> problems, IReadOnlyDictionary<string, IReadOnlyList<NamedValue>> lists)
    {
        Lists = lists;
        Provinces = provinces;
        Minerals = minerals;
        Statuses = statuses.Select(s => s.Value).ToList();
        Problems = problems.Select(p => p.Value).ToList();
        _provinces = Index(provinces.Select(p => (p, new[] { p.Slug, p.English, p.Persian })));
        _minerals = Index(minerals.Select(m => (m, new[] { m.Slug, m.English, m.Persian })));
        _statuses = Index(statuses.Select(s => (s.Value, s.Aliases.Concat([s.Value.Slug, s.Value.English, s.Value.Persian]).ToArray())));
        _problems = Index(problems.Select(p => (p.Value, p.Aliases.Concat([p.Value.Slug, p.Value.English, p.Value.Persian]).ToArray())));
    }

    public Province? FindProvince(string? name) => Find(_provinces, name);
    public Mineral? FindMineral(string? name) => Find(_minerals, name);
    public NamedValue? FindStatus(string? name) => Find(_statuses, name);
    public Problem? FindProblem(string? name) => Find(_problems, name);

    /// <summary>A value of one of the <see cref="Lists"/>; an unknown value stands for itself in both languages.</summary>
    public NamedValue Named(string list, string slug) =>
        Lists.TryGetValue(list, out var values) && values.FirstOrDefault(v => v.Slug == slug) is { } named ? named : new NamedValue(slug, slug, slug);

    /// <summary>A value of one of the <see cref="Lists"/> as <see cref="Bilingual"/> writes it.</summary>
    public string Both(string list, string slug)
    {
        var named = Named(list, slug);
        return Bilingual(named.Persian, named.English);
    }

    /// <summary>"Persian - English", as the exports write named values; one text when both are the same.</summary>
    public static string Bilingual(string persian, string english) => persian == english ? english : $"{persian} - {english}";

    public Province ProvinceBySlug(string slug) => _provinces[slug];
    public Mineral MineralBySlug(string slug) => _minerals[slug];

    private static T? Find<T>(FrozenDictionary<string, T> index, string? name) where T : class
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        return index.TryGetValue(name, out var exact) ? exact : index.GetValueOrDefault(TextFold.Key(name));
    }

    private static FrozenDictionary<string, T> Index<T>(IEnumerable<(T Value, string[] Names)> items)
    {
        var map = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (value, names) in items)
        {
            foreach (var name in names.Where(n => !string.IsNullOrWhiteSpace(n)))
            {
                map[name] = value;
                map[TextFold.Key(name)] = value;
            }
        }
        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static ReferenceData Load()
    {
        var provinces = ReadCsv("provinces.csv").Select(r => new Province(r[0], r[1], r[2])).ToList();
        var minerals = ReadCsv("minerals.csv").Select(r => new Mineral(
            r[0], r[1], r[2], NullIfEmpty(r[3]), ParseOptional(r[4]), ParseOptional(r[5]),
            double.Parse(r[6], CultureInfo.InvariantCulture), double.Parse(r[7], CultureInfo.InvariantCulture))).ToList();
        var statuses = ReadCsv("statuses.csv").Select(r => (new NamedValue(r[0], r[1], r[2]), Aliases(r[3]))).ToList();
        var problems = ReadCsv("problems.csv").Select(r => (
            new Problem(r[0], r[1], r[2], double.Parse(r[4], CultureInfo.InvariantCulture)), Aliases(r[3]))).ToList();
        var lists = ReadCsv("names.csv").GroupBy(r => r[0])
            .ToDictionary(g => g.Key, g => (IReadOnlyList<NamedValue>)g.Select(r => new NamedValue(r[1], r[2], r[3])).ToList());
        return new ReferenceData(provinces, minerals, statuses, problems, lists);
    }

    private static string[] Aliases(string field) =>
        field.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string? NullIfEmpty(string s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private static double? ParseOptional(string s) =>
        string.IsNullOrWhiteSpace(s) ? null : double.Parse(s, CultureInfo.InvariantCulture);

    /// <summary>Reads one of the embedded reference tables (simple CSV, quotes allowed), skipping its header.</summary>
    internal static List<string[]> ReadCsv(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"MineIngest.Domain.ReferenceData.{name}")
            ?? throw new InvalidOperationException($"Reference table {name} is not embedded.");
        using var reader = new StreamReader(stream);
        var rows = new List<string[]>();
        reader.ReadLine();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            rows.Add(SplitCsvLine(line));
        }
        return rows;
    }

    private static string[] SplitCsvLine(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else current.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        fields.Add(current.ToString());
        return fields.ToArray();
    }
}
