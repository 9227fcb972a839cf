using System.Text;

namespace MineIngest.Domain;

/// <summary>
/// The blob names the server gives uploads: the upload time, a random tag and the file name a clerk chose,
/// cleaned so that no name can climb out of its province's folder or confuse a URL.
/// </summary>
public static class UploadFileNames
{
    public static readonly IReadOnlyList<string> Extensions = [".xlsx", ".xls", ".csv"];
    private const int MaxStemLength = 80;

    /// <summary>The cleaned file name (stem and lower-case extension), or an error in a clerk's words.</summary>
    public static bool TryClean(string? fileName, out string cleaned, out ClerkText? error)
    {
        cleaned = "";
        // Only the last path segment counts: "..\..\x.xlsx" and "C:\surveys\x.xlsx" are both "x.xlsx".
        var name = (fileName ?? "").Split('/', '\\')[^1].Trim().Normalize(NormalizationForm.FormC);
        if (name.Length == 0)
        {
            error = ClerkMessages.FileNameNeeded();
            return false;
        }
        var extension = Path.GetExtension(name).ToLowerInvariant();
        if (!Extensions.Contains(extension))
        {
            error = ClerkMessages.NotASurveyFileName(name);
            return false;
        }

        var stem = new StringBuilder();
        foreach (var c in name[..^extension.Length])
        {
            var keep = char.IsLetterOrDigit(c) || c is '-' or '_' || (c == '.' && stem.Length > 0);
            var next = keep ? c : '-';
            if (next == '-' && stem.Length > 0 && stem[^1] == '-') continue;
            stem.Append(next);
        }
        var trimmed = stem.ToString().Trim('-', '.', '_');
        if (trimmed.Length > MaxStemLength) trimmed = trimmed[..MaxStemLength].TrimEnd('-', '.', '_');
        cleaned = (trimmed.Length == 0 ? "survey" : trimmed) + extension;
        error = null;
        return true;
    }

    /// <summary>A new blob name under the folder: sorts by upload time, never collides, keeps the clerk's name readable.</summary>
    public static string BlobName(string folder, string cleanedFileName, DateTimeOffset now, string randomTag) =>
        $"{folder}/{now.UtcDateTime:yyyyMMdd-HHmmss}-{randomTag}-{cleanedFileName}";
}
