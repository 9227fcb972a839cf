using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MineIngest.Pipeline.Api;

/// <summary>
/// POST /api/csp-reports: where browsers report what the pages' Content-Security-Policy blocked (a page that asks for
/// something its policy forbids, or an injected script). Anonymous, as browsers send it; each report is logged as
/// structured fields, at most <see cref="PerMinute"/> a minute per instance.
/// </summary>
public sealed class CspReportsApi(TimeProvider time, ILogger<CspReportsApi> logger)
{
    public const int PerMinute = 60;
    private readonly Lock _gate = new();
    private DateTimeOffset _minute;
    private int _logged;
    private int _received;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _recent = new();

    /// <summary>Reports this instance has been sent since it started (logged or not), and the last few as read.</summary>
    public int Received => Volatile.Read(ref _received);
    public IReadOnlyList<string> Recent => [.. _recent];

    /// <param name="request">Its body already read and bounded (<see cref="RequestBounds"/>, 8 KB) before this runs.</param>
    public async Task<IResult> ReportAsync(HttpRequest request, CancellationToken ct)
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, ct);
        var buffer = body.GetBuffer();
        var read = (int)body.Length;
        Interlocked.Increment(ref _received);
        _recent.Enqueue(System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Min(read, 500)));
        while (_recent.Count > 10) _recent.TryDequeue(out _);
        if (!Take()) return Results.NoContent();
        try
        {
            using var document = JsonDocument.Parse(buffer.AsMemory(0, read));
            // Either the report-uri form {"csp-report": {...}} or the Reporting API's [{"type": "csp-violation", "body": {...}}].
            var report = document.RootElement.ValueKind == JsonValueKind.Array
                ? document.RootElement.EnumerateArray().Select(r => r.TryGetProperty("body", out var b) ? b : r).FirstOrDefault()
                : document.RootElement.TryGetProperty("csp-report", out var r) ? r : document.RootElement;
            string? Field(params string[] names) => names.Select(name => report.ValueKind == JsonValueKind.Object && report.TryGetProperty(name, out var v) ? v.ToString() : null)
                .FirstOrDefault(v => v is not null);
            logger.LogWarning("Content-Security-Policy violation on {Page}: {Directive} blocked {Blocked} ({Source}:{Line})",
                Field("document-uri", "documentURL"), Field("effective-directive", "effectiveDirective", "violated-directive"),
                Field("blocked-uri", "blockedURL"), Field("source-file", "sourceFile"), Field("line-number", "lineNumber"));
        }
        catch (JsonException)
        {
            logger.LogWarning("Content-Security-Policy report that is not JSON ({Bytes} bytes)", read);
        }
        return Results.NoContent();
    }

    /// <summary>Whether this minute's budget of logged reports has room (a page in a loop must not flood the logs).</summary>
    private bool Take()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (now - _minute >= TimeSpan.FromMinutes(1)) (_minute, _logged) = (now, 0);
            return ++_logged <= PerMinute;
        }
    }
}
