using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MineIngest.Pipeline;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Office;

namespace MineIngest.Cli;

/// <summary>What an answer built from the API's view says of its freshness.</summary>
public sealed record AnswerAge(DateTime? CheckedAt, bool Stale, double AgeSeconds);

/// <summary>The MineIngest HTTP API as the CLI uses it; failures become <see cref="CliException"/>s in plain words.</summary>
public sealed class ApiClient(HttpClient http, CliSettings settings)
{
    public async Task<UploadTicket> RequestUploadAsync(string province, string fileName, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{settings.Api}/provinces/{Uri.EscapeDataString(province)}/uploads")
        {
            Content = JsonContent.Create(new UploadRequest(fileName), options: ApiResults.Json),
        };
        if (settings.Credential is null) request.Headers.Add(ProvinceApi.ProvinceKeyHeader, settings.RequireKey());
        return await SendAsync<UploadTicket>(request, ct);
    }

    /// <summary>The newest survey made from the blob, or null while the pipeline has not seen it yet.</summary>
    public async Task<SurveyDto?> FindSurveyAsync(string blob, CancellationToken ct)
    {
        var list = await GetAsync<SurveyList>($"surveys?blob={Uri.EscapeDataString(blob)}", ct);
        return list.Items.Count == 0 ? null : list.Items[0];
    }

    public Task<SurveyDto> GetSurveyAsync(string id, CancellationToken ct) => GetAsync<SurveyDto>($"surveys/{Uri.EscapeDataString(id)}", ct);

    /// <summary>The summary, and how fresh the API says it is (stale when storage did not answer).</summary>
    public async Task<(Summary Summary, AnswerAge Age)> GetSummaryAsync(string query, CancellationToken ct)
    {
        var body = await GetAsync<JsonElement>("summary" + query, ct);
        return (body.Deserialize<Summary>(ApiResults.Json)!, body.Deserialize<AnswerAge>(ApiResults.Json)!);
    }

    /// <summary>A link to read the province's event stream (its key or uploader role), or the office's (null province: its writers).</summary>
    public Task<EventStreamAccess> RequestEventAccessAsync(string? province, string? writerKey, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, province is null ? $"{settings.Api}/events/access"
            : $"{settings.Api}/provinces/{Uri.EscapeDataString(province)}/events/access");
        if (province is null && writerKey is not null) request.Headers.Add(OfficeApi.WriterKeyHeader, writerKey);
        else if (province is not null && settings.Credential is null) request.Headers.Add(ProvinceApi.ProvinceKeyHeader, settings.RequireKey());
        return SendAsync<EventStreamAccess>(request, ct);
    }

    /// <summary>The report of a file this province sent, asked once (after its event said it is complete).</summary>
    public Task<SurveyDto> GetProvinceSurveyAsync(string province, string blob, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"{settings.Api}/provinces/{Uri.EscapeDataString(province)}/surveys?blob={Uri.EscapeDataString(blob)}");
        if (settings.Credential is null) request.Headers.Add(ProvinceApi.ProvinceKeyHeader, settings.RequireKey());
        return SendAsync<SurveyDto>(request, ct);
    }

    /// <summary>Starts re-scoring every mine (the programme office's writer key).</summary>
    public Task<RescoreDto> StartRescoreAsync(string? writerKey, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{settings.Api}/rescore");
        if (writerKey is not null) request.Headers.Add(OfficeApi.WriterKeyHeader, writerKey);
        return SendAsync<RescoreDto>(request, ct);
    }

    /// <summary>Makes a backup of the record now (the office's writers).</summary>
    public Task<BackupDto> CreateBackupAsync(string? writerKey, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{settings.Api}/backups");
        if (writerKey is not null) request.Headers.Add(OfficeApi.WriterKeyHeader, writerKey);
        return SendAsync<BackupDto>(request, ct);
    }

    /// <summary>Withdraws a survey with the office's writer key or the province's key (header and key).</summary>
    public Task<SurveyDto> WithdrawAsync(string id, string reason, (string Header, string Key)? key, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{settings.Api}/surveys/{Uri.EscapeDataString(id)}/withdraw")
        {
            Content = JsonContent.Create(new WithdrawRequest(reason), options: ApiResults.Json),
        };
        if (key is { } k) request.Headers.Add(k.Header, k.Key);
        return SendAsync<SurveyDto>(request, ct);
    }

    /// <summary>Creates an upload key (the office's writers, signed in); the answer holds its secret, shown once.</summary>
    public Task<CreatedKey> CreateKeyAsync(string province, CancellationToken ct) =>
        SendAsync<CreatedKey>(new HttpRequestMessage(HttpMethod.Post, $"{settings.Api}/keys") { Content = JsonContent.Create(new KeyRequest(province), options: ApiResults.Json) }, ct);

    public async Task<IReadOnlyList<ProvinceKeyInfo>> ListKeysAsync(string? province, CancellationToken ct) =>
        (await GetAsync<KeyList>(province is null ? "keys" : $"keys?province={Uri.EscapeDataString(province)}", ct)).Items;

    public async Task<int> RevokeKeyAsync(string province, string id, CancellationToken ct) =>
        (await SendAsync<JsonElement>(new HttpRequestMessage(HttpMethod.Post, $"{settings.Api}/keys/{Uri.EscapeDataString(province)}/{Uri.EscapeDataString(id)}/revoke"), ct))
        .GetProperty("revoked").GetInt32();

    /// <summary>The progress report (report or report.xlsx) for a query such as period=1399-F5&amp;province=kerman.</summary>
    public Task<byte[]> GetReportAsync(string route, string query, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, $"{settings.Api}/{route}{(query.Length > 0 ? "?" + query : "")}"),
            (content, token) => content.ReadAsByteArrayAsync(token), ct);

    /// <summary>A survey's rows to fix, as xlsx or csv (the function-key route).</summary>
    public Task<byte[]> GetRowsToFixAsync(string id, string format, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, $"{settings.Api}/surveys/{Uri.EscapeDataString(id)}/errors.{format}"),
            (content, token) => content.ReadAsByteArrayAsync(token), ct);

    private Task<T> GetAsync<T>(string path, CancellationToken ct) => SendAsync<T>(new HttpRequestMessage(HttpMethod.Get, $"{settings.Api}/{path}"), ct);

    private Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken ct) =>
        SendAsync(request, async (content, token) => await content.ReadFromJsonAsync<T>(ApiResults.Json, token)
                                                     ?? throw new CliException($"MineIngest at {settings.Api} sent an empty answer.", CliFailure.Transient), ct);

    private async Task<T> SendAsync<T>(HttpRequestMessage request, Func<HttpContent, CancellationToken, Task<T>> read, CancellationToken ct)
    {
        using (request)
        {
            if (settings.FunctionKey is { } functionKey) request.Headers.Add("x-functions-key", functionKey);
            if (settings.Credential is { } credential)
            {
                Azure.Core.AccessToken token;
                try
                {
                    token = await credential.GetTokenAsync(new Azure.Core.TokenRequestContext([settings.Scope]), ct);
                }
                catch (Azure.Identity.AuthenticationRequiredException)
                {
                    throw new CliException("Your sign-in has ended: run `mineingest login` again.", CliFailure.Refused);
                }
                catch (Azure.Identity.AuthenticationFailedException ex)
                {
                    throw new CliException($"Sign-in failed: {ex.Message.Split('\n')[0]}", CliFailure.Refused);
                }
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Token);
            }
            // Every question the command asks is a person asking once, often right after an upload's report: it wants
            // the figures as storage has them now (read-your-writes), not a view up to a second old.
            if (request.Method == HttpMethod.Get) request.Headers.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { NoCache = true };
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, ct);
            }
            catch (HttpRequestException ex)
            {
                throw new CliException($"MineIngest at {settings.Api} cannot be reached ({ex.Message}).", CliFailure.Transient);
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new CliException($"MineIngest at {settings.Api} did not answer in time.", CliFailure.Transient);
            }
            using (response)
            {
                if (response.IsSuccessStatusCode) return await read(response.Content, ct);
                var detail = await ProblemDetailAsync(response, ct);
                throw response.StatusCode switch
                {
                    HttpStatusCode.Unauthorized => new CliException(settings.Credential is null && response.Headers.WwwAuthenticate.Any(h => h.Scheme == "Bearer")
                        ? CliSettings.HowToSignIn : settings.Credential is null ? $"The upload key was refused: {detail}" : $"Your sign-in was refused: {detail}", CliFailure.Refused),
                    HttpStatusCode.Forbidden => new CliException($"Not allowed: {detail}", CliFailure.Refused),
                    HttpStatusCode.NotFound => new CliException(detail, CliFailure.Missing),
                    >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout =>
                        new CliException($"MineIngest is unavailable just now ({(int)response.StatusCode}): {detail}", CliFailure.Transient),
                    _ => new CliException(detail),
                };
            }
        }
    }

    private static async Task<string> ProblemDetailAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var problem = JsonDocument.Parse(text);
            // The clerk reads both languages: detail, then detailFa where the API gives one.
            if (problem.RootElement.TryGetProperty("detail", out var detail) && detail.GetString() is { Length: > 0 } d)
                return problem.RootElement.TryGetProperty(ApiResults.DetailFa, out var fa) && fa.GetString() is { Length: > 0 } persian ? $"{d}\n{persian}" : d;
            if (problem.RootElement.TryGetProperty("title", out var title) && title.GetString() is { Length: > 0 } t) return t;
        }
        catch (JsonException) { }
        return $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}";
    }
}
