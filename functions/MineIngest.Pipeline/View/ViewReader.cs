using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Office;

namespace MineIngest.Pipeline.View;

/// <summary>
/// What the API's view-built answers read: the mine view and the committee meetings, as fresh as the request asks,
/// with how fresh the answer built from them is (checked when, stale or not, its ETag).
/// </summary>
public sealed class ViewReader(MineView view, CommitteeStore committees, TimeProvider time, IOptions<PipelineOptions> options)
{
    /// <summary>
    /// Names this instance in ETags: snapshot versions are counted per instance, so another instance's ETag must never
    /// match (behind a load balancer a client then gets a 200 instead of a wrong 304).
    /// </summary>
    private static readonly string Instance = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

    /// <summary>What the request asks of freshness (its headers, the moment it arrived).</summary>
    public RequestFreshness Ask(HttpRequest request) => RequestFreshness.From(request, time, options.Value);

    /// <summary>
    /// The mine view and the committee meetings, read side by side (so a storage that does not answer costs one wait,
    /// not two), and how fresh the answer built from them is.
    /// </summary>
    public async Task<(MineSnapshot Mines, IReadOnlyList<CommitteeDto> Meetings, AnswerFreshness Freshness)> MinesAndMeetingsAsync(RequestFreshness request, CancellationToken ct)
    {
        var minesRead = view.ReadAsync(request, ct);
        var meetingsRead = committees.ReadAsync(request, ct);
        var (mines, meetings) = (await minesRead, await meetingsRead);
        var checkedAt = mines.CheckedAt < meetings.CheckedAt ? mines.CheckedAt : meetings.CheckedAt;
        return (mines.Value, meetings.Value, new AnswerFreshness(checkedAt, mines.Stale || meetings.Stale, time.GetUtcNow(),
            $"W/\"{Instance}-{mines.Value.Version}-{committees.Version}\"", mines.Value.AsOf));
    }

    /// <summary>The mine view alone, for answers that need no meetings.</summary>
    public async Task<(MineSnapshot Mines, AnswerFreshness Freshness)> MinesAsync(RequestFreshness request, CancellationToken ct)
    {
        var mines = await view.ReadAsync(request, ct);
        return (mines.Value, new AnswerFreshness(mines.CheckedAt, mines.Stale, time.GetUtcNow(), $"W/\"{Instance}-{mines.Value.Version}\"", mines.Value.AsOf));
    }

    /// <summary>The committee meetings alone.</summary>
    public async Task<(IReadOnlyList<CommitteeDto> Meetings, AnswerFreshness Freshness)> MeetingsAsync(RequestFreshness request, CancellationToken ct)
    {
        var meetings = await committees.ReadAsync(request, ct);
        return (meetings.Value, new AnswerFreshness(meetings.CheckedAt, meetings.Stale, time.GetUtcNow(), $"W/\"{Instance}-c{committees.Version}\"", null));
    }
}
