using System.Globalization;
using System.Text;

namespace MineIngest.Domain.Writing;

/// <summary>
/// The escape an xlsx file uses for text XML cannot hold (ECMA-376 Part 1, ST_Xstring): a character such as ESC, BEL or
/// a lone surrogate is written <c>_x001B_</c>, and an underscore that would start such a sequence is written
/// <c>_x005F_</c>. Excel, LibreOffice and the common libraries read it so; our writers use <see cref="Escape"/> on every
/// text cell (the xlsx library drops those characters otherwise, and writes a text "_x0041_" that Excel reads as "A")
/// and the reader <see cref="Unescape"/>, so that a text goes out and comes back exactly as the clerk wrote it.
/// </summary>
public static class XlsxText
{
    public static string Escape(string text)
    {
        var i = 0;
        while (i < text.Length && !NeedsEscape(text, i)) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length + 16).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
                continue;
            }
            if (NeedsEscape(text, i)) sb.Append("_x").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)).Append('_');
            else sb.Append(c);
        }
        return sb.ToString();
    }

    public static string Unescape(string text)
    {
        var at = text.IndexOf("_x", StringComparison.Ordinal);
        if (at < 0) return text;
        var sb = new StringBuilder(text.Length);
        var from = 0;
        for (; at >= 0; at = text.IndexOf("_x", from, StringComparison.Ordinal))
        {
            if (IsEscapeAt(text, at))
            {
                sb.Append(text, from, at - from).Append((char)int.Parse(text.AsSpan(at + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                from = at + 7;
            }
            else
            {
                sb.Append(text, from, at + 2 - from);
                from = at + 2;
            }
        }
        return sb.Append(text, from, text.Length - from).ToString();
    }

    /// <summary>XML 1.0 cannot hold it (carriage return: XML turns it into a line feed), or it is an underscore starting "_xHHHH_".</summary>
    private static bool NeedsEscape(string text, int i)
    {
        var c = text[i];
        if (c == '_') return IsEscapeAt(text, i);
        if (c < 0x20) return c is not ('\t' or '\n');
        if (char.IsHighSurrogate(c)) return i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]);
        if (char.IsLowSurrogate(c)) return i == 0 || !char.IsHighSurrogate(text[i - 1]);
        return c is '\uFFFE' or '\uFFFF';
    }

    private static bool IsEscapeAt(string text, int i) =>
        i + 6 < text.Length && text[i] == '_' && text[i + 1] == 'x' && text[i + 6] == '_'
        && char.IsAsciiHexDigit(text[i + 2]) && char.IsAsciiHexDigit(text[i + 3]) && char.IsAsciiHexDigit(text[i + 4]) && char.IsAsciiHexDigit(text[i + 5]);
}
