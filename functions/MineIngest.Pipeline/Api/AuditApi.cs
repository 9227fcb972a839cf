using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Domain;
using MineIngest.Domain.Writing;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Office;

namespace MineIngest.Pipeline.Api;

public sealed record AuditList(string From, string To, IReadOnlyList<AuditEntry> Items);

/// <summary>
/// GET /api/audit and /api/audit.csv?from=&amp;to=&amp;province=&amp;action=: who changed what, oldest first, for the office's
/// readers. The period is in UTC days, either calendar, the last 30 days when not given.
/// </summary>
public sealed class AuditApi(RouteAccess access, AuditLog audit, ReferenceData reference, TimeProvider time, ILogger<AuditApi> logger)
{
    public static readonly IReadOnlyList<string> CsvHeaders = ["at", "action", "province", "subject", "detail", "actorKind", "actorId", "actorName"];

    public Task<IResult> ListAsync(HttpRequest request, string format, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(request)).Refused is { } refused) return refused;
        var query = request.Query;
        var errors = new Dictionary<string, string[]>();
        var today = time.GetUtcNow().UtcDateTime.Date;
        var from = ApiResults.DateField("from", query["from"], errors) ?? today.AddDays(-29).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var to = ApiResults.DateField("to", query["to"], errors) ?? today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        string? province = null;
        if (query["province"].ToString() is { Length: > 0 } p
            && (province = p.Trim().ToLowerInvariant() == AuditLog.OfficeScope ? AuditLog.OfficeScope : SurveyIngestor.UploadFolder(reference, p)) is null)
            errors["province"] = [$"\"{p}\" is not a province of Iran, nor national or office."];
        string? action = null;
        if (query["action"].ToString() is { Length: > 0 } a && (action = AuditActions.All.FirstOrDefault(x => x == a.Trim().ToLowerInvariant())) is null)
            errors["action"] = [$"\"{a}\" is not an action: use {string.Join(", ", AuditActions.All)}."];
        if (errors.Count > 0) return ApiResults.BadQuery(errors);

        var start = DateTimeOffset.Parse(from, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        var end = DateTimeOffset.Parse(to, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).AddDays(1).AddTicks(-1);
        var entries = await audit.ListAsync(start, end, province, action, ct);
        if (format == "json") return Results.Json(new AuditList(from, to, entries), ApiResults.Json);
        var rows = entries.Select(e => (IReadOnlyList<string?>)
            [e.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), e.Action, e.Province, e.Subject, e.Detail, e.ActorKind, e.ActorId, e.ActorName]);
        return Results.File(await CsvExport.ToBytesAsync(CsvHeaders, rows, ct), "text/csv; charset=utf-8", $"mineingest-audit-{from}-{to}.csv");
    });
}

/// <summary>What the pages need to sign in (GET /api/signin, public: no secret in it).</summary>
public sealed record SignInSettingsDto(bool Enabled, string? Authority, string? ClientId, string? Scope, string? Protocol, IReadOnlyList<string> KnownAuthorities);

/// <summary>The signed-in caller as the app sees them: name, object id, roles, and the provinces those roles open.</summary>
public sealed record MeDto(bool SignIn, string? Name, string? Kind, string? Id, IReadOnlyList<string> Roles, IReadOnlyList<string> Provinces, string? Office);

public static class SignInSettings
{
    /// <summary>GET /api/me: what the pages show of who is signed in, from the app's own check of the token.</summary>
    public static async Task<IResult> MeAsync(RouteAccess access, HttpRequest request)
    {
        var (actor, roles, refused) = await access.WhoAsync(request);
        if (refused is not null) return refused;
        if (actor is null) return Results.Json(new MeDto(false, null, null, null, [], [], null), ApiResults.Json);
        var provinces = roles.Where(r => r.StartsWith(AppRoles.ProvincePrefix, StringComparison.Ordinal)).Select(r => r[AppRoles.ProvincePrefix.Length..]).Order().ToList();
        var office = roles.Contains(AppRoles.Writer) ? "writer" : roles.Contains(AppRoles.Reader) ? "reader" : null;
        return Results.Json(new MeDto(true, actor.Name, actor.Kind, actor.Id, roles.Order().ToList(), provinces, office), ApiResults.Json);
    }

    public static IResult Answer(IOptions<SignInOptions> options)
    {
        var o = options.Value;
        if (!o.Enabled) return Results.Json(new SignInSettingsDto(false, null, null, null, null, []), ApiResults.Json);
        var host = new Uri(o.Authority!).Authority;
        return Results.Json(new SignInSettingsDto(true, o.Authority!.TrimEnd('/'), o.PagesClientId, $"{o.ScopeBase}/access_as_user", o.PagesProtocol, [host]), ApiResults.Json);
    }
}
