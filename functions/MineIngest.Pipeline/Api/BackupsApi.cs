using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using MineIngest.Pipeline.Backup;
using MineIngest.Pipeline.Office;

namespace MineIngest.Pipeline.Api;

/// <summary>A backup as the office sees it: what it stands for and what it holds.</summary>
public sealed record BackupDto(
    string Id, DateTimeOffset PointInTime, DateTimeOffset FinishedAt, string App, string ScoringFingerprint, int Entities,
    IReadOnlyDictionary<string, int> Tables, int Files, IReadOnlyList<LeftOutSurvey> LeftOut)
{
    public static BackupDto From(BackupManifest m) => new(m.Id, m.PointInTime, m.FinishedAt, m.App, m.ScoringFingerprint, m.Entities,
        m.Tables.ToDictionary(t => t.Table, t => t.Entities), m.Blobs.Count, m.LeftOut);
}

public sealed record BackupList(IReadOnlyList<BackupDto> Items);

/// <summary>POST /api/backups (a backup now) and GET /api/backups (those kept), for the office's writers.</summary>
public sealed class BackupsApi(RouteAccess access, BackupWriter writer, BackupStore store, AuditLog audit, ILogger<BackupsApi> logger)
{
    public Task<IResult> CreateAsync(HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var (actor, refused, _) = await access.WriterAsync(request, ct);
        if (refused is not null) return refused;
        var id = writer.NewId();
        // Before the backup, so that the backup holds its own entry in the audit list.
        await audit.RecordAsync(actor!, AuditActions.Backup, AuditLog.OfficeScope, id, null, ct);
        var manifest = await writer.WriteAsync(id, ct);
        logger.LogInformation("Backup {BackupId} made on request of {Actor}", id, actor);
        return Results.Json(BackupDto.From(manifest), ApiResults.Json, statusCode: StatusCodes.Status201Created);
    });

    public Task<IResult> ListAsync(HttpRequest request, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var (_, refused, _) = await access.WriterAsync(request, ct);
        if (refused is not null) return refused;
        return Results.Json(new BackupList((await store.ListAsync(ct)).Select(BackupDto.From).ToList()), ApiResults.Json);
    });
}
