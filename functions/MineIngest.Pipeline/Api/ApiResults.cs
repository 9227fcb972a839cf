using System.Text.Encodings.Web;
using System.Text.Json;
using MineIngest.Domain;
using MineIngest.Pipeline.Health;
using MineIngest.Pipeline.Ingestion;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MineIngest.Pipeline.Api;

/// <summary>
/// What every route class shares: the JSON settings, problem details (in both languages where a clerk reads them),
/// the storage-fault guard, and request bodies and date fields read the same way everywhere.
/// </summary>
public static class ApiResults
{
    /// <summary>Persian as UTF-8 text (<see cref="PipelineJson.TextEncoder"/>).</summary>
    public static JavaScriptEncoder TextEncoder => PipelineJson.TextEncoder;

    public static JsonSerializerOptions Json => PipelineJson.Text;

    /// <summary>A request body as <typeparamref name="T"/>, or null when it is not such JSON.</summary>
    public static async Task<T?> ReadJsonAsync<T>(Stream body, CancellationToken ct) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(body, Json, ct);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A date field in either calendar as ISO yyyy-mm-dd; a bad (or missing but required) one is added to <paramref name="errors"/>.</summary>
    public static string? DateField(string name, string? text, Dictionary<string, string[]> errors, bool required = false)
    {
        if (string.IsNullOrWhiteSpace(text) && !required) return null;
        if (SurveyValues.TryParseDate(text, out var date)) return SurveyValues.Iso(date);
        errors[name] = [$"\"{text}\" is not a date: write year-month-day, Jalali (1399-02-21) or Gregorian (2020-05-10)."];
        return null;
    }

    /// <summary>Problem details a clerk reads: <c>detail</c> in English and <c>detailFa</c> in Persian.</summary>
    public const string DetailFa = "detailFa";

    public static IResult ClerkProblem(int status, string title, ClerkText detail) =>
        Results.Problem(statusCode: status, title: title, detail: detail.English, extensions: new Dictionary<string, object?> { [DetailFa] = detail.Persian });


    /// <summary>Runs a handler; storage that does not answer becomes a 503 in words, in both languages.</summary>
    public static async Task<IResult> Guard(ILogger logger, Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (Exception ex) when (PipelineHealth.IsStorageFault(ex))
        {
            logger.LogError(ex, "Storage does not answer");
            return ClerkProblem(StatusCodes.Status503ServiceUnavailable, "Storage unavailable", ClerkMessages.StorageUnavailable());
        }
    }

    internal static IResult BadQuery(Dictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, detail: string.Join(" ", errors.Values.SelectMany(v => v)), title: "Some query values are not valid.");

    internal static IResult NotFound(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);
}
