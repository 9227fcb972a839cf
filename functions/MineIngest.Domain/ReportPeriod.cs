using System.Globalization;
using System.Text.RegularExpressions;

namespace MineIngest.Domain;

/// <summary>
/// A period of the progress report, as the programme office names it: a Jalali year (<c>1399</c>), quarter
/// (<c>1399-Q1</c>), half (<c>1399-H1</c>), month (<c>1399-05</c>), the first N months of a year (<c>1399-F5</c>), or any
/// dates in either calendar. It knows its Gregorian ends, its names in both languages and the period it is compared with.
/// </summary>
/// <param name="PreviousName">The named period before this one (<c>1398-Q4</c> for <c>1399-Q1</c>); null for plain dates.</param>
public sealed partial record ReportPeriod(DateOnly From, DateOnly To, string English, string Persian, string? PreviousName = null)
{
    private static readonly PersianCalendar Jalali = new();

    public static readonly IReadOnlyList<string> MonthsEnglish =
        ["Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand"];

    public static readonly IReadOnlyList<string> MonthsPersian =
        ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"];

    /// <summary>
    /// The period compared with this one: for a named period the one before it (the year before, the quarter, half or
    /// month before, the same first months of the year before); for plain dates as many days just before.
    /// </summary>
    public ReportPeriod Previous => PreviousName is { } name && Named(name) is { } named ? named
        : Dates(From.AddDays(-(To.DayNumber - From.DayNumber + 1)), From.AddDays(-1));

    public string FromIso => SurveyValues.Iso(From);
    public string ToIso => SurveyValues.Iso(To);

    /// <summary>
    /// Reads <c>period</c> or <c>month</c>, else <c>from</c> and <c>to</c> (either calendar). Null with a reason when the
    /// text is no period; a missing end is the start of records (2000-01-01) or today.
    /// </summary>
    public static ReportPeriod? Parse(string? period, string? month, string? from, string? to, DateOnly today, out string? problem)
    {
        problem = null;
        if (!string.IsNullOrWhiteSpace(month)) period = month;
        if (!string.IsNullOrWhiteSpace(period))
        {
            var named = Named(TextFold.WesternDigits(period.Trim()).ToUpperInvariant());
            if (named is null) problem = $"\"{period}\" is not a period: write 1399, 1399-Q1 to Q4, 1399-H1 or H2, 1399-F1 to F11 (the first months), or a month 1399-05.";
            return named;
        }
        DateOnly start = new(2000, 1, 1), end = today;
        if (!string.IsNullOrWhiteSpace(from) && !SurveyValues.TryParseDate(from, out start)) { problem = $"\"{from}\" is not a date: write year-month-day, Jalali (1399-01-01) or Gregorian (2020-03-20)."; return null; }
        if (!string.IsNullOrWhiteSpace(to) && !SurveyValues.TryParseDate(to, out end)) { problem = $"\"{to}\" is not a date: write year-month-day, Jalali (1399-05-31) or Gregorian (2020-08-21)."; return null; }
        if (end < start) { problem = $"from ({SurveyValues.Iso(start)}) is after to ({SurveyValues.Iso(end)})."; return null; }
        return Dates(start, end);
    }

    private static ReportPeriod Dates(DateOnly from, DateOnly to)
    {
        string J(DateOnly d) => SurveyValues.ToJalali(d);
        return new ReportPeriod(from, to, $"{J(from)} to {J(to)}", $"{J(from)} تا {J(to)}");
    }

    private static ReportPeriod? Named(string text)
    {
        var match = NamedPeriod().Match(text);
        if (!match.Success) return null;
        var year = int.Parse(match.Groups["year"].Value, CultureInfo.InvariantCulture);
        if (year is < 1300 or > 1499) return null;
        var kind = match.Groups["n"].Success ? match.Groups["kind"].Value is { Length: > 0 } k ? k : "-" : "";
        var n = match.Groups["n"].Success ? int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture) : 0;
        return kind switch
        {
            "" => Months(year, 1, 12, $"the year {year}", $"سال {year}", $"{year - 1}"),
            "Q" when n is >= 1 and <= 4 => Months(year, n * 3 - 2, n * 3, $"quarter {n} of {year}", $"فصل {Ordinal(n)} {year}",
                n == 1 ? $"{year - 1}-Q4" : $"{year}-Q{n - 1}"),
            "H" when n is 1 or 2 => Months(year, n * 6 - 5, n * 6, $"{(n == 1 ? "the first" : "the second")} half of {year}", $"نیمه {Ordinal(n)} {year}",
                n == 1 ? $"{year - 1}-H2" : $"{year}-H1"),
            "F" when n is >= 1 and <= 11 => Months(year, 1, n, $"the first {n} months of {year}", $"{n} ماه نخست {year}", $"{year - 1}-F{n}"),
            "-" when n is >= 1 and <= 12 => Months(year, n, n, $"{MonthsEnglish[n - 1]} {year}", $"{MonthsPersian[n - 1]} {year}",
                n == 1 ? $"{year - 1}-12" : string.Create(CultureInfo.InvariantCulture, $"{year}-{n - 1:00}")),
            _ => null,
        };
    }

    private static ReportPeriod Months(int year, int first, int last, string english, string persian, string previous) => new(
        DateOnly.FromDateTime(Jalali.ToDateTime(year, first, 1, 0, 0, 0, 0)),
        DateOnly.FromDateTime(Jalali.ToDateTime(year, last, Jalali.GetDaysInMonth(year, last), 0, 0, 0, 0)),
        english, persian, int.Parse(previous[..4], CultureInfo.InvariantCulture) >= 1300 ? previous : null);

    private static string Ordinal(int n) => n switch { 1 => "اول", 2 => "دوم", 3 => "سوم", _ => "چهارم" };

    [GeneratedRegex(@"^(?<year>\d{4})(?:-(?<kind>Q|H|F)?(?<n>\d{1,2}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex NamedPeriod();
}
