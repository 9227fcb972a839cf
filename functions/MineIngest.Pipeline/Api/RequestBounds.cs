using System.Text.Json;
using Microsoft.AspNetCore.Http;
using MineIngest.Domain;

namespace MineIngest.Pipeline.Api;

/// <summary>
/// Bounds on what a request may send, checked before its handler runs: the body's size (the validate route's 1,000
/// rows are the largest body any route takes), and, for JSON, how deep it nests and how long one text may be. Too large
/// is 413, too deep or too long 400, both in a clerk's words in both languages; nothing else is done for such a request.
/// </summary>
public static class RequestBounds
{
    /// <summary>The validate route: 1,000 rows of the survey's 20 columns, with room for long notes.</summary>
    public const long ValidateBodyBytes = 4 * 1024 * 1024;
    /// <summary>A photo as a camera may save it (the field form sends it at most 1600 px, a few hundred KB).</summary>
    public const long PhotoBodyBytes = 16 * 1024 * 1024;
    /// <summary>Every other route that takes a body (a solution, a meeting, a reason, a file name).</summary>
    public const long BodyBytes = 64 * 1024;
    /// <summary>A browser's report of what the pages' policy blocked.</summary>
    public const long ViolationReportBytes = 8 * 1024;
    public const int MaxDepth = 16;
    /// <summary>The longest text one JSON value may hold (bytes of UTF-8): a survey's notes, a solution's text.</summary>
    public const int MaxTextBytes = 16 * 1024;

    public static long LimitFor(RouteEntry route) => route.Template switch
    {
        "provinces/{province}/validate" => ValidateBodyBytes,
        SecurityHeaders.ReportRoute => ViolationReportBytes,
        RouteTable.PhotoRoute => PhotoBodyBytes,
        _ => BodyBytes,
    };

    /// <summary>The refusal for a body out of bounds, or null; the body is read into memory (bounded) and left for the handler to read again.</summary>
    public static async Task<IResult?> CheckAsync(HttpContext context, RouteEntry route)
    {
        var request = context.Request;
        if (request.Method is "GET" or "HEAD") return null;
        var limit = LimitFor(route);
        if (request.ContentLength > limit) return TooLarge(limit);
        using var copy = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            if (copy.Length + read > limit) return TooLarge(limit);
            copy.Write(buffer, 0, read);
        }
        var body = copy.ToArray();
        request.Body = new MemoryStream(body, writable: false);
        if (body.Length == 0 || request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == false) return null;
        return Scan(body) is { } problem ? ApiResults.ClerkProblem(StatusCodes.Status400BadRequest, "The request is not valid", problem) : null;
    }

    /// <summary>What is wrong with the JSON's shape (depth, a text too long), or null; other faults are the handler's to name.</summary>
    public static ClerkText? Scan(ReadOnlySpan<byte> json)
    {
        // The reader's own limit is set past ours, so that too deep is found here and named, not thrown as unreadable.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth + 8, CommentHandling = JsonCommentHandling.Skip });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= MaxDepth)
                    return ClerkMessages.RequestTooDeep(MaxDepth);
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueSpan.Length > MaxTextBytes)
                    return ClerkMessages.RequestTextTooLong(MaxTextBytes / 1024);
            }
        }
        catch (JsonException)
        {
            // Not JSON at all: the handler says so in its own words.
        }
        return null;
    }

    private static IResult TooLarge(long limit) =>
        ApiResults.ClerkProblem(StatusCodes.Status413PayloadTooLarge, "Request too large", ClerkMessages.RequestTooLarge(limit / 1024));
}
