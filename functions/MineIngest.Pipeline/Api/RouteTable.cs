using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using MineIngest.Domain;

namespace MineIngest.Pipeline.Api;

/// <summary>Who may call a route, checked before its handler runs (the handler still asks <see cref="RouteAccess"/> for the caller).</summary>
public enum RouteRule
{
    /// <summary>Anyone: pages, their files, health, sign-in settings, violation reports.</summary>
    Public,
    /// <summary>The office's readers and writers.</summary>
    Reader,
    /// <summary>The office's writers.</summary>
    Writer,
    /// <summary>The uploaders of the route's {province}.</summary>
    Province,
    /// <summary>A withdrawal: the office's writers or the survey's province, which the handler knows; here, a caller who identified.</summary>
    Withdrawal,
    /// <summary>GET /api/me: any caller; the handler answers who they are.</summary>
    Self,
}

public sealed record RouteEntry(string Method, string Template, RouteRule Rule);

/// <summary>
/// Every route of the API with its access rule, in one place: a request to a route that is not here is refused (403)
/// before any handler runs, so a route added without a rule is closed, not open. A test compares this table with the
/// Functions app's HTTP triggers and the local host's routes.
/// </summary>
public sealed class RouteTable
{
    /// <summary>A surveyor's photo of a mine, sent with the survey that describes it.</summary>
    public const string PhotoRoute = "provinces/{province}/surveys/{id}/mines/{mineId}/photos/{number}";

    public static readonly IReadOnlyList<RouteEntry> Entries =
    [
        new("GET", "health", RouteRule.Public), new("GET", "signin", RouteRule.Public), new("GET", "me", RouteRule.Self),
        new("GET", "dashboard", RouteRule.Public), new("GET", "dashboard/{file}", RouteRule.Public), new("GET", "upload", RouteRule.Public),
        new("GET", "field", RouteRule.Public), new("GET", "field-worker.js", RouteRule.Public), new("GET", "field.webmanifest", RouteRule.Public),
        new("GET", "upload/limits", RouteRule.Public), new("GET", "template.xlsx", RouteRule.Public), new("POST", SecurityHeaders.ReportRoute, RouteRule.Public),
        new("GET", "summary", RouteRule.Reader), new("GET", "mines", RouteRule.Reader), new("GET", "mines.csv", RouteRule.Reader),
        new("GET", "mines/{province}/{mineId}", RouteRule.Reader), new("GET", "mines/{province}/{mineId}/history", RouteRule.Reader),
        new("GET", "mines/{province}/{mineId}/solution", RouteRule.Reader), new("GET", "mines/{province}/{mineId}/photos", RouteRule.Reader),
        new("GET", "mines/{province}/{mineId}/photos/{photo}", RouteRule.Reader), new("GET", "surveys", RouteRule.Reader),
        new("GET", "surveys/{id}", RouteRule.Reader), new("GET", "surveys/{id}/errors.{format}", RouteRule.Reader),
        new("GET", "committees", RouteRule.Reader), new("GET", "investor-list.{format}", RouteRule.Reader), new("GET", "report", RouteRule.Reader),
        new("GET", "report.xlsx", RouteRule.Reader), new("GET", "audit", RouteRule.Reader), new("GET", "audit.csv", RouteRule.Reader),
        new("PUT", "mines/{province}/{mineId}/solution", RouteRule.Writer), new("POST", "committees", RouteRule.Writer), new("POST", "rescore", RouteRule.Writer),
        new("GET", "keys", RouteRule.Writer), new("POST", "keys", RouteRule.Writer), new("POST", "keys/{province}/{id}/revoke", RouteRule.Writer),
        new("GET", "backups", RouteRule.Writer), new("POST", "backups", RouteRule.Writer), new("POST", "events/access", RouteRule.Writer),
        new("POST", "surveys/{id}/withdraw", RouteRule.Withdrawal),
        new("POST", "provinces/{province}/uploads", RouteRule.Province), new("GET", "provinces/{province}/surveys", RouteRule.Province),
        new("GET", "provinces/{province}/surveys/{id}/errors.{format}", RouteRule.Province), new("POST", "provinces/{province}/validate", RouteRule.Province),
        new("POST", "provinces/{province}/events/access", RouteRule.Province),
        new("PUT", PhotoRoute, RouteRule.Province), new("GET", "provinces/{province}/mines/{mineId}/photos/{photo}", RouteRule.Province),
    ];

    private const string Prefix = "/api/";
    private readonly IReadOnlyList<(RouteEntry Entry, TemplateMatcher Matcher)> _matchers =
        Entries.Select(e => (e, new TemplateMatcher(TemplateParser.Parse(e.Template), new RouteValueDictionary()))).ToList();

    /// <summary>The entry a request is for, with the route's values; null when the table has none.</summary>
    public (RouteEntry Entry, RouteValueDictionary Values)? Find(string method, PathString path)
    {
        if (!path.StartsWithSegments("/api", out var rest) || !rest.HasValue) return null;
        var relative = new PathString(rest.Value!.Length > 0 ? rest.Value : "/");
        foreach (var (entry, matcher) in _matchers)
        {
            if (!string.Equals(entry.Method, method, StringComparison.OrdinalIgnoreCase)) continue;
            var values = new RouteValueDictionary();
            if (matcher.TryMatch(relative, values)) return (entry, values);
        }
        return null;
    }

    public static string Key(string method, string template) => $"{method.ToUpperInvariant()} {Prefix}{template}";
}

/// <summary>
/// Refusal by default, for both hosts: a request to a route without an entry in <see cref="RouteTable"/> is refused, one
/// to a route with a rule is refused unless the caller meets it (in the same words as the handler would refuse), and
/// one past its caller's budget for that kind of route gets 429 (<see cref="CallerBudgets"/>), and a body out of bounds
/// 413 or 400 (<see cref="RequestBounds"/>).
/// </summary>
public sealed class DenyByDefault(RouteTable table, RouteAccess access, Access.ProvinceKeyStore keys, CallerBudgets budgets)
{
    /// <summary>The refusal to answer with instead of running the route's handler (no rule, not allowed, past the caller's budget); null to run it.</summary>
    public async Task<IResult?> RefusalAsync(HttpContext context)
    {
        var request = context.Request;
        if (table.Find(request.Method, request.Path) is not { } found)
            return ApiResults.ClerkProblem(StatusCodes.Status403Forbidden, "Not allowed", ClerkMessages.RouteHasNoRule());
        var ct = context.RequestAborted;
        var province = found.Values["province"]?.ToString() ?? "";
        var admission = found.Entry.Rule switch
        {
            RouteRule.Public or RouteRule.Self => new Admission(null, null),
            RouteRule.Reader => await access.ReaderAsync(request),
            RouteRule.Writer => await access.WriterAsync(request, ct),
            RouteRule.Province => await access.ProvinceAsync(request, keys.Folder(province), province, ct),
            RouteRule.Withdrawal => new Admission(null, await access.UnidentifiedAsync(request)),
            _ => Admission.Refuse(ApiResults.ClerkProblem(StatusCodes.Status403Forbidden, "Not allowed", ClerkMessages.RouteHasNoRule())),
        };
        return admission.Refused ?? budgets.Spend(found.Entry, admission.Actor, context) ?? await RequestBounds.CheckAsync(context, found.Entry);
    }
}
