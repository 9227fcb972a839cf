using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using MineIngest.Domain;
using MineIngest.Pipeline.Access;

namespace MineIngest.Pipeline.Api;

/// <summary>Requests a minute each caller may make, by kind of route; bound from the "RateLimits" section. Per instance (docs/DESIGN.md).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Reading the record: summary, ranking, mines, reports as JSON, a province's own reports.</summary>
    [Range(1, 10_000_000)] public int ReadsPerMinute { get; set; } = 1200;
    /// <summary>Files built for the caller: csv and xlsx exports, the printable report, rows to fix, the audit list.</summary>
    [Range(1, 10_000_000)] public int ExportsPerMinute { get; set; } = 60;
    /// <summary>The validate route (up to 1,000 rows each).</summary>
    [Range(1, 10_000_000)] public int ValidationsPerMinute { get; set; } = 120;
    /// <summary>Upload links asked for.</summary>
    [Range(1, 10_000_000)] public int UploadLinksPerMinute { get; set; } = 120;
    /// <summary>Changes to the record: solutions, meetings, keys, re-scoring, backups, withdrawals.</summary>
    [Range(1, 10_000_000)] public int WritesPerMinute { get; set; } = 60;
    /// <summary>Routes open to anyone (pages, their files, violation reports), by client address.</summary>
    [Range(1, 10_000_000)] public int PublicPerMinute { get; set; } = 600;
}

/// <summary>
/// Each caller's budget of requests, by kind of route, with the rate limiter of .NET (token buckets, partitioned by the
/// verified caller: the token's object id or the key's id; the client address only where nobody is identified). A
/// caller past its budget gets 429 with Retry-After; every other caller is untouched.
/// </summary>
public sealed class CallerBudgets : IDisposable
{
    private readonly PartitionedRateLimiter<(string Kind, string Caller)> _limiter;

    public CallerBudgets(IOptions<RateLimitOptions> options)
    {
        var o = options.Value;
        int PerMinute(string kind) => kind switch
        {
            nameof(RateLimitOptions.ExportsPerMinute) => o.ExportsPerMinute,
            nameof(RateLimitOptions.ValidationsPerMinute) => o.ValidationsPerMinute,
            nameof(RateLimitOptions.UploadLinksPerMinute) => o.UploadLinksPerMinute,
            nameof(RateLimitOptions.WritesPerMinute) => o.WritesPerMinute,
            nameof(RateLimitOptions.PublicPerMinute) => o.PublicPerMinute,
            _ => o.ReadsPerMinute,
        };
        // A minute's budget may be spent at once; it refills evenly, at most once a second (the limiter's own clock ticks
        // every 100 ms and adds one period's tokens per tick, so shorter periods would refill slower than they say).
        _limiter = PartitionedRateLimiter.Create<(string Kind, string Caller), (string, string)>(key => RateLimitPartition.GetTokenBucketLimiter(key, k =>
        {
            var perMinute = PerMinute(k.Item1);
            return new TokenBucketRateLimiterOptions
            {
                TokenLimit = perMinute, QueueLimit = 0, AutoReplenishment = true,
                TokensPerPeriod = Math.Max(1, perMinute / 60), ReplenishmentPeriod = TimeSpan.FromSeconds(Math.Max(1, 60.0 / perMinute)),
            };
        }));
    }

    /// <summary>The kind of budget a route draws on.</summary>
    public static string KindOf(RouteEntry route) => route switch
    {
        { Rule: RouteRule.Public or RouteRule.Self } => nameof(RateLimitOptions.PublicPerMinute),
        { Template: "provinces/{province}/validate" } => nameof(RateLimitOptions.ValidationsPerMinute),
        { Template: "provinces/{province}/uploads" } => nameof(RateLimitOptions.UploadLinksPerMinute),
        { Method: not "GET" } => nameof(RateLimitOptions.WritesPerMinute),
        { Template: var t } when t.Contains('.', StringComparison.Ordinal) || t == "report" => nameof(RateLimitOptions.ExportsPerMinute),
        _ => nameof(RateLimitOptions.ReadsPerMinute),
    };

    /// <summary>Who the budget belongs to: the verified caller, else the client's address.</summary>
    public static string CallerOf(Actor? actor, HttpContext context) =>
        actor is not null ? $"{actor.Kind}:{actor.Id}" : "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    /// <summary>Null when the request is within its caller's budget; else the 429 to answer.</summary>
    public IResult? Spend(RouteEntry route, Actor? actor, HttpContext context)
    {
        using var lease = _limiter.AttemptAcquire((KindOf(route), CallerOf(actor, context)));
        if (lease.IsAcquired) return null;
        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        var seconds = (int)Math.Max(1, Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiResults.ClerkProblem(StatusCodes.Status429TooManyRequests, "Too many requests", ClerkMessages.TooManyRequests(seconds));
    }

    public void Dispose() => _limiter.Dispose();
}
