using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using MineIngest.Domain;
using MineIngest.Pipeline.Access;

namespace MineIngest.Pipeline.Api;

/// <summary>A route's decision: who the caller is, or the refusal to answer instead.</summary>
public readonly record struct Admission(Actor? Actor, IResult? Refused, bool ByOffice = false)
{
    public static Admission Refuse(IResult refused) => new(null, refused);
}

/// <summary>
/// Who may call what, decided in the app's own code from a verified identity, the same under the Functions host and the
/// local host: with sign-in on, a bearer token checked by JwtBearer (signature from the authority's keys, issuer,
/// audience, lifetime) and its app roles; with sign-in off, the province and writer keys as before.
/// 401 when there is no acceptable token, 403 when the token lacks the role.
/// </summary>
public sealed class RouteAccess(IOptions<SignInOptions> options, ProvinceKeyStore keys)
{
    private SignInOptions SignIn => options.Value;

    /// <summary>Reading the programme's record: the office's readers and writers (anyone, with sign-in off).</summary>
    public async Task<Admission> ReaderAsync(HttpRequest request)
    {
        if (!SignIn.Enabled) return new(null, null);
        var (actor, roles, refused) = await TokenAsync(request);
        if (refused is not null) return Admission.Refuse(refused);
        return roles.Contains(AppRoles.Reader) || roles.Contains(AppRoles.Writer) ? new(actor, null)
            : Admission.Refuse(Forbidden(ClerkMessages.OfficeRoleNeeded(AppRoles.Reader)));
    }

    /// <summary>Changing the programme's record: the office's writers (the writer key, with sign-in off).</summary>
    public async Task<Admission> WriterAsync(HttpRequest request, CancellationToken ct)
    {
        if (!SignIn.Enabled)
        {
            var (keyId, refusedKey) = await OncePerRequestAsync(request, "writer-key",
                () => KeyRefusals.WriterAsync(keys, request.Headers[OfficeApi.WriterKeyHeader], ct));
            return refusedKey is not null ? Admission.Refuse(refusedKey) : new(Actor.FromKey(ProvinceKeyStore.OfficeScope, keyId!), null, ByOffice: true);
        }
        var (actor, roles, refused) = await TokenAsync(request);
        if (refused is not null) return Admission.Refuse(refused);
        return roles.Contains(AppRoles.Writer) ? new(actor, null, ByOffice: true) : Admission.Refuse(Forbidden(ClerkMessages.OfficeRoleNeeded(AppRoles.Writer)));
    }

    /// <summary>
    /// A province's own routes (<paramref name="folder"/>: its upload folder, null for a name that is none): its uploaders,
    /// by the Province.{folder} role, or by the province's key where keys are accepted.
    /// </summary>
    public async Task<Admission> ProvinceAsync(HttpRequest request, string? folder, string province, CancellationToken ct)
    {
        if (UsesProvinceKey(request))
        {
            var (keyId, refusedKey) = await OncePerRequestAsync(request, "province-key:" + folder,
                () => KeyRefusals.ProvinceAsync(keys, folder, province, request.Headers[ProvinceApi.ProvinceKeyHeader], ct));
            return refusedKey is not null ? Admission.Refuse(refusedKey) : new(Actor.FromKey(folder!, keyId!), null);
        }
        var (actor, roles, refused) = await TokenAsync(request);
        if (refused is not null) return Admission.Refuse(refused);
        return folder is not null && roles.Contains(AppRoles.Province(folder)) ? new(actor, null)
            : Admission.Refuse(Forbidden(ClerkMessages.ProvinceRoleNeeded(province)));
    }

    /// <summary>Who the app takes the caller to be (GET /api/me): any valid token, whatever its roles.</summary>
    public async Task<(Actor? Actor, IReadOnlySet<string> Roles, IResult? Refused)> WhoAsync(HttpRequest request) =>
        SignIn.Enabled ? await TokenAsync(request) : (null, new HashSet<string>(), null);

    /// <summary>The 401 for a caller who sent nothing a withdrawal could accept, before the survey is looked up; else null.</summary>
    public async Task<IResult?> UnidentifiedAsync(HttpRequest request)
    {
        if (!SignIn.Enabled)
            return request.Headers[OfficeApi.WriterKeyHeader].ToString().Length > 0 || request.Headers[ProvinceApi.ProvinceKeyHeader].ToString().Length > 0 ? null
                : ApiResults.ClerkProblem(StatusCodes.Status401Unauthorized, "Key needed", ClerkMessages.WithdrawKeyNeeded(OfficeApi.WriterKeyHeader, ProvinceApi.ProvinceKeyHeader));
        return UsesProvinceKey(request) ? null : (await TokenAsync(request)).Refused;
    }

    /// <summary>Withdrawing a survey of <paramref name="folder"/>: the office's writers, or that province's uploaders (whom the route then holds to its time limit).</summary>
    public async Task<Admission> WithdrawAsync(HttpRequest request, string folder, CancellationToken ct)
    {
        if (await UnidentifiedAsync(request) is { } unidentified) return Admission.Refuse(unidentified);
        if (!SignIn.Enabled && request.Headers[OfficeApi.WriterKeyHeader].ToString().Length > 0) return await WriterAsync(request, ct);
        if (UsesProvinceKey(request)) return await ProvinceAsync(request, folder, folder, ct);
        var (actor, roles, refused) = await TokenAsync(request);
        if (refused is not null) return Admission.Refuse(refused);
        if (roles.Contains(AppRoles.Writer)) return new(actor, null, ByOffice: true);
        return roles.Contains(AppRoles.Province(folder)) ? new(actor, null) : Admission.Refuse(Forbidden(ClerkMessages.ProvinceRoleNeeded(folder)));
    }

    /// <summary>With sign-in off always; with it on, only where the setting allows keys and the caller sent a key and no token.</summary>
    private bool UsesProvinceKey(HttpRequest request) =>
        !SignIn.Enabled || (SignIn.AcceptProvinceKeys && request.Headers.Authorization.Count == 0 && request.Headers[ProvinceApi.ProvinceKeyHeader].ToString().Length > 0);

    private static async Task<(Actor? Actor, IReadOnlySet<string> Roles, IResult? Refused)> TokenAsync(HttpRequest request)
    {
        var result = await request.HttpContext.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (result.Succeeded)
        {
            var roles = result.Principal.FindAll("roles").Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
            return (Actor.FromToken(result.Principal), roles, null);
        }
        var keysSent = request.Headers[ProvinceApi.ProvinceKeyHeader].Count > 0 || request.Headers[OfficeApi.WriterKeyHeader].Count > 0;
        var detail = result.Failure is not null ? ClerkMessages.SignInNotAccepted()
            : keysSent ? ClerkMessages.KeysNotAcceptedWithSignIn() : ClerkMessages.SignInNeeded();
        return (null, new HashSet<string>(), new Challenge(ApiResults.ClerkProblem(StatusCodes.Status401Unauthorized,
            result.Failure is not null ? "Sign-in not accepted" : "Sign-in needed", detail), result.Failure is not null));
    }

    /// <summary>
    /// A key's check, made once per request: the route table's rule (<see cref="DenyByDefault"/>) and the handler both ask,
    /// and each check reads the key's entity from storage. A token needs no such memo: the authentication handler keeps its result.
    /// </summary>
    private static async Task<(string? KeyId, IResult? Refused)> OncePerRequestAsync(HttpRequest request, string key, Func<Task<(string?, IResult?)>> check)
    {
        var items = request.HttpContext.Items;
        if (items.TryGetValue(key, out var known) && known is ValueTuple<string?, IResult?> checkedBefore) return checkedBefore;
        var result = await check();
        items[key] = result;
        return result;
    }

    private static IResult Forbidden(ClerkText detail) => ApiResults.ClerkProblem(StatusCodes.Status403Forbidden, "Not allowed", detail);

    /// <summary>A 401 that says how to authenticate (RFC 6750): a bearer token, and whether the one sent was refused.</summary>
    private sealed class Challenge(IResult problem, bool invalidToken) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.WWWAuthenticate = invalidToken ? "Bearer error=\"invalid_token\"" : "Bearer";
            return problem.ExecuteAsync(httpContext);
        }
    }
}
