using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace MineIngest.TestData;

/// <summary>Fills a workbook's first sheet below its existing rows, as a clerk filling the template in Excel would.</summary>
public static class TemplateFiller
{
    public static byte[] Fill(byte[] workbook, IEnumerable<RowBuilder> rows)
    {
        using var copy = new MemoryStream();
        copy.Write(workbook);
        using (var document = SpreadsheetDocument.Open(copy, isEditable: true))
        {
            var book = document.WorkbookPart!;
            var firstSheet = book.Workbook.Sheets!.Elements<Sheet>().First();
            var part = (WorksheetPart)book.GetPartById(firstSheet.Id!);
            var data = part.Worksheet.GetFirstChild<SheetData>()!;
            var next = (uint)data.Elements<Row>().Count() + 1;
            foreach (var row in rows)
            {
                var r = new Row { RowIndex = next };
                var values = row.ToSurveyRow((int)next).Values;
                for (var c = 0; c < values.Length; c++)
                {
                    if (values[c] is not { } text) continue;
                    r.Append(new Cell
                    {
                        CellReference = $"{(char)('A' + c)}{next}",
                        DataType = CellValues.InlineString,
                        InlineString = new InlineString(new Text(text)),
                    });
                }
                data.Append(r);
                next++;
            }
            part.Worksheet.Save();
        }
        return copy.ToArray();
    }
}

/// <summary>Changes cell texts in an xlsx as a clerk correcting it in Excel would.</summary>
public static class WorkbookEditor
{
    /// <summary>Replaces every cell whose whole text is a key of <paramref name="fixes"/>; returns the workbook and how many cells changed.</summary>
    public static (byte[] Workbook, int Changed) ReplaceCells(byte[] workbook, IReadOnlyDictionary<string, string> fixes)
    {
        using var copy = new MemoryStream();
        copy.Write(workbook);
        var changed = 0;
        using (var document = SpreadsheetDocument.Open(copy, isEditable: true))
        {
            var book = document.WorkbookPart!;
            var shared = book.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().ToList() ?? [];
            foreach (var part in book.WorksheetParts)
            {
                foreach (var cell in part.Worksheet.Descendants<Cell>())
                {
                    var text = cell.DataType?.Value == CellValues.SharedString ? shared[int.Parse(cell.CellValue!.Text, CultureInfo.InvariantCulture)].InnerText
                        : cell.DataType?.Value == CellValues.InlineString ? cell.InlineString?.InnerText
                        : cell.CellValue?.Text;
                    if (text is null || !fixes.TryGetValue(text, out var fix)) continue;
                    cell.DataType = CellValues.InlineString;
                    cell.CellValue = null;
                    cell.InlineString = new InlineString(new Text(fix));
                    changed++;
                }
                part.Worksheet.Save();
            }
        }
        return (copy.ToArray(), changed);
    }
}
