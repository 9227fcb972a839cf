namespace MineIngest.Domain;

/// <summary>Reads survey values as surveys.md writes them: Persian and Arabic-Indic digits, both decimal marks, Jalali dates.</summary>
public static class SurveyValues
{
    private static readonly PersianCalendar Jalali = new();

    public static bool TryParseNumber(string? text, out double value)
    {
        if (TryParsePlainDecimal(text, out value)) return true;
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

    private static readonly double[] PowersOfTen =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    /// <summary>
    /// The common case without the general parser: "-?digits[.digits]" in Western digits. When the digits make an
    /// integer of at most 2^53 and there are at most 22 decimals, both that integer and the power of ten are exact
    /// doubles and one division rounds correctly: the same double as <see cref="double.Parse(string)"/>, several times faster.
    /// Anything else (other digit sets, separators, exponents, more digits) returns false for the general path.
    /// </summary>
    internal static bool TryParsePlainDecimal(ReadOnlySpan<char> text, out double value)
    {
        value = 0;
        var i = 0;
        var negative = text.Length > 0 && text[0] == '-';
        if (negative) i = 1;
        long mantissa = 0;
        var digits = 0;
        var decimals = -1;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if ((uint)(c - '0') <= 9)
            {
                if (mantissa >= 100_000_000_000_000_000) return false;
                mantissa = mantissa * 10 + (c - '0');
                digits++;
                if (decimals >= 0) decimals++;
            }
            else if (c == '.' && decimals < 0) decimals = 0;
            else return false;
        }
        if (digits == 0 || decimals == 0 || mantissa > 1L << 53 || decimals > 22) return false;
        value = decimals > 0 ? mantissa / PowersOfTen[decimals] : mantissa;
        if (negative) value = -value;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="text"/> is already what <c>double.ToString("R")</c> writes for its value: a plain
    /// decimal of at most 15 significant digits, no leading or trailing zeros, no exponent form. Such a string and
    /// its double stand for each other, so a spreadsheet's stored number text can be kept without formatting it again.
    /// </summary>
    public static bool IsRoundTripForm(ReadOnlySpan<char> text)
    {
        var i = text.Length > 0 && text[0] == '-' ? 1 : 0;
        var body = text[i..];
        if (body.Length == 0 || body.Length > 17) return false;
        var point = body.IndexOf('.');
        var whole = point < 0 ? body : body[..point];
        if (whole.Length == 0 || (whole.Length > 1 && whole[0] == '0') || whole.Length > 15) return false;
        foreach (var c in body) if ((uint)(c - '0') > 9 && c != '.') return false;
        if (point < 0) return i == 0 || whole is not "0";
        var fraction = body[(point + 1)..];
        if (fraction.Length == 0 || fraction[^1] == '0' || fraction.Contains('.')) return false;
        var significant = whole is "0" ? fraction.TrimStart('0').Length : whole.Length + fraction.Length;
        // Below 1e-4, "R" switches to exponent form; "-0.0..." never reaches here (trailing zero).
        return significant <= 15 && (whole is not "0" || fraction.Length - fraction.TrimStart('0').Length < 4);
    }

    /// <summary>
    /// yyyy-mm-dd, yyyy/mm/dd or yyyy.mm.dd in any digit set: a year 1300..1499 is Jalali, 1900..2100 Gregorian.
    /// Returns the Gregorian date.
    /// </summary>
    public static bool TryParseDate(string? text, out DateOnly date)
    {
        date = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var western = TextFold.WesternDigits(text.Trim()).AsSpan();
        // Date cells arrive as ISO text; a time part after the date is dropped.
        var space = western.IndexOfAny(' ', 'T');
        if (space > 0) western = western[..space];
        var separator = western.Contains('-') ? '-' : western.Contains('/') ? '/' : '.';
        // Three parts: a year of 4 digits, a month and a day of 1 or 2.
        if (western.Length < 8 || western[4] != separator) return false;
        var monthAndDay = western[5..];
        var second = monthAndDay.IndexOf(separator);
        if (second is < 1 or > 2) return false;
        var dayPart = monthAndDay[(second + 1)..];
        if (dayPart.Length is < 1 or > 2 || dayPart.Contains(separator)) return false;
        if (!int.TryParse(western[..4], NumberStyles.None, CultureInfo.InvariantCulture, out var y)
            || !int.TryParse(monthAndDay[..second], NumberStyles.None, CultureInfo.InvariantCulture, out var m)
            || !int.TryParse(dayPart, NumberStyles.None, CultureInfo.InvariantCulture, out var d)) return false;
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

    /// <summary>yyyy-mm-dd ("O" is that form for a DateOnly, and formats without parsing a pattern).</summary>
    public static string Iso(DateOnly date) => date.ToString("O", CultureInfo.InvariantCulture);
}
