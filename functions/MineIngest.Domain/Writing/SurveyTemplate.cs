using SpreadCheetah;
using SpreadCheetah.Styling;
using SpreadCheetah.Validations;
using SpreadCheetah.Worksheets;

namespace MineIngest.Domain.Writing;

/// <summary>
/// The survey template a clerk fills in: the contract's 20 columns named in Persian (row 1) and English (row 2), drop-downs
/// for the reference data, number checks and a hint on every column, and a guide sheet. Written with SpreadCheetah, which
/// streams the workbook and writes data validation, notes and styles.
/// </summary>
public static class SurveyTemplate
{
    public const string SurveySheet = "بررسی - Survey";
    public const string GuideSheet = "راهنما - Guide";
    public const string ListsSheet = "Lists";
    public const string FileName = "mineingest-survey-template.xlsx";

    /// <summary>Rows that get the drop-downs and checks: room for the largest province's survey.</summary>
    public const int DataRows = 5000;
    private const int FirstDataRow = 3;

    /// <summary>What to write in each column, Persian then English; shown as the cell's prompt and on the guide sheet.</summary>
    public static readonly IReadOnlyDictionary<Column, (string Persian, string English)> Hints = new Dictionary<Column, (string, string)>
    {
        [Column.MineId] = ("کد معدن؛ در هر استان یکتا.", "The mine's code; unique within the province."),
        [Column.MineName] = ("نام معدن.", "The mine's name."),
        [Column.Province] = ("از فهرست انتخاب کنید.", "Choose from the list."),
        [Column.County] = ("شهرستان (اختیاری).", "County (optional)."),
        [Column.Mineral] = ("از فهرست انتخاب کنید.", "Choose from the list."),
        [Column.Status] = ("راکد، در حال احیا، احیا شده یا فعال.", "Idle, reviving, revived or active."),
        [Column.Latitude] = ("درجه اعشاری، ۲۵٫۰ تا ۳۹٫۸؛ مانند 29.85.", "Decimal degrees, 25.0 to 39.8, e.g. 29.85."),
        [Column.Longitude] = ("درجه اعشاری، ۴۴٫۰ تا ۶۳٫۴؛ مانند 57.12.", "Decimal degrees, 44.0 to 63.4, e.g. 57.12."),
        [Column.ReserveTonnes] = ("تن، ۰ یا بیشتر.", "Tonnes, 0 or more."),
        [Column.GradePct] = ("درصد، ۰ تا ۱۰۰، به سنجه عیار همان ماده؛ برای سنگ ساختمانی خالی بماند.",
            "Percent 0 to 100, in the mineral's grade measure; leave empty for construction stone."),
        [Column.RoadKm] = ("کیلومتر، ۰ یا بیشتر (اختیاری).", "Kilometres, 0 or more (optional)."),
        [Column.PowerKm] = ("کیلومتر، ۰ یا بیشتر (اختیاری).", "Kilometres, 0 or more (optional)."),
        [Column.JobsPotential] = ("عدد درست، ۰ یا بیشتر.", "Whole number, 0 or more."),
        [Column.JobsCreated] = ("عدد درست، ۰ یا بیشتر؛ برای معدن احیا شده.", "Whole number, 0 or more; for revived mines."),
        [Column.InvestmentBnRial] = ("میلیارد ریال، ۰ یا بیشتر (اختیاری).", "Billion rials, 0 or more (optional)."),
        [Column.IdleSince] = ("سال، شمسی (۱۳۰۰ تا ۱۴۹۹) یا میلادی (۱۹۰۰ تا ۲۱۰۰).", "Year, Jalali (1300-1499) or Gregorian (1900-2100)."),
        [Column.Problem] = ("از فهرست انتخاب کنید (اختیاری).", "Choose from the list (optional)."),
        [Column.SurveyDate] = ("سال-ماه-روز، شمسی مانند 1403-02-20 یا میلادی مانند 2024-05-09؛ نه در آینده.",
            "Year-month-day, Jalali as 1403-02-20 or Gregorian as 2024-05-09; not in the future."),
        [Column.RevivedOn] = ("سال-ماه-روز، شمسی یا میلادی؛ برای معدن احیا شده الزامی.", "Year-month-day, Jalali or Gregorian; required when revived."),
        [Column.Notes] = ("توضیحات (اختیاری).", "Notes (optional)."),
    };

    public static async Task WriteAsync(Stream output, ReferenceData reference, CancellationToken ct)
    {
        await using var book = await Spreadsheet.CreateNewAsync(output, cancellationToken: ct);
        var required = book.AddStyle(new Style { Font = { Bold = true }, Fill = { Color = System.Drawing.Color.FromArgb(255, 252, 228, 214) } });
        var optional = book.AddStyle(new Style { Font = { Bold = true }, Fill = { Color = System.Drawing.Color.FromArgb(255, 221, 235, 247) } });
        var bold = book.AddStyle(new Style { Font = { Bold = true } });

        var survey = new WorksheetOptions { FrozenRows = 2 };
        for (var i = 1; i <= SurveyColumns.Count; i++) survey.Column(i).Width = 20;
        await book.StartWorksheetAsync(SurveySheet, survey, ct);
        StyledCell Header(SurveyColumn c, string text) => new(text, c.Required ? required : optional);
        await book.AddRowAsync(SurveyColumns.All.Select(c => Header(c, c.Persian)).ToArray(), ct);
        await book.AddRowAsync(SurveyColumns.All.Select(c => Header(c, c.English)).ToArray(), ct);
        foreach (var column in SurveyColumns.All)
        {
            var letter = Letter(column.Column);
            var (fa, en) = Hints[column.Column];
            book.AddNote($"{letter}1", $"{fa}\n{en}");
            var validation = ValidationFor(column.Column, reference);
            validation.InputTitle = column.Persian;
            validation.InputMessage = Cut($"{fa} / {en}", 255);
            validation.ErrorTitle = column.Persian;
            validation.ErrorMessage = Cut($"{fa} / {en}", 255);
            // A warning, not a block: the server's checks are the rule, and a clerk may know better (e.g. Persian digits typed as text).
            validation.ErrorType = ValidationErrorType.Warning;
            book.AddDataValidation($"{letter}{FirstDataRow}:{letter}{FirstDataRow + DataRows - 1}", validation);
        }

        var guide = new WorksheetOptions { FrozenRows = 1 };
        guide.Column(1).Width = 28; guide.Column(2).Width = 28; guide.Column(3).Width = 18; guide.Column(4).Width = 12;
        guide.Column(5).Width = 60; guide.Column(6).Width = 60;
        await book.StartWorksheetAsync(GuideSheet, guide, ct);
        await book.AddRowAsync(new StyledCell[]
        {
            new("ستون", bold), new("Column", bold), new("key", bold), new("الزامی / Required", bold), new("چه بنویسید", bold), new("What to write", bold),
        }, ct);
        foreach (var column in SurveyColumns.All)
        {
            var (fa, en) = Hints[column.Column];
            await book.AddRowAsync(new Cell[]
            {
                new(column.Persian), new(column.English), new(column.Key), new(column.Required ? "بله / yes" : "خیر / no"), new(fa), new(en),
            }, ct);
        }
        await book.AddRowAsync(Array.Empty<Cell>(), ct);
        await book.AddRowAsync(new Cell[]
        {
            new("تاریخ‌ها: سالِ ۱۳۰۰ تا ۱۴۹۹ شمسی خوانده می‌شود و ۱۹۰۰ تا ۲۱۰۰ میلادی. رقم فارسی هم پذیرفته است."),
            new("Dates: a year 1300-1499 is read as Jalali, 1900-2100 as Gregorian. Persian digits are accepted."),
        }, ct);

        await book.StartWorksheetAsync(ListsSheet, new WorksheetOptions { Visibility = WorksheetVisibility.Hidden }, ct);
        var lists = Lists(reference);
        for (var row = 0; row < lists.Max(l => l.Count); row++)
            await book.AddRowAsync(lists.Select(l => row < l.Count ? new Cell(l[row]) : new Cell()).ToArray(), ct);
        await book.FinishAsync(ct);
    }

    /// <summary>The drop-down lists, one column each on the hidden sheet: provinces, minerals, statuses, problems (Persian names).</summary>
    private static List<IReadOnlyList<string>> Lists(ReferenceData reference) =>
    [
        reference.Provinces.Select(p => p.Persian).ToList(),
        reference.Minerals.Select(m => m.Persian).ToList(),
        reference.Statuses.Select(s => s.Persian).ToList(),
        reference.Problems.Select(p => p.Persian).ToList(),
    ];

    private static DataValidation ValidationFor(Column column, ReferenceData reference)
    {
        DataValidation List(char listColumn, int count) => DataValidation.ListValuesFromCells(ListsSheet, $"${listColumn}$1:${listColumn}${count}", showDropdown: true);
        return column switch
        {
            Column.Province => List('A', reference.Provinces.Count),
            Column.Mineral => List('B', reference.Minerals.Count),
            Column.Status => List('C', reference.Statuses.Count),
            Column.Problem => List('D', reference.Problems.Count),
            Column.Latitude => DataValidation.DecimalBetween(RowValidator.LatitudeMin, RowValidator.LatitudeMax),
            Column.Longitude => DataValidation.DecimalBetween(RowValidator.LongitudeMin, RowValidator.LongitudeMax),
            Column.GradePct => DataValidation.DecimalBetween(0, 100),
            Column.ReserveTonnes or Column.RoadKm or Column.PowerKm or Column.InvestmentBnRial => DataValidation.DecimalGreaterThanOrEqualTo(0),
            Column.JobsPotential or Column.JobsCreated => DataValidation.IntegerGreaterThanOrEqualTo(0),
            Column.IdleSince => DataValidation.IntegerBetween(1300, 2100),
            _ => DataValidation.TextLengthLessThanOrEqualTo(column == Column.Notes ? 32000 : 200),
        };
    }

    public static string Letter(Column column) => ((char)('A' + (int)column)).ToString();

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}
