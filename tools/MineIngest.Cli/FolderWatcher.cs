using System.Security.Cryptography;
using System.Text.Json;
using MineIngest.Domain;
using Polly;
using Polly.Retry;
using Spectre.Console;

namespace MineIngest.Cli;

/// <summary>
/// Sends every new or changed spreadsheet in a folder once it has stopped growing. Polls rather than using file
/// system events, which network shares and sleeping laptops lose. What was sent is kept by content hash in
/// FOLDER/.mineingest/sent.json, so a restart sends nothing twice and a file saved again unchanged is not resent.
/// </summary>
public sealed class FolderWatcher(SurveySender sender, IAnsiConsole console, string folder, string province, TimeSpan interval)
{
    public const string StateFolder = ".mineingest";
    private readonly string _statePath = Path.Combine(folder, StateFolder, "sent.json");
    private readonly Dictionary<string, (long Length, DateTime Written)> _lastSeen = [];
    private readonly Dictionary<string, (long Length, DateTime Written)> _settled = [];

    /// <summary>Where each sent file's outcome is learnt (its province's event stream); null: sent files are not followed.</summary>
    public SurveyOutcomes? Outcomes { get; init; }

    /// <summary>Retries sends while the API or the network is down: 2 s doubling to 5 minutes, with jitter, for as long as it takes.</summary>
    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
    {
        ShouldHandle = new PredicateBuilder().Handle<CliException>(ex => ex.Transient),
        MaxRetryAttempts = int.MaxValue,
        BackoffType = DelayBackoffType.Exponential,
        Delay = TimeSpan.FromSeconds(2),
        MaxDelay = TimeSpan.FromMinutes(5),
        UseJitter = true,
        OnRetry = args =>
        {
            console.MarkupLineInterpolated($"[yellow]{args.Outcome.Exception?.Message}[/] Trying again in {args.RetryDelay.TotalSeconds:0} s.");
            return ValueTask.CompletedTask;
        },
    }).Build();

    public async Task<int> RunAsync(CancellationToken ct)
    {
        if (!Directory.Exists(folder)) throw new CliException($"The folder {folder} does not exist.");
        var sent = LoadState();
        console.MarkupLineInterpolated($"Watching {folder} for {province}: {sent.Count} file(s) already sent. Ctrl-C stops.");
        try
        {
            while (true)
            {
                foreach (var file in StableFiles())
                {
                    var hash = await HashAsync(file, ct);
                    if (sent.ContainsKey(hash)) continue;
                    try
                    {
                        var blob = await _retry.ExecuteAsync(async token => await sender.SendAsync(file, province, token), ct);
                        sent[hash] = new SentFile(file.Name, blob, DateTimeOffset.UtcNow);
                        SaveState(sent);
                    }
                    catch (CliException ex)
                    {
                        // Not worth retrying (a refused key, a bad name): say so, and try the file again only if it changes.
                        console.MarkupLineInterpolated($"[red]{file.Name} was not sent:[/] {ex.Message}");
                        if (ex.Kind == CliFailure.Refused) return ExitCodes.Error;
                    }
                }
                await ShowOutcomesAsync(sent, ct);
                await Task.Delay(interval, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return ExitCodes.AllWentThrough;
        }
    }

    /// <summary>Logs what became of sent files, from their events; a stream that does not answer is tried at the next look.</summary>
    private async Task ShowOutcomesAsync(Dictionary<string, SentFile> sent, CancellationToken ct)
    {
        if (Outcomes is null || sent.Count == 0) return;
        try
        {
            await Outcomes.ShowArrivedAsync(sent.Values.Select(f => f.Blob).ToHashSet(StringComparer.Ordinal), ct);
        }
        catch (CliException ex) when (ex.Transient)
        {
            console.MarkupLineInterpolated($"[yellow]{ex.Message}[/]");
        }
    }

    /// <summary>Survey files whose size and time were the same at the last look: a copy or a save has finished.</summary>
    private IEnumerable<FileInfo> StableFiles()
    {
        var seen = new Dictionary<string, (long, DateTime)>();
        var stable = new List<FileInfo>();
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles())
        {
            if (file.Name.StartsWith('.') || file.Name.StartsWith("~$", StringComparison.Ordinal)) continue; // hidden, Excel lock files
            if (!UploadFileNames.Extensions.Contains(file.Extension.ToLowerInvariant())) continue;
            var now = (file.Length, file.LastWriteTimeUtc);
            seen[file.FullName] = now;
            if (_lastSeen.TryGetValue(file.FullName, out var before) && before == now
                && (!_settled.TryGetValue(file.FullName, out var done) || done != now))
            {
                _settled[file.FullName] = now; // hashed once per version of the file, not on every look
                stable.Add(file);
            }
        }
        _lastSeen.Clear();
        foreach (var (path, state) in seen) _lastSeen[path] = state;
        return stable;
    }

    private static async Task<string> HashAsync(FileInfo file, CancellationToken ct)
    {
        await using var stream = file.OpenRead();
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    private Dictionary<string, SentFile> LoadState()
    {
        if (!File.Exists(_statePath)) return [];
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, SentFile>>(File.ReadAllText(_statePath)) ?? [];
        }
        catch (JsonException ex)
        {
            throw new CliException($"{_statePath} is damaged ({ex.Message}). Move it away to send every file again.");
        }
    }

    /// <summary>Written to a temporary file and renamed, so a power cut leaves the old list or the new one.</summary>
    private void SaveState(Dictionary<string, SentFile> sent)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_statePath)!);
        var temporary = _statePath + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(sent, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, _statePath, overwrite: true);
    }

    private sealed record SentFile(string File, string Blob, DateTimeOffset SentAt);
}
