using Azure.Storage.Sas;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Events;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Api;

/// <summary>
/// How a reader reaches its stream. <paramref name="QueueUrl"/> carries a SAS (read and take off messages of that one
/// queue, until <paramref name="ExpiresOn"/>) when <paramref name="SignedLink"/>; otherwise it is the queue's plain address,
/// read with the caller's own Entra sign-in (the Bicep template gives each province's group that queue's reader role).
/// Messages are base64 of the CloudEvent's JSON, as Azure Functions' queue trigger reads them.
/// </summary>
public sealed record EventStreamAccess(string Stream, Uri QueueUrl, bool SignedLink, DateTimeOffset? ExpiresOn, string MessageEncoding = "base64");

/// <summary>
/// The valet keys of the event streams: POST /api/provinces/{province}/events/access for an upload folder's own stream (its
/// uploaders; "national" has one too), POST /api/events/access for the office's (its writers: reading takes events off the stream).
/// </summary>
public sealed class EventsApi(RouteAccess access, ProvinceKeyStore keys, StorageClients storage, AuditLog audit, IOptions<EventOptions> options, TimeProvider time,
    ILogger<EventsApi> logger)
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public Task<IResult> ProvinceAccessAsync(HttpRequest http, string province, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var folder = keys.Folder(province);
        var (actor, refused, _) = await access.ProvinceAsync(http, folder, province, ct);
        if (refused is not null) return refused;
        return await IssueAsync(EventStreams.OfFolder(folder!), actor!, folder!, ct);
    });

    public Task<IResult> OfficeAccessAsync(HttpRequest http, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var (actor, refused, _) = await access.WriterAsync(http, ct);
        if (refused is not null) return refused;
        return await IssueAsync(EventStreams.Office, actor!, ProvinceKeyStore.OfficeScope, ct);
    });

    private async Task<IResult> IssueAsync(string stream, Actor actor, string scope, CancellationToken ct)
    {
        var queue = storage.Queues.GetQueueClient(stream);
        EventStreamAccess answer;
        if (queue.CanGenerateSasUri)
        {
            var now = time.GetUtcNow();
            var expiresOn = now.AddMinutes(options.Value.AccessMinutes);
            var sas = new QueueSasBuilder(QueueSasPermissions.Read | QueueSasPermissions.Process, expiresOn)
            {
                QueueName = stream, StartsOn = now - ClockSkew,
                Protocol = queue.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
            };
            answer = new EventStreamAccess(stream, queue.GenerateSasUri(sas), true, expiresOn);
        }
        else
        {
            // An identity-based connection holds no key to sign with (queues have no user delegation SAS).
            answer = new EventStreamAccess(stream, queue.Uri, false, null);
        }
        await audit.RecordAsync(actor, AuditActions.EventStreamLink, scope, stream, null, ct);
        logger.LogInformation("Event stream link for {Stream} issued to {Actor} (signed: {Signed})", stream, actor, answer.SignedLink);
        return Results.Json(answer, ApiResults.Json, statusCode: StatusCodes.Status201Created);
    }
}
