using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Office;

namespace MineIngest.Pipeline.Api;

public sealed record KeyRequest(string? Province);

/// <summary>A key as created: the only time its secret is shown.</summary>
public sealed record CreatedKey(string Province, string Id, string Key, DateTimeOffset CreatedOn);

public sealed record KeyList(IReadOnlyList<ProvinceKeyInfo> Items);

/// <summary>
/// GET /api/keys, POST /api/keys, POST /api/keys/{scope}/{id}/revoke: the province upload keys (and, with sign-in off,
/// the office's writer keys), for the office's writers; each creation and revocation is in the audit list.
/// </summary>
public sealed class KeysApi(RouteAccess access, ProvinceKeyStore keys, AuditLog audit, ILogger<KeysApi> logger)
{
    public Task<IResult> ListAsync(HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var (_, refused, _) = await access.WriterAsync(request, ct);
        if (refused is not null) return refused;
        var scope = request.Query["province"].ToString() is { Length: > 0 } p ? keys.Scope(p) : null;
        if (request.Query["province"].Count > 0 && scope is null) return ApiResults.BadQuery(new() { ["province"] = [$"\"{request.Query["province"]}\" is not a province of Iran, nor national or office."] });
        return Results.Json(new KeyList(await keys.ListAsync(scope, ct)), ApiResults.Json);
    });

    public Task<IResult> CreateAsync(HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var (writer, refused, _) = await access.WriterAsync(request, ct);
        if (refused is not null) return refused;
        var body = await ApiResults.ReadJsonAsync<KeyRequest>(request.Body, ct);
        var scope = keys.Scope(body?.Province);
        if (scope is null)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["province"] = [$"\"{body?.Province}\" is not a province of Iran, nor national or office."] },
                title: "The key request is not valid.");
        var (info, key) = await keys.CreateAsync(scope, ct);
        await audit.RecordAsync(writer!, AuditActions.KeyCreated, scope, info.Id, null, ct);
        logger.LogInformation("Key {KeyId} of {Scope} created by {Actor}", info.Id, scope, writer);
        return Results.Json(new CreatedKey(info.Province, info.Id, key, info.CreatedOn), ApiResults.Json, statusCode: StatusCodes.Status201Created);
    });

    public Task<IResult> RevokeAsync(HttpRequest request, string province, string id, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var (writer, refused, _) = await access.WriterAsync(request, ct);
        if (refused is not null) return refused;
        var scope = keys.Scope(province);
        if (scope is null) return ApiResults.NotFound($"There is no province \"{province}\".");
        var revoked = await keys.RevokeAsync(scope, id, ct);
        if (revoked == 0) return ApiResults.NotFound($"{scope} has no live key with id {id}.");
        await audit.RecordAsync(writer!, AuditActions.KeyRevoked, scope, id, null, ct);
        logger.LogInformation("Key {KeyId} of {Scope} revoked by {Actor}", id, scope, writer);
        return Results.Json(new { province = scope, id, revoked }, ApiResults.Json);
    });
}
