using Microsoft.AspNetCore.Http;
using MineIngest.Pipeline.Health;

namespace MineIngest.Pipeline.Api;

/// <summary>GET /api/health: 200 with the backlog while every storage service answers, 503 with the reason when one does not.</summary>
public sealed class HealthApi(PipelineHealth health)
{
    public async Task<IResult> CheckAsync(CancellationToken ct)
    {
        var answer = await health.CheckAsync(ct);
        return Results.Json(answer, ApiResults.Json,
            statusCode: answer.Status == PipelineHealth.Ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
