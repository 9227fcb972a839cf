using MineIngest.Domain;
using Microsoft.AspNetCore.Http;
using MineIngest.Pipeline.Access;

namespace MineIngest.Pipeline.Api;

/// <summary>The writing routes' key checks, each with the refusal it answers, so every route refuses alike.</summary>
internal static class KeyRefusals
{
    /// <summary>The writer key's id, or the refusal: 401 without a live key, 403 for a key of a province (not the office).</summary>
    public static async Task<(string? KeyId, IResult? Refused)> WriterAsync(ProvinceKeyStore keys, string? presented, CancellationToken ct)
    {
        var check = await keys.CheckAsync(ProvinceKeyStore.OfficeScope, presented, ct);
        return check.Result switch
        {
            KeyCheck.Accepted => (presented!.Split('.')[1], null),
            KeyCheck.OtherProvince => (null, Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not a writer key",
                detail: $"This key belongs to {check.KeyFolder}: it can upload surveys, not change the programme's record. Use a writer key of the programme office.")),
            _ => (null, Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Writer key needed",
                detail: $"Changing the programme's record needs the programme office's writer key in the {OfficeApi.WriterKeyHeader} header (mineingest keys create --province office).")),
        };
    }

    /// <summary>
    /// The key's id when it is a live key of <paramref name="folder"/> (null for a name that is no folder), or the refusal
    /// in a clerk's words: 401, or 403 for another province's key (naming <paramref name="province"/> as asked).
    /// </summary>
    public static async Task<(string? KeyId, IResult? Refused)> ProvinceAsync(ProvinceKeyStore keys, string? folder, string province, string? presented, CancellationToken ct)
    {
        var check = await keys.CheckAsync(folder, presented, ct);
        return check.Result switch
        {
            KeyCheck.Unknown => (null, ApiResults.ClerkProblem(StatusCodes.Status401Unauthorized, "Upload key not accepted",
                ClerkMessages.UploadKeyNotAccepted(ProvinceApi.ProvinceKeyHeader))),
            KeyCheck.OtherProvince => (null, ApiResults.ClerkProblem(StatusCodes.Status403Forbidden, "Key of another province",
                ClerkMessages.UploadKeyOfOtherProvince(check.KeyFolder!, province))),
            _ => (presented!.Split('.')[1], null),
        };
    }
}
