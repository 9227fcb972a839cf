using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using MineIngest.Pipeline.Health;

namespace MineIngest.Pipeline.View;

/// <summary>Something read through a view, with when the view was last checked against storage and whether that is older than asked.</summary>
public sealed record ViewRead<T>(T Value, DateTimeOffset CheckedAt, bool Stale);

/// <summary>
/// What a request asks of the views' freshness: answers checked at or after <see cref="Since"/>. Without a header that is
/// MineViewRefreshSeconds before it arrived; with <c>Cache-Control: no-cache</c> (or <c>max-age=0</c>, or
/// <c>Pragma: no-cache</c>) it is the moment it arrived: read-your-writes.
/// </summary>
public sealed record RequestFreshness(DateTimeOffset Arrived, DateTimeOffset Since, bool NoCache, StringValues IfNoneMatch)
{
    public static RequestFreshness From(HttpRequest request, TimeProvider time, PipelineOptions options)
    {
        var arrived = time.GetUtcNow();
        var noCache = AsksNoCache(request.Headers);
        var since = noCache ? arrived : arrived - TimeSpan.FromSeconds(options.MineViewRefreshSeconds);
        return new RequestFreshness(arrived, since, noCache, request.Headers.IfNoneMatch);
    }

    private static bool AsksNoCache(IHeaderDictionary headers)
    {
        if (CacheControlHeaderValue.TryParse(headers.CacheControl.ToString(), out var cacheControl)
            && (cacheControl.NoCache || cacheControl.NoStore || cacheControl.MaxAge == TimeSpan.Zero)) return true;
        return headers.Pragma.Any(p => p?.Contains("no-cache", StringComparison.OrdinalIgnoreCase) == true);
    }

    /// <summary>True when the request's If-None-Match names <paramref name="etag"/> (weak comparison, as RFC 9110 says for it).</summary>
    public bool Matches(string etag)
    {
        if (IfNoneMatch.Count == 0) return false;
        if (!EntityTagHeaderValue.TryParseList(IfNoneMatch, out var tags)) return false;
        var ours = EntityTagHeaderValue.Parse(etag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(ours, useStrongComparison: false));
    }
}

/// <summary>
/// How fresh one answer built from the views is: when they were checked (the older of the mine view and the committee
/// meetings), whether that is older than the request asked, and the answer's validator.
/// </summary>
public sealed record AnswerFreshness(DateTimeOffset CheckedAt, bool Stale, DateTimeOffset Now, string ETag, DateTimeOffset? LastModified)
{
    public double AgeSeconds => Math.Max(0, Math.Round((Now - CheckedAt).TotalSeconds, 1));

    /// <summary>
    /// The freshness fields to close a JSON answer with: <c>checkedAt</c>, <c>stale</c>, <c>ageSeconds</c>, and the
    /// closing brace. The body before them is cached per snapshot, so they are written after it rather than serialised
    /// with it.
    /// </summary>
    public byte[] JsonTail() => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $",\"checkedAt\":\"{CheckedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}\",\"stale\":{(Stale ? "true" : "false")},\"ageSeconds\":{AgeSeconds:0.0}}}"));

    /// <summary>
    /// The headers every view answer carries: ETag, Last-Modified (the newest write in it), Cache-Control no-cache (a
    /// browser revalidates each time, which costs a 304), and X-View-Checked-At / X-View-Stale for answers that are files.
    /// </summary>
    public void WriteHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ETag = ETag;
        if (LastModified is { } modified) headers.LastModified = modified.ToString("R", CultureInfo.InvariantCulture);
        headers.CacheControl = "no-cache";
        headers["X-View-Checked-At"] = CheckedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        headers["X-View-Stale"] = Stale ? "true" : "false";
    }
}

/// <summary>An answer built from the views: its freshness headers, then the answer itself (or 304 with no body).</summary>
internal sealed class ViewResult(IResult inner, AnswerFreshness freshness) : IResult
{
    public static IResult Json(RequestFreshness request, AnswerFreshness freshness, Func<byte[]> cachedBody) =>
        request.Matches(freshness.ETag)
            ? new ViewResult(Results.StatusCode(StatusCodes.Status304NotModified), freshness)
            : new ViewResult(new JsonWithTail(cachedBody(), freshness.JsonTail()), freshness);

    /// <summary>
    /// A cached JSON object written without its closing brace, then the tail: no copy of the body per request (a
    /// page of 50 mines is tens of kilobytes, and a polled dashboard asks for it many times a second).
    /// </summary>
    private sealed class JsonWithTail(byte[] json, byte[] tail) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var end = Array.LastIndexOf(json, (byte)'}');
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            httpContext.Response.ContentLength = end + tail.Length;
            await httpContext.Response.Body.WriteAsync(json.AsMemory(0, end), httpContext.RequestAborted);
            await httpContext.Response.Body.WriteAsync(tail, httpContext.RequestAborted);
        }
    }

    public Task ExecuteAsync(HttpContext httpContext)
    {
        freshness.WriteHeaders(httpContext.Response);
        return inner.ExecuteAsync(httpContext);
    }
}
