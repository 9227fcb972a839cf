using System.Text;

namespace MineIngest.Domain;

/// <summary>
/// Folds text the way surveys.md compares names: case, extra spaces, zero-width joiners and the
/// Arabic versus Persian forms of the same letter do not count.
/// </summary>
public static class TextFold
{
    public static string Fold(string? text)
    {
        if (string.IsNullOrEmpty(text)) return string.Empty;
        var sb = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var raw in text)
        {
            var c = raw switch
            {
                '\u064A' or '\u0649' => '\u06CC', // Arabic yeh / alef maksura -> Persian yeh
                '\u0643' => '\u06A9',             // Arabic kaf -> Persian keheh
                '\u0629' => '\u0647',             // teh marbuta -> heh
                '\u200C' or '\u200B' or '\u200D' or '\uFEFF' or '\u200E' or '\u200F' => '\0',
                '_' => ' ',
                _ => raw,
            };
            if (c == '\0') continue;
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = sb.Length > 0;
                continue;
            }
            if (pendingSpace) { sb.Append(' '); pendingSpace = false; }
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>
    /// A lookup key for names: folded, and without spaces or hyphens, so that "North Khorasan",
    /// "north-khorasan" and a Persian name written with a zero-width non-joiner instead of a space match.
    /// </summary>
    public static string Key(string? text)
    {
        var folded = Fold(text);
        return folded.IndexOfAny([' ', '-']) < 0 ? folded : folded.Replace(" ", "").Replace("-", "");
    }

    /// <summary>A header's key: as <see cref="Key"/>, after dropping a trailing unit in brackets ("Reserve (t)").</summary>
    public static string HeaderKey(string? text)
    {
        var folded = Fold(text);
        while (folded.Length > 0 && (folded[^1] == ')' || folded[^1] == ']'))
        {
            var open = folded.LastIndexOfAny(['(', '[']);
            if (open < 0) break;
            folded = folded[..open].TrimEnd();
        }
        return Key(folded);
    }

    /// <summary>Replaces Persian (۰-۹) and Arabic-Indic (٠-٩) digits with Western ones.</summary>
    public static string WesternDigits(string text)
    {
        Span<char> buffer = text.Length <= 256 ? stackalloc char[text.Length] : new char[text.Length];
        var changed = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is >= '\u06F0' and <= '\u06F9') { c = (char)('0' + (c - '\u06F0')); changed = true; }
            else if (c is >= '\u0660' and <= '\u0669') { c = (char)('0' + (c - '\u0660')); changed = true; }
            buffer[i] = c;
        }
        return changed ? new string(buffer) : text;
    }
}
