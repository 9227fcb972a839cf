using System.Text;
using ExcelDataReader;
using ExcelDataReader.Exceptions;

namespace MineIngest.Domain.Reading;

/// <summary>Excel 97-2003 (.xls, BIFF) through ExcelDataReader, the one maintained BIFF reader served here.</summary>
internal sealed class XlsWorkbookReader : IWorkbookReader
{
    static XlsWorkbookReader() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private readonly IExcelDataReader _reader;
    private bool _started;

    public XlsWorkbookReader(Stream stream)
    {
        try
        {
            _reader = ExcelReaderFactory.CreateBinaryReader(stream, new ExcelReaderConfiguration { LeaveOpen = true });
        }
        catch (Exception ex) when (IsReadFailure(ex))
        {
            throw NotAnXls(ex);
        }
    }

    private static bool IsReadFailure(Exception ex) =>
        ex is ExcelReaderException or InvalidDataException or IOException or ArgumentException or InvalidOperationException
            or NotSupportedException or IndexOutOfRangeException or OverflowException or DecoderFallbackException or EndOfStreamException;

    private static SurveyRejectedException NotAnXls(Exception inner) => new(ClerkMessages.NotAnXlsWorkbook(), inner);

    public bool NextSheet()
    {
        if (!_started) { _started = true; return true; }
        try { return _reader.NextResult(); }
        catch (Exception ex) when (IsReadFailure(ex)) { throw NotAnXls(ex); }
    }

    public bool NextRow(List<Cell> cells, out int rowNumber)
    {
        cells.Clear();
        rowNumber = 0;
        try
        {
            if (!_reader.Read()) return false;
            rowNumber = _reader.Depth + 1;
            for (var i = 0; i < _reader.FieldCount; i++) cells.Add(ToCell(i));
            return true;
        }
        catch (Exception ex) when (IsReadFailure(ex)) { throw NotAnXls(ex); }
    }

    private Cell ToCell(int i) => _reader.GetValue(i) switch
    {
        null => Cell.Empty,
        DateTime date => new Cell(CellKind.Date, null, ExcelDates.ToSerial(DateOnly.FromDateTime(date))),
        double number => new Cell(IsPercent(i) ? CellKind.Percent : CellKind.Number, null, number),
        int number => new Cell(CellKind.Number, null, number),
        bool flag => Cell.FromText(flag ? "TRUE" : "FALSE"),
        var other => Cell.FromText(Convert.ToString(other, CultureInfo.InvariantCulture)),
    };

    private bool IsPercent(int i) => _reader.GetNumberFormatString(i)?.Contains('%') == true;

    public void Dispose() => _reader.Dispose();
}
