using System.Buffers.Text;
using System.Text;
using System.Xml;

namespace MineIngest.Domain.Reading;

/// <summary>
/// A forward-only tokenizer over the UTF-8 bytes of a worksheet or shared-strings part. XmlReader's own parsing was
/// 78% of reading a 100,000-row workbook and twice the time of inflating it (docs/BENCHMARKS.md section 1); a
/// sheet's XML needs only elements, attributes, text, CDATA and the predefined and numeric character references.
/// Comments and processing instructions are skipped. A DTD is refused (so entity expansion cannot happen), as is a
/// reference to any other entity. Well-formedness is not checked beyond what reading needs: a malformed sheet can
/// only yield the cells its tags spell. Parts in another encoding (UTF-16, or declared single-byte) are transcoded
/// to UTF-8 first. Tokens refer to the scanner's buffer and are valid until the next <see cref="Read"/>.
/// One class of about 400 lines, and one tag reader (<c>TryReadTag</c>) of about 70, on purpose: the loop over a
/// sheet's bytes runs for every cell of a 100,000-row workbook, and keeping its state in locals of one method is what
/// makes it 556 ms against 1,194-1,380 ms with XmlReader (docs/BENCHMARKS.md section 1, the xlsx rows).
/// </summary>
internal sealed class XmlByteScanner : IDisposable
{
    public enum Token : byte { EndOfDocument, StartElement, EndElement, Text }

    /// <summary>No tag or text run may be longer: a cell holds at most 32,767 characters in Excel.</summary>
    private const int MaxTokenBytes = 8 * 1024 * 1024;
    private static ReadOnlySpan<byte> Whitespace => " \t\r\n"u8;

    private readonly Stream _stream;
    private byte[] _buffer = new byte[64 * 1024];
    private int _position;
    private int _end;
    private bool _streamDone;

    private int _nameStart, _nameLength, _attributesStart, _attributesLength, _textStart, _textLength;
    private bool _textIsCData;

    private readonly Stream _part;

    private XmlByteScanner(Stream part, Stream utf8)
    {
        _part = part;
        _stream = utf8;
    }

    /// <summary>True for a start tag that closes itself (&lt;c/&gt;).</summary>
    public bool IsEmptyElement { get; private set; }

    /// <summary>The element's name without its namespace prefix.</summary>
    public ReadOnlySpan<byte> LocalName => _buffer.AsSpan(_nameStart, _nameLength);

    public bool IsNamed(ReadOnlySpan<byte> localName) => LocalName.SequenceEqual(localName);

    /// <summary>Opens a part, transcoding it to UTF-8 when its byte-order mark or declaration names another encoding.</summary>
    public static XmlByteScanner Open(Stream part)
    {
        var head = new byte[256];
        var length = 0;
        int read;
        while (length < head.Length && (read = part.Read(head, length, head.Length - length)) > 0) length += read;
        var encoding = DetectEncoding(head.AsSpan(0, length), out var bomLength);
        var scanner = new XmlByteScanner(part, encoding is null ? part
            : Encoding.CreateTranscodingStream(new PrefixedStream(head[bomLength..length], length - bomLength, part), encoding, Encoding.UTF8));
        if (encoding is null)
        {
            head.AsSpan(bomLength, length - bomLength).CopyTo(scanner._buffer);
            scanner._end = length - bomLength;
        }
        return scanner;
    }

    /// <summary>Null for UTF-8 (the usual case); otherwise the encoding the part is in.</summary>
    private static Encoding? DetectEncoding(ReadOnlySpan<byte> head, out int bomLength)
    {
        bomLength = 0;
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) { bomLength = 3; return null; }
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) { bomLength = 2; return Encoding.Unicode; }
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) { bomLength = 2; return Encoding.BigEndianUnicode; }
        if (head.StartsWith((ReadOnlySpan<byte>)[0x3C, 0x00, 0x3F, 0x00])) return Encoding.Unicode;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x00, 0x3C, 0x00, 0x3F])) return Encoding.BigEndianUnicode;
        if (!head.StartsWith("<?xml"u8)) return null;
        var declarationEnd = head.IndexOf("?>"u8);
        var declaration = declarationEnd < 0 ? head : head[..declarationEnd];
        var at = declaration.IndexOf("encoding"u8);
        if (at < 0) return null;
        var rest = declaration[(at + 8)..].TrimStart(Whitespace);
        if (rest.IsEmpty || rest[0] != '=') return null;
        rest = rest[1..].TrimStart(Whitespace);
        if (rest.IsEmpty || rest[0] is not ((byte)'"' or (byte)'\'')) return null;
        var close = rest[1..].IndexOf(rest[0]);
        if (close < 0) return null;
        var name = Encoding.ASCII.GetString(rest.Slice(1, close));
        if (name.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || name.Equals("utf8", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var encoding = Encoding.GetEncoding(name);
            return encoding.CodePage == Encoding.UTF8.CodePage ? null : encoding;
        }
        catch (ArgumentException ex)
        {
            throw new XmlException("The part's declared encoding is not supported: " + name, ex);
        }
    }

    public Token Read()
    {
        while (true)
        {
            if (_position >= _end && !Fill()) return Token.EndOfDocument;
            var span = _buffer.AsSpan(_position, _end - _position);
            var lessThan = span.IndexOf((byte)'<');
            if (lessThan > 0 || (lessThan < 0 && _streamDone))
            {
                var length = lessThan < 0 ? span.Length : lessThan;
                SetText(_position, length, cData: false);
                _position += length;
                return Token.Text;
            }
            if (lessThan < 0)
            {
                // A text run that goes on past the buffer: read on and look again. A megabyte of whitespace is no
                // cell's value (a cell holds 32,767 characters): drop it, so a part padded with it streams on to the
                // uncompressed limit in the buffer's memory.
                if (span.Length >= 1024 * 1024 && span.IndexOfAnyExcept(Whitespace) < 0) _position = _end;
                Fill();
                continue;
            }
            var token = TryReadTag(span, out var consumed);
            if (consumed == 0)
            {
                if (!Fill()) throw new XmlException("The part ends inside a tag.");
                continue;
            }
            _position += consumed;
            if (token is { } found) return found;
        }
    }

    /// <summary>The current text token as a string, with character references and line ends as XML reads them.</summary>
    public string Text() => Decode(TextBytes, _textIsCData);

    /// <summary>The current text token's bytes, before references are replaced.</summary>
    public ReadOnlySpan<byte> TextBytes => _buffer.AsSpan(_textStart, _textLength);

    /// <summary>True when <see cref="TextBytes"/> is the text itself (no references, no carriage returns).</summary>
    public bool TextIsVerbatim => TextBytes.IndexOfAny((byte)'&', (byte)'\r') < 0;

    /// <summary>
    /// Takes a whole element written the plain way, such as &lt;v&gt;12&lt;/v&gt;, when the next bytes in the buffer are
    /// one: its text holds no markup, reference or carriage return. The usual cell's value, in one step instead of three
    /// tokens; false (nothing taken) for anything else, which is then read token by token.
    /// </summary>
    public bool TryTakePlainElement(ReadOnlySpan<byte> startTag, ReadOnlySpan<byte> endTag, out ReadOnlySpan<byte> text)
    {
        text = default;
        var span = _buffer.AsSpan(_position, _end - _position);
        if (!span.StartsWith(startTag)) return false;
        var rest = span[startTag.Length..];
        var lessThan = rest.IndexOf((byte)'<');
        if (lessThan < 0 || !rest[lessThan..].StartsWith(endTag)) return false;
        text = rest[..lessThan];
        if (text.IndexOfAny((byte)'&', (byte)'\r') >= 0) return false;
        _position += startTag.Length + lessThan + endTag.Length;
        return true;
    }

    /// <summary>Takes the given bytes (an end tag, say) when they come next in the buffer.</summary>
    public bool TryTake(ReadOnlySpan<byte> bytes)
    {
        if (!_buffer.AsSpan(_position, _end - _position).StartsWith(bytes)) return false;
        _position += bytes.Length;
        return true;
    }

    /// <summary>True when the bytes after the current token are known to start an end tag.</summary>
    public bool NextIsEndTag => _position + 1 < _end && _buffer[_position] == '<' && _buffer[_position + 1] == '/';

    /// <summary>The current start tag's attributes, for <see cref="NextAttribute"/>.</summary>
    public ReadOnlySpan<byte> Attributes => _buffer.AsSpan(_attributesStart, _attributesLength);

    /// <summary>An attribute of the current start tag by its local name, as raw bytes (references not replaced).</summary>
    public bool TryGetAttribute(ReadOnlySpan<byte> localName, out ReadOnlySpan<byte> value)
    {
        var rest = Attributes;
        while (NextAttribute(ref rest, out var name, out value))
        {
            if (name.SequenceEqual(localName)) return true;
        }
        return false;
    }

    /// <summary>Takes the next attribute (local name and raw value) off <paramref name="rest"/>; false when there is none.</summary>
    public static bool NextAttribute(scoped ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> localName, out ReadOnlySpan<byte> value)
    {
        localName = value = default;
        var equals = rest.IndexOf((byte)'=');
        if (equals < 0) return false;
        var name = rest[..equals].Trim(Whitespace);
        var after = rest[(equals + 1)..].TrimStart(Whitespace);
        if (after.IsEmpty || after[0] is not ((byte)'"' or (byte)'\'')) return false;
        var close = after[1..].IndexOf(after[0]);
        if (close < 0) return false;
        value = after.Slice(1, close);
        rest = after[(close + 2)..];
        localName = name[(name.LastIndexOf((byte)':') + 1)..];
        return true;
    }

    /// <summary>An attribute's value as XML reads it (references replaced), or null.</summary>
    public string? GetAttribute(ReadOnlySpan<byte> localName) => TryGetAttribute(localName, out var raw) ? Decode(raw, cData: false) : null;

    /// <summary>Skips to the end tag that closes the current element (which must not be empty).</summary>
    public void SkipElement()
    {
        var depth = 1;
        while (depth > 0)
        {
            switch (Read())
            {
                case Token.StartElement when !IsEmptyElement: depth++; break;
                case Token.EndElement: depth--; break;
                case Token.EndOfDocument: return;
            }
        }
    }

    private void SetText(int start, int length, bool cData)
    {
        _textStart = start;
        _textLength = length;
        _textIsCData = cData;
    }

    /// <summary>Reads the tag at the start of <paramref name="span"/>; consumed 0 means it is not all in the buffer yet.</summary>
    private Token? TryReadTag(ReadOnlySpan<byte> span, out int consumed)
    {
        consumed = 0;
        if (span.Length < 2) return null;
        switch (span[1])
        {
            case (byte)'/':
            {
                var close = span.IndexOf((byte)'>');
                if (close < 0) return null;
                SetName(_position + 2, span[2..close].TrimEnd(Whitespace).Length);
                consumed = close + 1;
                return Token.EndElement;
            }
            case (byte)'?':
            {
                var close = span.IndexOf("?>"u8);
                if (close < 0) return null;
                consumed = close + 2;
                return null;
            }
            case (byte)'!':
                if (span.StartsWith("<!--"u8))
                {
                    var close = span[4..].IndexOf("-->"u8);
                    if (close < 0) return null;
                    consumed = close + 7;
                    return null;
                }
                if (span.StartsWith("<![CDATA["u8))
                {
                    var close = span[9..].IndexOf("]]>"u8);
                    if (close < 0) return null;
                    SetText(_position + 9, close, cData: true);
                    consumed = close + 12;
                    return Token.Text;
                }
                if (span.Length < 9 && ("<![CDATA["u8.StartsWith(span) || "<!--"u8.StartsWith(span))) return null;
                // <!DOCTYPE and anything else: a sheet never has one, and a DTD is how entity expansion starts.
                throw new XmlException("The part holds a DTD or other markup a workbook never has.");
            default:
            {
                var nameLength = span[1..].IndexOfAny(" \t\r\n/>"u8);
                if (nameLength < 0) return null;
                // The tag ends at the first '>' outside quoted attribute values: the first '>' when the double quotes
                // before it pair up and there are no single ones (how every writer quotes), else found quote by quote.
                var at = span.IndexOf((byte)'>');
                if (at < 0) return null;
                if (span[..at].IndexOf((byte)'\'') >= 0 || span[..at].Count((byte)'"') % 2 != 0)
                {
                    at = 1 + nameLength;
                    while (true)
                    {
                        var next = span[at..].IndexOfAny((byte)'>', (byte)'"', (byte)'\'');
                        if (next < 0) return null;
                        at += next;
                        if (span[at] == '>') break;
                        var close = span[(at + 1)..].IndexOf(span[at]);
                        if (close < 0) return null;
                        at += close + 2;
                    }
                }
                IsEmptyElement = span[at - 1] == '/';
                SetName(_position + 1, nameLength);
                _attributesStart = _position + 1 + nameLength;
                _attributesLength = at - (IsEmptyElement ? 1 : 0) - 1 - nameLength;
                consumed = at + 1;
                return Token.StartElement;
            }
        }
    }

    private void SetName(int start, int length)
    {
        var colon = _buffer.AsSpan(start, length).LastIndexOf((byte)':');
        _nameStart = start + colon + 1;
        _nameLength = length - colon - 1;
    }

    /// <summary>Moves what is left to the buffer's start, grows it if a token fills it, and reads more; false at the end.</summary>
    private bool Fill()
    {
        if (_streamDone) return false;
        if (_position > 0)
        {
            Buffer.BlockCopy(_buffer, _position, _buffer, 0, _end - _position);
            _end -= _position;
            _position = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxTokenBytes) throw new XmlException("A tag or text in the part is longer than any cell can be.");
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _streamDone = true;
            return false;
        }
        _end += read;
        return true;
    }

    private static string Decode(ReadOnlySpan<byte> raw, bool cData)
    {
        var text = Encoding.UTF8.GetString(raw);
        if ((cData || raw.IndexOf((byte)'&') < 0) && raw.IndexOf((byte)'\r') < 0) return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r')
            {
                // XML reads CR LF and a lone CR as LF.
                sb.Append('\n');
                if (i + 1 < text.Length && text[i + 1] == '\n') i++;
            }
            else if (c == '&' && !cData)
            {
                var end = text.IndexOf(';', i + 1);
                if (end < 0) throw new XmlException("An '&' in the part starts no reference.");
                sb.Append(Reference(text.AsSpan(i + 1, end - i - 1)));
                i = end;
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static string Reference(ReadOnlySpan<char> name)
    {
        switch (name)
        {
            case "lt": return "<";
            case "gt": return ">";
            case "amp": return "&";
            case "quot": return "\"";
            case "apos": return "'";
        }
        if (name.Length > 1 && name[0] == '#')
        {
            var hex = name[1] is 'x';
            var digits = name[(hex ? 2 : 1)..];
            if (int.TryParse(digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var code)
                && code is > 0 and <= 0x10FFFF and not (>= 0xD800 and <= 0xDFFF))
            {
                return char.ConvertFromUtf32(code);
            }
        }
        throw new XmlException("The part refers to an entity a workbook never defines: &" + name.ToString() + ";");
    }

    /// <summary>The number in an attribute or text, or null when it is not a plain non-negative integer.</summary>
    public static int? ParseInt(ReadOnlySpan<byte> digits) =>
        Utf8Parser.TryParse(digits, out int value, out var used) && used == digits.Length && value >= 0 ? value : null;

    public void Dispose()
    {
        _stream.Dispose();
        _part.Dispose();
    }
}
