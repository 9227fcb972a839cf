using System.Text;
using nietras.SeparatedValues;

namespace MineIngest.Domain.Reading;

/// <summary>
/// CSV through Sep (the fastest CSV reader measured here). The encoding (UTF-8 with or without BOM,
/// UTF-16 with BOM, else Windows-1256) and the delimiter (comma, semicolon or tab, whichever makes the
/// header line) are found from the first 64 KB.
/// </summary>
internal sealed class CsvWorkbookReader : IWorkbookReader
{
    private const int SniffBytes = 64 * 1024;
    private static readonly char[] Delimiters = [',', ';', '\t'];

    static CsvWorkbookReader() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private readonly SepReader _reader;
    private bool _sheetRead;

    public CsvWorkbookReader(Stream stream)
    {
        var prefix = new byte[SniffBytes];
        var length = stream.ReadAtLeast(prefix, SniffBytes, throwOnEndOfStream: false);
        var encoding = DetectEncoding(prefix.AsSpan(0, length), length < SniffBytes);
        var delimiter = DetectDelimiter(DecodePrefix(prefix.AsSpan(0, length), encoding));
        // 64 KB at a time, not StreamReader's 1 KB: fewer reads of the file and fewer refills for Sep (its buffer moves
        // what is left to the start on each one): 173-186 ms against 215-234 ms per 100,000 rows (docs/BENCHMARKS.md section 1).
        var text = new StreamReader(new PrefixedStream(prefix, length, stream), encoding, detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024);
        _reader = Sep.New(delimiter).Reader(o => o with { HasHeader = false, Unescape = true, DisableColCountCheck = true }).From(text);
    }

    internal static Encoding DetectEncoding(ReadOnlySpan<byte> prefix, bool isWholeFile)
    {
        if (prefix.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) return new UTF8Encoding(false);
        if (prefix.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) return Encoding.Unicode;
        if (prefix.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return Encoding.BigEndianUnicode;
        // Excel in Persian locales writes Windows-1256; any text that is not valid UTF-8 is taken as that.
        return IsValidUtf8(prefix, isWholeFile) ? new UTF8Encoding(false) : Encoding.GetEncoding(1256);
    }

    private static bool IsValidUtf8(ReadOnlySpan<byte> bytes, bool isWholeFile)
    {
        if (!isWholeFile)
        {
            // The sniffed prefix may end inside a multi-byte character: drop an incomplete tail.
            var cut = bytes.Length;
            for (var back = 1; back <= 3 && back <= bytes.Length; back++)
            {
                var b = bytes[^back];
                if ((b & 0xC0) == 0x80) continue;
                var need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
                if (need > back) cut = bytes.Length - back;
                break;
            }
            bytes = bytes[..cut];
        }
        return System.Text.Unicode.Utf8.IsValid(bytes);
    }

    private static string DecodePrefix(ReadOnlySpan<byte> prefix, Encoding encoding)
    {
        var preamble = encoding.GetPreamble();
        if (preamble.Length > 0 && prefix.StartsWith(preamble)) prefix = prefix[preamble.Length..];
        else if (prefix.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) prefix = prefix[3..];
        return encoding.GetString(prefix);
    }

    /// <summary>The delimiter under which one of the first 20 lines names the most survey columns.</summary>
    internal static char DetectDelimiter(string prefix)
    {
        var lines = prefix.Split('\n', 21);
        foreach (var line in lines.Take(20))
        {
            var best = (Delimiter: ',', Matches: 0);
            foreach (var delimiter in Delimiters)
            {
                var matches = line.Split(delimiter).Count(field => SurveyColumns.MatchHeader(field.Trim().Trim('"')) is { } c && SurveyColumns.Get(c).Required);
                if (matches > best.Matches) best = (delimiter, matches);
            }
            if (best.Matches >= SurveyReader.HeaderMinimumMatches) return best.Delimiter;
        }
        return ',';
    }

    public bool NextSheet()
    {
        if (_sheetRead) return false;
        _sheetRead = true;
        return true;
    }

    public bool NextRow(List<Cell> cells, out int rowNumber)
    {
        cells.Clear();
        rowNumber = 0;
        if (!_reader.MoveNext()) return false;
        var row = _reader.Current;
        rowNumber = row.RowIndex + 1;
        for (var i = 0; i < row.ColCount; i++) cells.Add(Cell.FromText(row[i].ToString()));
        return true;
    }

    public void Dispose() => _reader.Dispose();
}

/// <summary>Replays bytes already read for sniffing, then the rest of the stream.</summary>
internal sealed class PrefixedStream(byte[] prefix, int prefixLength, Stream rest) : Stream
{
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position >= prefixLength) return rest.Read(buffer);
        var count = Math.Min(buffer.Length, prefixLength - _position);
        prefix.AsSpan(_position, count).CopyTo(buffer);
        _position += count;
        return count;
    }
}
