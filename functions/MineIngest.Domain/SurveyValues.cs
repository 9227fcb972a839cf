namespace MineIngest.Domain;

/// <summary>Reads survey values as surveys.md writes them: Persian and Arabic-Indic digits, both decimal marks, Jalali dates.</summary>
public static class SurveyValues
{
    private static readonly PersianCalendar Jalali = new();

    public static bool TryParseNumber(string? text, out double value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var western = TextFold.WesternDigits(text.Trim())
            .Replace('\u066B', '.')   // Arabic decimal separator
            .Replace("\u066C", "")    // Arabic thousands separator
            .Replace(",", "")
            .Replace('\u2212', '-')   // minus sign
            .TrimEnd('%', '\u066A')   // a trailing percent sign: "45%" is 45
            .Trim();
        return double.TryParse(western, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                   CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>
    /// yyyy-mm-dd, yyyy/mm/dd or yyyy.mm.dd in any digit set: a year 1300..1499 is Jalali, 1900..2100 Gregorian.
    /// Returns the Gregorian date.
    /// </summary>
    public static bool TryParseDate(string? text, out DateOnly date)
    {
        date = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var western = TextFold.WesternDigits(text.Trim());
        // Date cells arrive as ISO text; a time part after the date is dropped.
        var space = western.IndexOfAny([' ', 'T']);
        if (space > 0) western = western[..space];
        var parts = western.Split(western.Contains('-') ? '-' : western.Contains('/') ? '/' : '.');
        if (parts.Length != 3 || parts[0].Length != 4 || parts[1].Length is < 1 or > 2 || parts[2].Length is < 1 or > 2) return false;
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var y)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var d)) return false;
        if (m is < 1 or > 12 || d < 1) return false;
        if (y is >= 1300 and <= 1499)
        {
            if (d > Jalali.GetDaysInMonth(y, m)) return false;
            date = DateOnly.FromDateTime(Jalali.ToDateTime(y, m, d, 0, 0, 0, 0));
            return true;
        }
        if (y is >= 1900 and <= 2100 && d <= DateTime.DaysInMonth(y, m))
        {
            date = new DateOnly(y, m, d);
            return true;
        }
        return false;
    }

    /// <summary>The Jalali form of a date, yyyy/mm/dd, for people who think in the Solar Hijri calendar.</summary>
    public static string ToJalali(DateOnly date)
    {
        var dt = date.ToDateTime(TimeOnly.MinValue);
        return string.Create(CultureInfo.InvariantCulture, $"{Jalali.GetYear(dt):0000}/{Jalali.GetMonth(dt):00}/{Jalali.GetDayOfMonth(dt):00}");
    }

    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
