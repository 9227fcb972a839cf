using System.Text;

namespace MineIngest.TestData;

/// <summary>
/// Several hundred texts that break naive software: path and URL characters, percent escapes, dots, quotes, markup,
/// SQL and formula injection, right-to-left and invisible marks, emoji, Persian and Arabic letters, control characters,
/// and values that are nothing but invisible characters. Each is used as a mine id, name, county or note in the tests
/// that check nothing a clerk writes is lost, changed silently, or made unreachable.
/// </summary>
public static class HostileStrings
{
    private static readonly string[] Seeds =
    [
        // Paths and addresses.
        "/", "//", "a/b", "K-12/7", "۱۲۳/۴۵", "/leading", "trailing/", "a/../b", "../etc/passwd", "..\\..\\windows", "a\\b", "\\",
        "C:\\mines\\1", "./x", "x/.", "%2F", "a%2Fb", "a%2fb", "%252F", "100%", "%", "%%", "%41", "%zz", "50% off", "a%20b",
        "?", "a?b=c", "#", "a#frag", "&", "a&b=c", ";", "a;b", "=", "+", "a+b", "@", "user@host", ":", "a:b", "http://x.y/z",
        "[", "]", "{", "}", "|", "^", "`", "~", "!", "$", "*", "(", ")", ",", "'", "\"",
        // Dots.
        ".", "..", "...", ".hidden", "a.", "a..b", ". .", "...."
        // Quotes and markup.
        , "\"><script>alert(123)</script>", "<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "</textarea><b>bold</b>",
        "<!--", "-->", "<![CDATA[x]]>", "&amp;", "&lt;b&gt;", "&#60;", "<svg/onload=alert(1)>", "javascript:alert(1)", "'\"", "\"\"\"",
        "''", "`id`", "${7*7}", "{{7*7}}", "<%= 7*7 %>", "\\\"", "\\'", "\\n", "\\u0000",
        // SQL and formulas.
        "' OR '1'='1", "1; DROP TABLE mines--", "\" OR \"\"=\"", "admin'--", "PartitionKey eq 'x'", "RowKey ge ''", "=1+1", "+1", "-1",
        "@SUM(1+1)", "=HYPERLINK(\"http://x\",\"y\")", "=cmd|' /C calc'!A0", "-2+3", "'=1", "''=1",
        // Excel's own escape, written as text.
        "_x0041_", "_x001B_", "_x005F_x0041_", "a_x000D_b", "_x", "_xZZZZ_",
        // Persian and Arabic.
        "معدن کرمان", "كرمان", "يزد", "معدن‌سنگ", "کد ۱۲۳", "٠١٢٣", "معدن «نو»", "سنگ آهن / هماتیت", "آ", "ء", "ۀ", "\u0640",
        // Right-to-left, direction and invisible marks inside text.
        "\u202Eevil\u202C", "abc\u200Fdef", "\u2067نام\u2069", "a\u200Db", "a\u200Bb", "a\u2060b", "x\u061Cy", "\u200Eabc",
        // Emoji and other planes.
        "⛏️", "💎 mine", "👩🏽‍🔧", "🇮🇷", "𝕄𝕚𝕟𝕖", "𠜎", "e\u0301", "Å", "ﷺ", "™", "\u00A0nbsp\u00A0",
        // Control characters and broken characters.
        "a\u001Bb", "bell\u0007", "back\bspace", "nul\u0000byte", "\u0001", "tab\tinside", "line\nbreak", "cr\rinside", "\u007F", "x\u0085y",
        "half \uD83D", "\uDE00 half", "\uFFFE", "end\uFFFF",
        // Invisible only.
        "\uFEFF", "\u200B", "\u200C\u200D", "\u200E\u200F", "\u2066\u2069", " \uFEFF ", "\u00A0", "\u3000",
        // Long and odd.
        new string('x', 300), new string('م', 200), "a b  c   d", " padded ", "\ttabbed\t", "MiXeD CaSe", "0", "-0", "1e9", "NaN", "null", "undefined", "true",
    ];

    /// <summary>Every seed, then every seed with a prefix and a suffix, so that the set holds several hundred distinct texts.</summary>
    public static IReadOnlyList<string> All { get; } = Build();

    private static List<string> Build()
    {
        var all = new List<string>(Seeds);
        var decorations = new[] { ("M-", ""), ("", "-9"), ("کد ", " ب") };
        foreach (var (before, after) in decorations) all.AddRange(Seeds.Select(s => before + s + after));
        return all.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The escapes a C# reader needs to see what a string holds.</summary>
    public static string Show(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text) sb.Append(c < 0x20 || c is (>= '\u007F' and <= '\u009F') || char.IsSurrogate(c) || c > '\uFFF0' || c is '\uFEFF' or (>= '\u200B' and <= '\u200F') ? $"\\u{(int)c:X4}" : c.ToString());
        return sb.ToString();
    }
}
