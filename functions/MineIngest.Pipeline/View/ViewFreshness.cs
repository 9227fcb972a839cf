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
/// Read-your-writes across instances: a write's answer, and a survey's report, carry the moment after which a check of
/// the views includes what they report (<c>X-View-Token</c>); a view request that sends it back waits, on whatever
/// instance, only until that instance's view was checked after it (at most MineViewWaitSeconds, then stale).
/// </summary>
public static class ViewToken
{
    public const string Header = "X-View-Token";
    private const string Format = "yyyy-MM-ddTHH:mm:ss.fffZ";

    /// <summary>Gives the answer the token of now: everything this request wrote or reported was stored before it.</summary>
    public static void Write(HttpResponse response, TimeProvider time) =>
        response.Headers[Header] = time.GetUtcNow().UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static DateTimeOffset? Parse(string token) =>
        DateTimeOffset.TryParseExact(token, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at : null;
}

/// <summary>
/// What a request asks of the views' freshness. A plain request (<see cref="Waits"/> false) is answered at once from the
/// newest view the instance holds, which a background refresh keeps checked every MineViewRefreshSeconds; it is stale
/// when that check is older than <see cref="Since"/>, the refresh period and the time one may take. With
/// <c>Cache-Control: no-cache</c> (or <c>max-age=0</c>, or <c>Pragma: no-cache</c>) it waits for a check begun after it
/// arrived (read-your-writes); with a view token (<see cref="ViewToken"/>) only for a check begun after the write the token
/// names. MineViewRefreshSeconds 0 turns the background refresh off and makes every request wait for a check.
/// </summary>
public sealed record RequestFreshness(DateTimeOffset Arrived, DateTimeOffset Since, bool Waits, StringValues IfNoneMatch)
{
    public static RequestFreshness From(HttpRequest request, TimeProvider time, PipelineOptions options)
    {
        var arrived = time.GetUtcNow();
        var ifNoneMatch = request.Headers.IfNoneMatch;
        if (AsksNoCache(request.Headers) || options.MineViewRefreshSeconds <= 0) return new RequestFreshness(arrived, arrived, true, ifNoneMatch);
        if (request.Headers[ViewToken.Header] is { Count: > 0 } token)
        {
            // A token names a moment this API has seen: one later than now (another instance's clock ahead), or not one of
            // ours at all, asks no more than no-cache does.
            var after = ViewToken.Parse(token.ToString()) is { } at && at < arrived ? at : arrived;
            return new RequestFreshness(arrived, after, true, ifNoneMatch);
        }
        return new RequestFreshness(arrived, arrived - TimeSpan.FromSeconds(options.MineViewRefreshSeconds + options.MineViewWaitSeconds), false, ifNoneMatch);
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
