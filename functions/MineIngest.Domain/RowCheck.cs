using MineIngest.Domain.Reading;

namespace MineIngest.Domain;

/// <summary>
/// Checks rows given as text by column key exactly as a CSV survey of those rows, in that order, would be checked: each
/// value read as a CSV cell is read (<see cref="Cell.ToSurveyText"/>), duplicates among the rows found as the reader
/// finds them (<see cref="DuplicateTracker"/>), then each row through <see cref="RowValidator"/>. Stores nothing.
/// </summary>
public sealed class RowCheck(RowValidator validator, ReferenceData reference)
{
    private static readonly Dictionary<string, SurveyColumn> ByKey = SurveyColumns.All.ToDictionary(c => c.Key, StringComparer.Ordinal);

    /// <summary>The column keys a row may name (survey-columns.csv).</summary>
    public static bool IsColumn(string key) => ByKey.ContainsKey(key);

    public IReadOnlyList<RowOutcome> Check(IEnumerable<(int Row, IReadOnlyDictionary<string, string?> Values)> rows, ValidationContext context)
    {
        var duplicates = new DuplicateTracker(reference);
        var outcomes = new List<RowOutcome>();
        foreach (var (number, values) in rows)
        {
            var cells = new string?[SurveyColumns.Count];
            foreach (var (key, text) in values)
                if (ByKey.TryGetValue(key, out var column)) cells[(int)column.Column] = Cell.FromText(text).ToSurveyText();
            var row = new SurveyRow(number, cells);
            outcomes.Add(validator.Validate(row, context, duplicates.Check(row)));
        }
        return outcomes;
    }
}
