namespace MineIngest.Domain.Reading;

public enum CellKind : byte { Empty, Text, Number, Percent, Date }

/// <summary>
/// One spreadsheet cell as the file holds it, before the survey's rules read it. A number cell may carry its stored
/// text when that is exactly its round-trip form (<see cref="SurveyValues.IsRoundTripForm"/>).
/// </summary>
public readonly record struct Cell(CellKind Kind, string? Text, double Number)
{
    public static Cell Empty => default;
    public static Cell FromText(string? text) => string.IsNullOrWhiteSpace(text) ? default : new(CellKind.Text, text, 0);

    /// <summary>
    /// The cell as survey text: text as written (validation trims it, <see cref="SurveyText"/>; the rows to fix give it back
    /// untouched), without the apostrophe our exports put before a formula-like text
    /// (<see cref="Writing.SpreadsheetText.FromSheet"/>); numbers round-trip; a percentage cell as the percent a person
    /// sees (0.45 reads 45); a date cell as ISO yyyy-mm-dd.
    /// </summary>
    public string? ToSurveyText() => Kind switch
    {
        CellKind.Text => Writing.SpreadsheetText.FromSheet(Text!),
        CellKind.Number => Text ?? Number.ToString("R", CultureInfo.InvariantCulture),
        CellKind.Percent => Math.Round(Number * 100, 9).ToString("R", CultureInfo.InvariantCulture),
        CellKind.Date => ExcelDates.FromSerial(Number)?.ToString("O", CultureInfo.InvariantCulture) // yyyy-mm-dd, the fast way
                         ?? Number.ToString("R", CultureInfo.InvariantCulture),
        _ => null,
    };
}

public static class ExcelDates
{
    private static readonly DateTime Epoch = new(1899, 12, 30, 0, 0, 0, DateTimeKind.Unspecified);

    /// <summary>Excel's 1900 date system (serial 60 is the phantom 1900-02-29; dates from March 1900 on are right).</summary>
    public static DateOnly? FromSerial(double serial)
    {
        if (double.IsNaN(serial) || serial < 1 || serial > 2958465) return null;
        return DateOnly.FromDateTime(Epoch.AddDays(Math.Floor(serial)));
    }

    public static double ToSerial(DateOnly date) => (date.ToDateTime(TimeOnly.MinValue) - Epoch).TotalDays;
}

/// <summary>A file-level rejection: the survey as a whole could not be read. The message is for a province clerk.</summary>
public sealed class SurveyRejectedException(ClerkText message, Exception? inner = null) : Exception(message.English, inner)
{
    /// <summary>The reason in both languages, for the report.</summary>
    public ClerkText Reason { get; } = message;
}

/// <summary>Size limits for one survey file (surveys.md); configurable under "Survey:Limits".</summary>
public sealed class SurveyLimits
{
    public const string Section = "Survey:Limits";

    public long MaxFileBytes { get; set; } = 50L * 1024 * 1024;
    public long MaxUncompressedBytes { get; set; } = 500L * 1024 * 1024;
    public int MaxRows { get; set; } = 100_000;
}
