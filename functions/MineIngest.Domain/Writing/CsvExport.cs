using System.Text;
using nietras.SeparatedValues;

namespace MineIngest.Domain.Writing;

/// <summary>
/// Every CSV the system hands out: UTF-8 with a byte order mark (so that Excel shows Persian text), quoted where needed,
/// each cell through <see cref="SpreadsheetText.ForCsv"/>.
/// </summary>
public static class CsvExport
{
    public static async Task WriteAsync(Stream output, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows, CancellationToken ct)
    {
        await using var text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), leaveOpen: true);
        var names = header.Select(SpreadsheetText.ForCsv).ToArray();
        using (var writer = Sep.New(',').Writer(o => o with { Escape = true }).To(text))
        {
            // Written first, so that a file without rows still gets its header.
            writer.Header.Add(names);
            writer.Header.Write();
            foreach (var row in rows)
            {
                ct.ThrowIfCancellationRequested();
                using var line = writer.NewRow();
                for (var i = 0; i < names.Length; i++) line[names[i]].Set(SpreadsheetText.ForCsv(i < row.Count ? row[i] : null));
            }
        }
        await text.FlushAsync(ct);
    }

    public static async Task<byte[]> ToBytesAsync(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows, CancellationToken ct)
    {
        using var output = new MemoryStream();
        await WriteAsync(output, header, rows, ct);
        return output.ToArray();
    }
}
