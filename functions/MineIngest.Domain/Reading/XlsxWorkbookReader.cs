using System.IO.Compression;
using System.Text;
using System.Xml;

using MineIngest.Domain.Writing;

namespace MineIngest.Domain.Reading;

/// <summary>
/// Streams an .xlsx workbook: the sheets and shared strings with <see cref="XmlByteScanner"/> (on the bytes, twice
/// as fast as XmlReader, docs/BENCHMARKS.md section 1), the small parts that say where the sheets are and how cells
/// are formatted with <see cref="XmlReader"/>. Every inflated byte is counted against the limits, and DTDs are
/// refused by both, so entity expansion cannot happen. Over 300 lines on purpose: the cell loop and the number and
/// date normalising it calls stay together, inlined, for the streaming read's speed (556 ms for 100,000 rows,
/// docs/BENCHMARKS.md section 1).
/// </summary>
internal sealed class XlsxWorkbookReader : IWorkbookReader
{
    private const string RelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    private static readonly XmlReaderSettings XmlSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        // Whitespace between elements is never a cell's value (a value is inside <v> or <t>), and checking every
        // character against XML's allowed set costs a fifth of the parse: neither is needed to read a survey safely.
        IgnoreWhitespace = true,
        CheckCharacters = false,
        CloseInput = true,
        MaxCharactersInDocument = 0,
    };

    private readonly ZipArchive _zip;
    private readonly ByteBudget _budget;
    private readonly List<string> _sheetPaths;
    private string[]? _sharedStrings;
    private CellKind[]? _styleKinds;
    private int _sheetIndex = -1;
    private XmlByteScanner? _sheet;
    private int _lastRow;

    public XlsxWorkbookReader(Stream stream, SurveyLimits limits)
    {
        _budget = new ByteBudget(limits.MaxUncompressedBytes, () => ClerkMessages.WorkbookTooLargeUnpacked(limits.MaxUncompressedBytes / (1024 * 1024)));
        try
        {
            _zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            _sheetPaths = ReadSheetPaths();
        }
        // ArgumentException: a blob read stream refuses the seek before its start that ZipArchive makes on a file shorter than a zip trailer.
        catch (Exception ex) when (ex is InvalidDataException or XmlException or IOException or NotSupportedException or ArgumentException)
        {
            throw NotAWorkbook(ex);
        }
    }

    internal static SurveyRejectedException NotAWorkbook(Exception? inner) => new(ClerkMessages.NotAnXlsxWorkbook(), inner);

    public bool NextSheet()
    {
        _sheet?.Dispose();
        _sheet = null;
        _lastRow = 0;
        if (++_sheetIndex >= _sheetPaths.Count) return false;
        var entry = _zip.GetEntry(_sheetPaths[_sheetIndex]);
        if (entry is null) return NextSheet();
        try
        {
            _sheet = OpenScanner(entry);
        }
        catch (XmlException ex) { throw NotAWorkbook(ex); }
        catch (InvalidDataException ex) { throw NotAWorkbook(ex); }
        return true;
    }

    public bool NextRow(List<Cell> cells, out int rowNumber)
    {
        cells.Clear();
        rowNumber = 0;
        if (_sheet is null) return false;
        try
        {
            var sheet = _sheet;
            while (true)
            {
                var token = sheet.Read();
                if (token == XmlByteScanner.Token.EndOfDocument) return false;
                if (token != XmlByteScanner.Token.StartElement || !sheet.IsNamed("row"u8)) continue;
                rowNumber = sheet.TryGetAttribute("r"u8, out var r) && XmlByteScanner.ParseInt(r) is { } number ? number : _lastRow + 1;
                _lastRow = rowNumber;
                if (!sheet.IsEmptyElement) ReadCells(sheet, cells);
                return true;
            }
        }
        catch (XmlException ex) { throw NotAWorkbook(ex); }
        catch (InvalidDataException ex) { throw NotAWorkbook(ex); }
    }

    /// <summary>The kinds of the c element's t attribute that reading tells apart.</summary>
    private enum CellType : byte { Number, Shared, Text, Boolean, Date }

    private static CellType TypeOf(ReadOnlySpan<byte> type) =>
        type.SequenceEqual("s"u8) ? CellType.Shared
        : type.SequenceEqual("inlineStr"u8) || type.SequenceEqual("str"u8) || type.SequenceEqual("e"u8) ? CellType.Text
        : type.SequenceEqual("b"u8) ? CellType.Boolean
        : type.SequenceEqual("d"u8) ? CellType.Date
        : CellType.Number;

    private void ReadCells(XmlByteScanner sheet, List<Cell> cells)
    {
        var nextColumn = 0;
        while (true)
        {
            var token = sheet.Read();
            if (token == XmlByteScanner.Token.EndOfDocument || (token == XmlByteScanner.Token.EndElement && sheet.IsNamed("row"u8))) return;
            if (token != XmlByteScanner.Token.StartElement || !sheet.IsNamed("c"u8)) continue;

            // One pass over the attributes instead of a search per name (this runs for every cell of the sheet).
            int? column = null;
            var type = CellType.Number;
            var style = 0;
            var attributes = sheet.Attributes;
            while (XmlByteScanner.NextAttribute(ref attributes, out var name, out var value))
            {
                if (name.Length != 1) continue;
                switch (name[0])
                {
                    case (byte)'r': column = ColumnIndex(value); break;
                    case (byte)'t': type = TypeOf(value); break;
                    case (byte)'s': style = XmlByteScanner.ParseInt(value) ?? 0; break;
                }
            }
            column ??= nextColumn;
            nextColumn = column.Value + 1;
            if (sheet.IsEmptyElement) continue;
            var cell = (Cell?)null;
            var plainValue = sheet.TryTakePlainElement("<v>"u8, "</v>"u8, out var plain);
            if (plainValue || sheet.TryTakePlainElement("<is><t>"u8, "</t></is>"u8, out plain))
            {
                cell = plainValue ? PlainValue(plain, type, style) : Cell.FromText(XlsxText.Unescape(Encoding.UTF8.GetString(plain)));
                if (sheet.TryTake("</c>"u8))
                {
                    Place(cells, column.Value, cell.Value);
                    continue;
                }
            }
            while (true)
            {
                token = sheet.Read();
                if (token == XmlByteScanner.Token.EndOfDocument || (token == XmlByteScanner.Token.EndElement && sheet.IsNamed("c"u8))) break;
                if (token != XmlByteScanner.Token.StartElement || sheet.IsEmptyElement) continue;
                if (sheet.IsNamed("v"u8)) cell = ReadValue(sheet, type, style);
                else if (sheet.IsNamed("is"u8)) cell = Cell.FromText(ReadRichText(sheet));
                else sheet.SkipElement(); // a formula: its result is in v
            }
            if (cell is { } read) Place(cells, column.Value, read);
        }
    }

    private static void Place(List<Cell> cells, int column, Cell cell)
    {
        if (column > 16_383) return;
        while (cells.Count <= column) cells.Add(Cell.Empty);
        cells[column] = cell;
    }

    /// <summary>The cell a &lt;v&gt; element holds, leaving the scanner after its end tag.</summary>
    private Cell ReadValue(XmlByteScanner sheet, CellType type, int style)
    {
        var token = sheet.Read();
        if (token == XmlByteScanner.Token.EndElement) return ToCell(type, style, string.Empty);
        if (token == XmlByteScanner.Token.Text && sheet.TextIsVerbatim && sheet.NextIsEndTag)
        {
            var cell = PlainValue(sheet.TextBytes, type, style);
            sheet.Read();
            return cell;
        }
        return ToCell(type, style, ReadText(sheet, token));
    }

    /// <summary>The cell for a value's text with no references in it, read from the bytes where that saves a string.</summary>
    private Cell PlainValue(ReadOnlySpan<byte> text, CellType type, int style)
    {
        if (type == CellType.Shared) return SharedString(XmlByteScanner.ParseInt(text));
        if (type == CellType.Number && text.Length <= 64 && !text.ContainsAnyExceptInRange((byte)0, (byte)127))
        {
            // Digits are ASCII: widen them without decoding, and without a string unless the cell keeps it.
            Span<char> chars = stackalloc char[text.Length];
            for (var i = 0; i < text.Length; i++) chars[i] = (char)text[i];
            return NumberCell(chars, style);
        }
        return ToCell(type, style, Encoding.UTF8.GetString(text));
    }

    /// <summary>The text of an element from its first token on (runs split by CDATA or comments joined), leaving the scanner after its end tag.</summary>
    private static string ReadText(XmlByteScanner scanner, XmlByteScanner.Token token)
    {
        string? single = null;
        StringBuilder? many = null;
        for (; token is not (XmlByteScanner.Token.EndElement or XmlByteScanner.Token.EndOfDocument); token = scanner.Read())
        {
            if (token == XmlByteScanner.Token.StartElement)
            {
                if (!scanner.IsEmptyElement) scanner.SkipElement();
                continue;
            }
            var text = scanner.Text();
            if (single is null) single = text;
            else (many ??= new StringBuilder(single)).Append(text);
        }
        return many?.ToString() ?? single ?? string.Empty;
    }

    private Cell SharedString(int? index)
    {
        var strings = _sharedStrings ??= ReadSharedStrings();
        return index is { } i && i < strings.Length ? Cell.FromText(strings[i]) : Cell.Empty;
    }

    /// <summary>A number cell of the style's kind, or a text cell when the value is not a number.</summary>
    private Cell NumberCell(ReadOnlySpan<char> text, int style)
    {
        if (!SurveyValues.TryParsePlainDecimal(text, out var number)
            && !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number)) return Cell.FromText(text.ToString());
        var kinds = _styleKinds ??= ReadStyles();
        var kind = style < kinds.Length ? kinds[style] : CellKind.Number;
        // A plain number keeps its stored text when that is already its survey text (saves formatting it again).
        return new Cell(kind, kind == CellKind.Number && SurveyValues.IsRoundTripForm(text) ? text.ToString() : null, number);
    }

    private Cell ToCell(CellType type, int style, string value)
    {
        switch (type)
        {
            case CellType.Shared:
                return SharedString(int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null);
            case CellType.Text:
                return Cell.FromText(XlsxText.Unescape(value));
            case CellType.Boolean:
                return Cell.FromText(value == "1" ? "TRUE" : "FALSE");
            case CellType.Date:
                return Cell.FromText(value.Length >= 10 ? value[..10] : value);
            default:
                return NumberCell(value, style);
        }
    }

    /// <summary>"AB12" is column 27 (0-based).</summary>
    internal static int? ColumnIndex(ReadOnlySpan<byte> reference)
    {
        var index = 0;
        var letters = 0;
        foreach (var c in reference)
        {
            var upper = (char)(c & ~0x20);
            if (upper is < 'A' or > 'Z') break;
            index = index * 26 + (upper - 'A' + 1);
            // Past XFD (16,384 columns) is no column of a sheet; stop before the number overflows.
            if (++letters > 3) return 16_384;
        }
        return letters == 0 ? null : index - 1;
    }

    private XmlReader Open(ZipArchiveEntry entry) =>
        XmlReader.Create(new LimitedStream(entry.Open(), _budget), XmlSettings);

    private XmlByteScanner OpenScanner(ZipArchiveEntry entry) => XmlByteScanner.Open(new LimitedStream(entry.Open(), _budget));

    private XmlReader? OpenPart(string path)
    {
        var entry = _zip.GetEntry(path);
        return entry is null ? null : Open(entry);
    }

    private List<string> ReadSheetPaths()
    {
        var targets = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var rels = OpenPart("xl/_rels/workbook.xml.rels"))
        {
            while (rels is not null && rels.Read())
            {
                if (rels.NodeType == XmlNodeType.Element && rels.LocalName == "Relationship"
                    && rels.GetAttribute("Id") is { } id && rels.GetAttribute("Target") is { } target)
                {
                    targets[id] = target.StartsWith('/') ? target.TrimStart('/') : "xl/" + target;
                }
            }
        }
        var paths = new List<string>();
        using var workbook = OpenPart("xl/workbook.xml") ?? throw NotAWorkbook(null);
        while (workbook.Read())
        {
            if (workbook.NodeType == XmlNodeType.Element && workbook.LocalName == "sheet"
                && workbook.GetAttribute("id", RelNs) is { } rid && targets.TryGetValue(rid, out var path))
            {
                paths.Add(path);
            }
        }
        if (paths.Count == 0) throw NotAWorkbook(null);
        return paths;
    }

    private string[] ReadSharedStrings()
    {
        var strings = new List<string>();
        var entry = _zip.GetEntry("xl/sharedStrings.xml");
        if (entry is null) return [];
        try
        {
            using var scanner = OpenScanner(entry);
            XmlByteScanner.Token token;
            while ((token = scanner.Read()) != XmlByteScanner.Token.EndOfDocument)
            {
                if (token == XmlByteScanner.Token.StartElement && scanner.IsNamed("si"u8))
                    strings.Add(scanner.IsEmptyElement ? string.Empty : ReadRichText(scanner));
            }
        }
        catch (XmlException ex) { throw NotAWorkbook(ex); }
        catch (InvalidDataException ex) { throw NotAWorkbook(ex); }
        return strings.ToArray();
    }

    /// <summary>
    /// Concatenates the text runs (t) of an &lt;si&gt; or &lt;is&gt; element, leaving out phonetic runs (rPh);
    /// leaves the scanner after the element's end tag.
    /// </summary>
    private static string ReadRichText(XmlByteScanner scanner)
    {
        string? single = null;
        StringBuilder? many = null;
        var depth = 1;
        while (depth > 0)
        {
            switch (scanner.Read())
            {
                case XmlByteScanner.Token.EndOfDocument:
                    return XlsxText.Unescape(many?.ToString() ?? single ?? string.Empty);
                case XmlByteScanner.Token.EndElement:
                    depth--;
                    break;
                case XmlByteScanner.Token.StartElement when !scanner.IsEmptyElement:
                    if (scanner.IsNamed("rPh"u8)) scanner.SkipElement();
                    else if (scanner.IsNamed("t"u8))
                    {
                        var text = ReadText(scanner, scanner.Read());
                        if (single is null) single = text;
                        else (many ??= new StringBuilder(single)).Append(text);
                    }
                    else depth++;
                    break;
            }
        }
        return XlsxText.Unescape(many?.ToString() ?? single ?? string.Empty);
    }

    private CellKind[] ReadStyles()
    {
        var customFormats = new Dictionary<int, CellKind>();
        var kinds = new List<CellKind>();
        try
        {
            using var reader = OpenPart("xl/styles.xml");
            var inCellXfs = false;
            while (reader is not null && reader.Read())
            {
                if (reader.NodeType == XmlNodeType.EndElement && reader.LocalName == "cellXfs") inCellXfs = false;
                if (reader.NodeType != XmlNodeType.Element) continue;
                switch (reader.LocalName)
                {
                    case "numFmt" when int.TryParse(reader.GetAttribute("numFmtId"), CultureInfo.InvariantCulture, out var id):
                        customFormats[id] = NumberFormats.Classify(reader.GetAttribute("formatCode"));
                        break;
                    case "cellXfs":
                        inCellXfs = !reader.IsEmptyElement;
                        break;
                    case "xf" when inCellXfs:
                        var formatId = int.TryParse(reader.GetAttribute("numFmtId"), CultureInfo.InvariantCulture, out var f) ? f : 0;
                        kinds.Add(customFormats.TryGetValue(formatId, out var custom) ? custom : NumberFormats.BuiltIn(formatId));
                        break;
                }
            }
        }
        catch (XmlException ex) { throw NotAWorkbook(ex); }
        return kinds.ToArray();
    }

    public void Dispose()
    {
        _sheet?.Dispose();
        _zip.Dispose();
    }
}

/// <summary>Tells date and percentage number formats from plain ones.</summary>
internal static class NumberFormats
{
    public static CellKind BuiltIn(int id) => id switch
    {
        9 or 10 => CellKind.Percent,
        (>= 14 and <= 22) or (>= 27 and <= 36) or (>= 45 and <= 47) or (>= 50 and <= 58) => CellKind.Date,
        _ => CellKind.Number,
    };

    public static CellKind Classify(string? formatCode)
    {
        if (string.IsNullOrEmpty(formatCode)) return CellKind.Number;
        var inQuotes = false;
        var inBrackets = false;
        var isDate = false;
        for (var i = 0; i < formatCode.Length; i++)
        {
            var c = formatCode[i];
            if (c == '"') { inQuotes = !inQuotes; continue; }
            if (inQuotes) continue;
            if (c == '\\') { i++; continue; }
            if (c == '[') { inBrackets = true; continue; }
            if (c == ']') { inBrackets = false; continue; }
            if (inBrackets) continue;
            if (c == '%') return CellKind.Percent;
            if (c is 'd' or 'D' or 'm' or 'M' or 'y' or 'Y' or 'h' or 'H' or 's' or 'S') isDate = true;
        }
        return isDate ? CellKind.Date : CellKind.Number;
    }
}
