using System.IO.Compression;
using System.Xml;

namespace MineIngest.Domain.Reading;

/// <summary>
/// Streams an .xlsx workbook's sheet XML with <see cref="XmlReader"/>: the fastest reader measured here
/// (docs/READERS.md), and one whose every inflated byte is counted against the limits. DTDs are
/// refused, so entity expansion cannot happen.
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
    private XmlReader? _sheet;
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
        _sheet = Open(entry);
        return true;
    }

    public bool NextRow(List<Cell> cells, out int rowNumber)
    {
        cells.Clear();
        rowNumber = 0;
        if (_sheet is null) return false;
        try
        {
            var reader = _sheet;
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "row") continue;
                rowNumber = int.TryParse(reader.GetAttribute("r"), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : _lastRow + 1;
                _lastRow = rowNumber;
                if (!reader.IsEmptyElement) ReadCells(reader, cells);
                return true;
            }
            return false;
        }
        catch (XmlException ex) { throw NotAWorkbook(ex); }
        catch (InvalidDataException ex) { throw NotAWorkbook(ex); }
    }

    private void ReadCells(XmlReader reader, List<Cell> cells)
    {
        var rowDepth = reader.Depth;
        var nextColumn = 0;
        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == rowDepth) return;
            if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "c") continue;

            // One pass over the attributes instead of a search per name (this runs for every cell of the sheet).
            string? reference = null, type = null, styleText = null;
            while (reader.MoveToNextAttribute())
            {
                switch (reader.LocalName)
                {
                    case "r": reference = reader.Value; break;
                    case "t": type = reader.Value; break;
                    case "s": styleText = reader.Value; break;
                }
            }
            reader.MoveToElement();
            var column = ColumnIndex(reference) ?? nextColumn;
            nextColumn = column + 1;
            var style = int.TryParse(styleText, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
            string? value = null;
            if (!reader.IsEmptyElement)
            {
                var cellDepth = reader.Depth;
                while (reader.Read())
                {
                    if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == cellDepth) break;
                    if (reader.NodeType != XmlNodeType.Element) continue;
                    if (reader.LocalName == "v") value = ReadText(reader);
                    else if (reader.LocalName == "is") value = ReadRichText(reader);
                }
            }
            if (value is null || column > 16_383) continue;
            while (cells.Count <= column) cells.Add(Cell.Empty);
            cells[column] = ToCell(type, style, value);
        }
    }

    /// <summary>
    /// The text of a &lt;v&gt; element, leaving the reader on its end tag: reading the text nodes directly is faster
    /// than ReadElementContentAsString, which a cell's value does not need.
    /// </summary>
    private static string ReadText(XmlReader reader)
    {
        if (reader.IsEmptyElement) return string.Empty;
        var depth = reader.Depth;
        string? single = null;
        System.Text.StringBuilder? many = null;
        while (reader.Read() && !(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth))
        {
            if (reader.NodeType is not (XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace)) continue;
            if (single is null) single = reader.Value;
            else (many ??= new System.Text.StringBuilder(single)).Append(reader.Value);
        }
        return many?.ToString() ?? single ?? string.Empty;
    }

    private Cell ToCell(string? type, int style, string value)
    {
        switch (type)
        {
            case "s":
                var strings = _sharedStrings ??= ReadSharedStrings();
                return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < strings.Length
                    ? Cell.FromText(strings[index]) : Cell.Empty;
            case "inlineStr" or "str" or "e":
                return Cell.FromText(value);
            case "b":
                return Cell.FromText(value == "1" ? "TRUE" : "FALSE");
            case "d":
                return Cell.FromText(value.Length >= 10 ? value[..10] : value);
            default:
                if (!SurveyValues.TryParsePlainDecimal(value, out var number)
                    && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out number)) return Cell.FromText(value);
                var kinds = _styleKinds ??= ReadStyles();
                var kind = style < kinds.Length ? kinds[style] : CellKind.Number;
                // A plain number keeps its stored text when that is already its survey text (saves formatting it again).
                return new Cell(kind, kind == CellKind.Number && SurveyValues.IsRoundTripForm(value) ? value : null, number);
        }
    }

    /// <summary>"AB12" is column 27 (0-based).</summary>
    internal static int? ColumnIndex(string? reference)
    {
        if (string.IsNullOrEmpty(reference)) return null;
        var index = 0;
        var letters = 0;
        foreach (var c in reference)
        {
            var upper = (char)(c & ~0x20);
            if (upper is < 'A' or > 'Z') break;
            index = index * 26 + (upper - 'A' + 1);
            letters++;
        }
        return letters == 0 ? null : index - 1;
    }

    private XmlReader Open(ZipArchiveEntry entry) =>
        XmlReader.Create(new LimitedStream(entry.Open(), _budget), XmlSettings);

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
        try
        {
            using var reader = OpenPart("xl/sharedStrings.xml");
            while (reader is not null && reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "si")
                    strings.Add(reader.IsEmptyElement ? string.Empty : ReadRichText(reader));
            }
        }
        catch (XmlException ex) { throw NotAWorkbook(ex); }
        return strings.ToArray();
    }

    /// <summary>Concatenates the text runs of an &lt;si&gt; or &lt;is&gt; element, leaving out phonetic runs.</summary>
    private static string ReadRichText(XmlReader reader)
    {
        if (reader.IsEmptyElement) return string.Empty;
        var depth = reader.Depth;
        string? single = null;
        System.Text.StringBuilder? many = null;
        var positioned = false;
        while (positioned || reader.Read())
        {
            positioned = false;
            if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth) break;
            if (reader.NodeType != XmlNodeType.Element) continue;
            if (reader.LocalName == "rPh") { reader.Skip(); positioned = true; continue; }
            if (reader.LocalName != "t") continue;
            var text = ReadText(reader);
            if (single is null) single = text;
            else (many ??= new System.Text.StringBuilder(single)).Append(text);
        }
        return many?.ToString() ?? single ?? string.Empty;
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
