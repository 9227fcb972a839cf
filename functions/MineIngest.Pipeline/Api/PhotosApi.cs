using System.Globalization;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Domain;
using MineIngest.Domain.Photos;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Field;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Api;

/// <summary>
/// The surveyors' photos of mines: sent by the province's uploaders with the survey that describes the mine, read by the
/// office (and by the province's own uploaders). Every photo is decoded and written again here
/// (<see cref="PhotoCleaner"/>), one at a time per instance, so what is stored is a picture of bounded size with no
/// camera metadata, whoever sent it.
/// </summary>
public sealed partial class PhotosApi(RouteAccess access, ProvinceKeyStore keys, StorageClients storage, PhotoStore photos, ReferenceData reference, AuditLog audit,
    IOptions<FieldOptions> options, TimeProvider time, ILogger<PhotosApi> logger)
{
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    /// <summary>PUT /api/provinces/{province}/surveys/{id}/mines/{mineId}/photos/{number}: body the picture (JPEG, PNG or WebP).</summary>
    public Task<IResult> PutAsync(HttpRequest http, string province, string surveyId, string routeMineId, string number, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var folder = keys.Folder(province);
        var (actor, refused, _) = await access.ProvinceAsync(http, folder, province, ct);
        if (refused is not null) return refused;
        var max = options.Value.PhotosPerMine;
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > max)
            return Problem(StatusCodes.Status400BadRequest, ClerkMessages.PhotoNumber(max));
        if (reference.FindProvince(folder!) is null) return Problem(StatusCodes.Status400BadRequest, ClerkMessages.PhotoNotForNational());
        var mineId = MineAddress.FromRoute(routeMineId);
        if (await ProblemWithSurveyAsync(folder!, surveyId, mineId, ct) is { } problem) return problem;

        // The body as the request bounds read it (in memory, at most 16 MB): decoded from there, not copied again.
        using var picture = http.Body.CanSeek ? null : new MemoryStream();
        if (picture is not null)
        {
            await http.Body.CopyToAsync(picture, ct);
            picture.Position = 0;
        }
        (CleanPhoto? Photo, ClerkText? Problem) cleaned;
        await OneAtATime.WaitAsync(ct);
        try
        {
            cleaned = PhotoCleaner.Clean(picture ?? http.Body, new PhotoLimits(options.Value.PhotoLongestSide, options.Value.PhotoMaxMegapixels));
        }
        finally
        {
            OneAtATime.Release();
        }
        if (cleaned.Problem is { } notAPhoto)
        {
            logger.LogInformation("Photo {Number} of mine {MineId} in survey {SurveyId} refused: {Reason}", n, mineId, surveyId, notAPhoto.English);
            return Problem(StatusCodes.Status415UnsupportedMediaType, notAPhoto);
        }
        var stored = await photos.PutAsync(folder!, mineId, surveyId, n, cleaned.Photo!, time.GetUtcNow(), ct);
        await audit.RecordAsync(actor!, AuditActions.Photo, folder!, mineId, stored.Name, ct);
        logger.LogInformation("Photo {Name} of mine {MineId} stored for {Folder}: {Width} x {Height}, {Bytes} bytes, made smaller {MadeSmaller}",
            stored.Name, mineId, folder, stored.Width, stored.Height, stored.Bytes, cleaned.Photo!.MadeSmaller);
        return Results.Json(new PhotoDto(stored, folder!, mineId), ApiResults.Json, statusCode: StatusCodes.Status201Created);
    });

    /// <summary>GET /api/mines/{province}/{mineId}/photos: the mine's photos, oldest first, each with the address to download it.</summary>
    public Task<IResult> ListAsync(HttpRequest http, string province, string routeMineId, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(http)).Refused is { } refused) return refused;
        if (reference.FindProvince(province)?.Slug is not { } slug) return ApiResults.NotFound($"There is no province \"{province}\".");
        var mineId = MineAddress.FromRoute(routeMineId);
        var list = await photos.ListAsync(slug, mineId, ct);
        return Results.Json(new PhotoListDto(list.Select(p => new PhotoDto(p, slug, mineId)).ToList()), ApiResults.Json);
    });

    /// <summary>GET /api/mines/{province}/{mineId}/photos/{photo}: one photo, for the office.</summary>
    public Task<IResult> OfficeReadAsync(HttpRequest http, string province, string routeMineId, string photo, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        if ((await access.ReaderAsync(http)).Refused is { } refused) return refused;
        return reference.FindProvince(province)?.Slug is { } slug ? await FileAsync(slug, routeMineId, photo, ct) : ApiResults.NotFound($"There is no province \"{province}\".");
    });

    /// <summary>GET /api/provinces/{province}/mines/{mineId}/photos/{photo}: one photo, for the province's own uploaders.</summary>
    public Task<IResult> ProvinceReadAsync(HttpRequest http, string province, string routeMineId, string photo, CancellationToken ct) => ApiResults.Guard(logger, async () =>
    {
        var folder = keys.Folder(province);
        var (_, refused, _) = await access.ProvinceAsync(http, folder, province, ct);
        if (refused is not null) return refused;
        return await FileAsync(folder!, routeMineId, photo, ct);
    });

    private async Task<IResult> FileAsync(string province, string routeMineId, string photo, CancellationToken ct)
    {
        var mineId = MineAddress.FromRoute(routeMineId);
        var bytes = PhotoName().IsMatch(photo) ? await photos.ReadAsync(province, mineId, photo, ct) : null;
        if (bytes is null) return ApiResults.NotFound($"Mine \"{mineId}\" of {province} has no photo \"{photo}\".");
        var stem = string.Concat(mineId.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        return Results.File(bytes, "image/jpeg", $"{province}-{stem}-{photo}");
    }

    /// <summary>Why a photo cannot go with this survey and mine: the survey must be one of the folder's, settled and not withdrawn, and the mine accepted in it.</summary>
    private async Task<IResult?> ProblemWithSurveyAsync(string folder, string surveyId, string mineId, CancellationToken ct)
    {
        var survey = await storage.SurveyTable.GetEntityIfExistsAsync<SurveyEntity>(SurveyEntity.Partition, surveyId, cancellationToken: ct);
        if (!survey.HasValue || survey.Value!.Folder != folder || survey.Value.WithdrawRequestedAt is not null || survey.Value.Stage == SurveyStage.Rejected)
            return Problem(StatusCodes.Status404NotFound, ClerkMessages.PhotoSurveyNotFound());
        var mine = await storage.MinesOf(folder).GetEntityIfExistsAsync<TableEntity>(folder, MineEntity.KeyFor(mineId), [nameof(ITableEntity.RowKey)], ct);
        var rejectedHere = false;
        await foreach (var error in storage.RowErrors.QueryAsync<RowErrorEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {surveyId} and MineId eq {mineId}"), select: [nameof(RowErrorEntity.Kind)], cancellationToken: ct))
        {
            if (error.IsWarning) continue;
            rejectedHere = true;
            break;
        }
        return !mine.HasValue || rejectedHere ? Problem(StatusCodes.Status409Conflict, ClerkMessages.PhotoMineNotAccepted(mineId)) : null;
    }

    private static IResult Problem(int status, ClerkText detail) => ApiResults.ClerkProblem(status, status switch
    {
        StatusCodes.Status415UnsupportedMediaType => "Not a photo",
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status409Conflict => "Mine not accepted",
        _ => "The request is not valid",
    }, detail);

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,100}-[0-9]{1,2}\.jpg$")]
    private static partial Regex PhotoName();
}
