using System.Buffers;

namespace MineIngest.Domain;

/// <summary>
/// What a survey's text may hold. A value is trimmed of spaces and of the invisible marks that copying from a web page,
/// Word or a Persian keyboard leaves at its ends (byte-order mark, zero-width space and joiners, direction marks and
/// embeddings); a value that is nothing but those is missing. Inside a value, text is kept as written, except what no
/// page, file or person can show: control characters (but tab and line breaks in free text), broken halves of a
/// character and the two non-characters. A row holding one is rejected, naming the column and the place; nothing is
/// dropped or changed silently.
/// </summary>
public static class SurveyText
{
    private static readonly SearchValues<char> InvisibleMarks = SearchValues.Create(
        "\uFEFF\u200B\u200C\u200D\u200E\u200F\u2060\u061C\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u00AD\u180E");

    /// <summary>True for a character trimmed from a value's ends: white space or an invisible mark.</summary>
    public static bool IsTrimmed(char c) => char.IsWhiteSpace(c) || InvisibleMarks.Contains(c);

    /// <summary>The value without spaces and invisible marks at its ends, or null when nothing else is left.</summary>
    public static string? Trimmed(string? value)
    {
        if (value is null) return null;
        int start = 0, end = value.Length;
        while (start < end && IsTrimmed(value[start])) start++;
        while (end > start && IsTrimmed(value[end - 1])) end--;
        return start == end ? null : start == 0 && end == value.Length ? value : value[start..end];
    }

    /// <summary>True when the value holds nothing but spaces and invisible marks (or nothing at all).</summary>
    public static bool IsBlank(string? value) => Trimmed(value) is null;

    /// <summary>
    /// The first character of <paramref name="value"/> that cannot be kept, with its 1-based place, or null.
    /// <paramref name="singleLine"/>: tab and line breaks are refused too (a mine id is one line).
    /// </summary>
    public static (int Position, int CodePoint)? FirstUnshowable(string value, bool singleLine)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }
            var refused = char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF'
                || (char.IsControl(c) && (singleLine || c is not ('\t' or '\n' or '\r')));
            if (refused) return (i + 1, c);
        }
        return null;
    }
}
