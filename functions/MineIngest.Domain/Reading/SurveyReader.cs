namespace MineIngest.Domain.Reading;

/// <summary>One data row of a survey: its spreadsheet row number and its values as text, indexed by <see cref="Column"/>.</summary>
public sealed record SurveyRow(int RowNumber, string?[] Values)
{
    public string? this[Column column] => Values[(int)column];
}

public enum SurveyFormat { Xlsx, Xls, Csv }

/// <summary>A survey column as one file's header row names it.</summary>
public sealed record SurveyHeader(Column Column, string Text);

/// <summary>
/// Opens a survey file, finds its header row, and streams its data rows as text. Everything a file can
/// do wrong as a whole ends in a <see cref="SurveyRejectedException"/> with a clerk's message.
/// </summary>
public sealed class SurveyReader : IDisposable
{
    internal const int HeaderMinimumMatches = 4;
    private const int HeaderSearchRows = 20;

    private readonly IWorkbookReader _workbook;
    private readonly SurveyLimits _limits;
    private readonly Stream? _ownedStream;
    private readonly List<Cell> _cells = new(32);
    private int[] _columnOfCell = [];

    public SurveyFormat Format { get; }

    /// <summary>The survey's columns found in the header, in contract order.</summary>
    public IReadOnlyList<Column> ColumnsFound { get; private set; } = [];

    /// <summary>The survey's columns as the file's header names them, in the file's order: the rows-to-fix workbook repeats them.</summary>
    public IReadOnlyList<SurveyHeader> Headers { get; private set; } = [];

    /// <summary>The spreadsheet row number of the header row.</summary>
    public int HeaderRow { get; private set; }

    private SurveyReader(IWorkbookReader workbook, SurveyFormat format, SurveyLimits limits, Stream? ownedStream)
    {
        _workbook = workbook;
        Format = format;
        _limits = limits;
        _ownedStream = ownedStream;
    }

    public static SurveyFormat? FormatOf(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".xlsx" => SurveyFormat.Xlsx,
        ".xls" => SurveyFormat.Xls,
        ".csv" => SurveyFormat.Csv,
        _ => null,
    };

    /// <summary>Opens <paramref name="stream"/> as the survey <paramref name="fileName"/> and finds its header row.</summary>
    public static SurveyReader Open(Stream stream, string fileName, SurveyLimits limits)
    {
        var format = FormatOf(fileName) ?? throw new SurveyRejectedException(ClerkMessages.UnsupportedFileType(Path.GetExtension(fileName)));
        if (stream.CanSeek && stream.Length > limits.MaxFileBytes) throw TooLarge(limits);
        if (stream.CanSeek && stream.Length == 0) throw new SurveyRejectedException(ClerkMessages.EmptyFile());

        Stream? owned = null;
        IWorkbookReader workbook;
        try
        {
            var sized = new LimitedStream(stream, new ByteBudget(limits.MaxFileBytes, () => TooLarge(limits).Reason), leaveOpen: true);
            switch (format)
            {
                case SurveyFormat.Csv:
                    workbook = new CsvWorkbookReader(sized);
                    break;
                default:
                    // Both workbook formats need to seek; a stream that cannot is first spooled to a temporary file.
                    var seekable = stream;
                    if (!stream.CanSeek)
                    {
                        owned = seekable = SpoolToTempFile(sized);
                    }
                    workbook = format == SurveyFormat.Xlsx
                        ? new XlsxWorkbookReader(seekable, limits)
                        : new XlsWorkbookReader(seekable);
                    break;
            }
        }
        catch
        {
            owned?.Dispose();
            throw;
        }

        var reader = new SurveyReader(workbook, format, limits, owned);
        try
        {
            reader.FindHeader();
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private static SurveyRejectedException TooLarge(SurveyLimits limits) => new(ClerkMessages.FileTooLarge(limits.MaxFileBytes / (1024 * 1024)));

    private static FileStream SpoolToTempFile(Stream source)
    {
        var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        source.CopyTo(file);
        file.Position = 0;
        return file;
    }

    private void FindHeader()
    {
        while (_workbook.NextSheet())
        {
            for (var i = 0; i < HeaderSearchRows && _workbook.NextRow(_cells, out var rowNumber); i++)
            {
                var map = new int[_cells.Count];
                var found = new HashSet<Column>();
                for (var c = 0; c < _cells.Count; c++)
                {
                    map[c] = -1;
                    if (_cells[c].Kind != CellKind.Text || SurveyColumns.MatchHeader(_cells[c].Text) is not { } column) continue;
                    if (found.Add(column)) map[c] = (int)column;
                }
                if (found.Count(c => SurveyColumns.Get(c).Required) < HeaderMinimumMatches) continue;

                var missing = SurveyColumns.Required.Where(c => !found.Contains(c.Column)).ToList();
                if (missing.Count > 0)
                {
                    throw new SurveyRejectedException(ClerkMessages.HeaderMissingColumns(rowNumber, missing));
                }
                _columnOfCell = map;
                Headers = map.Select((column, cell) => (column, cell)).Where(x => x.column >= 0)
                    .Select(x => new SurveyHeader((Column)x.column, _cells[x.cell].Text!.Trim())).ToList();
                HeaderRow = rowNumber;
                ColumnsFound = found.Order().ToList();
                return;
            }
        }
        throw new SurveyRejectedException(ClerkMessages.NoHeaderRow(SurveyColumns.Required));
    }

    /// <summary>The data rows below the header, blank rows left out. Throws a rejection past the row limit.</summary>
    public IEnumerable<SurveyRow> ReadRows()
    {
        var count = 0;
        var first = true;
        while (_workbook.NextRow(_cells, out var rowNumber))
        {
            // The template names its columns twice, Persian above English: a second header row is not a mine.
            if (first)
            {
                first = false;
                if (IsHeaderRow()) continue;
            }
            string?[]? values = null;
            for (var c = 0; c < _cells.Count && c < _columnOfCell.Length; c++)
            {
                var column = _columnOfCell[c];
                if (column < 0 || _cells[c].Kind == CellKind.Empty) continue;
                var text = _cells[c].ToSurveyText();
                if (string.IsNullOrEmpty(text)) continue;
                (values ??= new string?[SurveyColumns.Count])[column] = text;
            }
            if (values is null) continue;
            if (++count > _limits.MaxRows)
            {
                throw new SurveyRejectedException(ClerkMessages.TooManyRows(_limits.MaxRows));
            }
            yield return new SurveyRow(rowNumber, values);
        }
    }

    private bool IsHeaderRow() =>
        _cells.Where(c => c.Kind == CellKind.Text).Select(c => SurveyColumns.MatchHeader(c.Text)).OfType<Column>()
            .Distinct().Count(c => SurveyColumns.Get(c).Required) >= HeaderMinimumMatches;

    public void Dispose()
    {
        _workbook.Dispose();
        _ownedStream?.Dispose();
    }
}
