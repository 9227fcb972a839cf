using System.Buffers;
using System.Text.RegularExpressions;

namespace MineIngest.Domain.Writing;

/// <summary>
/// The one rule against formula injection for every file the system hands out (OWASP, "CSV injection"): a spreadsheet
/// runs a cell that starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return as a formula, so in
/// CSV such a text gets a leading apostrophe; xlsx writes text as string cells, which are never formulas. A plain
/// number ("-12.5") is no formula and stays as it is. The readers take the apostrophe off again
/// (<see cref="FromSheet"/>), so a corrected rows-to-fix file goes back in with the clerk's own values.
/// </summary>
public static partial class SpreadsheetText
{
    public const char Guard = '\'';
    private static readonly SearchValues<char> FormulaStarts = SearchValues.Create("=+-@\t\r");

    /// <summary>True for a text a spreadsheet would evaluate rather than show.</summary>
    public static bool StartsLikeFormula(ReadOnlySpan<char> value) =>
        value.Length > 0 && FormulaStarts.Contains(value[0]) && !PlainNumber().IsMatch(value);

    /// <summary>A value for a CSV cell: as given, or with the apostrophe in front when it would start a formula.</summary>
    public static string ForCsv(string? value) =>
        value is null ? "" : NeedsGuard(value) ? Guard + value : value;

    /// <summary>A value for an xlsx string cell (never a formula): as given, but with one more apostrophe where
    /// <see cref="FromSheet"/> would take one off, so that "'=x" comes back as "'=x".</summary>
    public static string ForSheet(string value) => FromSheet(value).Length != value.Length ? Guard + value : value;

    /// <summary>A text read from a sheet: the apostrophe <see cref="ForCsv"/> put in front of a formula-like text taken off.</summary>
    public static string FromSheet(string text) =>
        text.Length > 1 && text[0] == Guard && NeedsGuard(text.AsSpan(1)) ? text[1..] : text;

    /// <summary>Formula-like, also after apostrophes: those are guarded too, so that the reader taking one apostrophe off
    /// gives every text back exactly ("'=x" is written "''=x").</summary>
    private static bool NeedsGuard(ReadOnlySpan<char> value) => StartsLikeFormula(value.TrimStart(Guard));

    [GeneratedRegex(@"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainNumber();
}
