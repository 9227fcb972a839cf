namespace MineIngest.Domain.Reading;

/// <summary>A forward-only reader over a file's sheets and rows; a CSV file is one sheet.</summary>
internal interface IWorkbookReader : IDisposable
{
    /// <summary>Moves to the next sheet (the first call moves to the first); false when there are no more.</summary>
    bool NextSheet();

    /// <summary>
    /// Reads the next row of the current sheet into <paramref name="cells"/> (index = column, 0 = A).
    /// <paramref name="rowNumber"/> is the 1-based row number a person sees in Excel.
    /// </summary>
    bool NextRow(List<Cell> cells, out int rowNumber);
}
