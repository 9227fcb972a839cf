// End-to-end measurements on the local stack for docs/BENCHMARKS.md (run by bench/e2e.sh):
// upload -> survey complete and /api/summary showing it, the host's peak memory, the app's storage requests
// per mine, and wrk against the API. Each run starts its own Azurite and local host (a separate process).
// Usage: dotnet bench/MineIngest.EndToEnd/bin/Release/net10.0/MineIngest.EndToEnd.dll [runs] [rows,...] [--csv] [--poll-view] [--no-wrk] [--no-memory] [--memory-only] [--next-round] [--idle-view] [--cold-start] [--backup] [--read-load] [--events]
//        ... --reliability URL CONNECTION STOP-COMMAND START-COMMAND (bench/reliability.sh)
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using MineIngest.TestData;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args is ["--reliability", var apiUrl, var storageConnection, var stopStorage, var startStorage])
    return await Reliability.RunAsync(apiUrl, storageConnection, stopStorage, startStorage);
var root = FindRoot();
var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
var runs = positional.Length > 0 ? int.Parse(positional[0]) : 3;
var sizes = args.Contains("--memory-only") || args.Contains("--idle-view") || args.Contains("--cold-start") || args.Contains("--backup") || args.Contains("--read-load") || args.Contains("--events") ? []
    : positional.Length > 1 ? positional[1].Split(',').Select(int.Parse).ToArray() : [10_000, 100_000];
var results = new List<string[]>();

// --csv: national CSVs of valid mines (the national-round case); else an xlsx with every twentieth row rejected.
var csvOnly = args.Contains("--csv");
Stack.PollView = args.Contains("--poll-view");
var format = csvOnly ? "csv" : "xlsx";
foreach (var rows in sizes)
{
    var survey = Generated.Survey(rows, "national", allValid: csvOnly);
    var file = csvOnly ? survey.ToCsv() : survey.ToXlsx();
    var mines = csvOnly ? rows : rows - rows / 20;
    var samples = new List<Run>();
    var nextRounds = new List<Run>();
    for (var run = 0; run < runs; run++)
    {
        await using var stack = await Stack.StartAsync(root);
        var result = await stack.IngestAsync($"national/bench-{rows}.{format}", file, mines);
        Console.Error.WriteLine($"{rows:N0} rows, run {run + 1}: {result.Seconds:0.0} s, peak {result.PeakMb:0} MB ingesting, {result.PeakWithViewMb:0} MB with the API view, {result.Requests:N0} app storage requests");
        samples.Add(result);
        if (run == 0 && !args.Contains("--no-wrk"))
        {
            // The summary's ETag as a polling dashboard holds it: every conditional request is a 304.
            using var probe = new HttpClient();
            var etag = (await probe.GetAsync(stack.Url + "/api/summary")).Headers.ETag?.ToString() ?? "";
            foreach (var (name, path, header) in new[]
                     {
                         ("no-op route (same host)", "/diagnostics/noop", ""), ("/api/summary", "/api/summary", ""), ("/api/mines?top=50", "/api/mines?top=50", ""),
                         ("/api/summary with Cache-Control: no-cache", "/api/summary", "Cache-Control: no-cache"),
                         ("/api/summary with If-None-Match (304)", "/api/summary", "If-None-Match: " + etag),
                     })
            {
                var w = Wrk(stack.Url + path, header);
                results.Add([$"API, {mines:N0} mines, wrk 32 connections 10 s: {name}", $"{w.Rps:N0} req/s, p50 {w.P50}, p99 {w.P99}",
                    header.Length > 0 ? "" : path == "/api/summary" ? "p99 < 10 ms" : path.StartsWith("/api/mines", StringComparison.Ordinal) ? "p99 < 20 ms" : ""]);
            }
        }
        if (run == 0) Console.Error.WriteLine("  requests by operation: " + string.Join(", ", result.ByOperation.Select(kv => $"{kv.Key} {kv.Value}")));
        if ((run == 0 && rows <= 10_000) || args.Contains("--next-round"))
        {
            // The next round: the same mines surveyed again (uploaded later, so it wins): every mine is on record.
            var again = await stack.IngestAsync($"national/bench-{rows}-next-round.{format}", file, mines);
            Console.Error.WriteLine($"  same {rows:N0} mines again: {again.Seconds:0.0} s, peak {again.PeakMb:0} MB ingesting while the view held the first round's mines, {again.Requests:N0} requests: " +
                                    string.Join(", ", again.ByOperation.Select(kv => $"{kv.Key} {kv.Value}")));
            nextRounds.Add(again);
        }
    }
    var median = samples.OrderBy(s => s.Seconds).ElementAt(samples.Count / 2);
    results.Add([$"End to end, {rows:N0}-row {format} ({file.Length / 1e6:0.0} MB, {mines:N0} mines), upload to /api/summary (median of {runs})",
        $"{median.Seconds:0.0} s ({rows / median.Seconds:N0} rows/s); runs {string.Join(", ", samples.Select(s => s.Seconds.ToString("0.0")))}",
        rows == 100_000 ? "<= 30 s" : ""]);
    if (nextRounds.Count > 0)
    {
        var next = nextRounds.OrderBy(s => s.Seconds).ElementAt(nextRounds.Count / 2);
        results.Add([$"Next round: the same {mines:N0} mines surveyed again, upload to complete (median of {nextRounds.Count})",
            $"{next.Seconds:0.0} s, {next.Requests / (double)mines:0.000} app storage requests per mine ({next.Requests:N0}); runs {string.Join(", ", nextRounds.Select(s => s.Seconds.ToString("0.0")))}",
            rows == 100_000 ? "<= 60 s" : ""]);
        results.Add([$"Host peak memory (VmHWM) in the next round, ingesting {mines:N0} mines while the view holds {mines:N0}", $"{nextRounds.Max(s => s.PeakMb):0} MB (runs {string.Join(", ", nextRounds.Select(s => s.PeakMb.ToString("0")))})", "<= 400 MB"]);
    }
    results.Add([$"Host peak memory (VmHWM), {rows:N0}-row {format}: ingesting / then loading every mine into the API view", $"{samples.Max(s => s.PeakMb):0} MB / {samples.Max(s => s.PeakWithViewMb):0} MB", ""]);
    results.Add([$"App storage requests per mine, {rows:N0} rows", $"{median.Requests / (double)(rows - rows / 20):0.000} ({median.Requests:N0} requests)", "as low as it goes"]);
}

if (args.Contains("--idle-view"))
{
    // The API polled once a second with no uploads, after a survey of the largest size: what does looking cost storage?
    var rows = positional.Length > 1 ? int.Parse(positional[1]) : 100_000;
    var samples = new List<(double Cpu, double Requests)>();
    for (var run = 0; run < runs; run++)
    {
        await using var stack = await Stack.StartAsync(root);
        await stack.IngestAsync($"national/idle-{rows}.csv", Generated.Survey(rows, "national", allValid: true).ToCsv(), rows);
        var idle = await stack.IdleViewAsync(TimeSpan.FromMinutes(1));
        Console.Error.WriteLine($"idle view, {rows:N0} mines, run {run + 1}: Azurite {idle.AzuriteCpuSecondsPerMinute:0.0} CPU s/min, {idle.RequestsPerMinute:0} requests/min");
        samples.Add((idle.AzuriteCpuSecondsPerMinute, idle.RequestsPerMinute));
    }
    var median = samples.OrderBy(s => s.Cpu).ElementAt(samples.Count / 2);
    results.Add([$"Idle view: /api/summary polled once a second for 1 min, {rows:N0} mines, no uploads (median of {runs})",
        $"Azurite {median.Cpu:0.0} CPU s/min ({median.Cpu / 60 * 100:0.0}% of a core), {median.Requests:0} app storage requests/min; runs {string.Join(", ", samples.Select(s => $"{s.Cpu:0.0}"))}",
        "<= 5% of a core"]);
}

if (args.Contains("--backup")) results.AddRange(await Backups.RunAsync(root, runs, positional.Length > 1 ? int.Parse(positional[1]) : 100_000));

// --read-load: positional runs are the pairs of rounds (alone, with readers); 50 requests a second on each route.
if (args.Contains("--read-load")) results.AddRange(await ReadLoad.RunAsync(root, runs, positional.Length > 1 ? int.Parse(positional[1]) : 100_000, 50));

// --events: positional runs are the ABBA pairs (with BENCH_BASE_HOST_DLL: the build before events), then 100 latencies.
if (args.Contains("--events")) results.AddRange(await EventCosts.RunAsync(root, runs, positional.Length > 1 ? int.Parse(positional[1]) : 100_000));

if (args.Contains("--cold-start"))
{
    // A new instance with every mine on record: from its process start to the first /api/summary that counts them all,
    // starting from the view's snapshot, and (the snapshot deleted, none written) from the tables as before it existed.
    var rows = positional.Length > 1 ? int.Parse(positional[1]) : 100_000;
    await using var stack = await Stack.StartAsync(root);
    await stack.IngestAsync($"national/cold-{rows}.csv", Generated.Survey(rows, "national", allValid: true).ToCsv(), rows);
    var (bytes, writes) = await stack.WaitForSnapshotAsync();
    Console.Error.WriteLine($"  snapshot: {bytes:N0} bytes; requests while ingesting and loading: {writes}");
    if (!args.Contains("--no-idle"))
    {
        var idle = await stack.IdleViewAsync(TimeSpan.FromMinutes(1));
        Console.Error.WriteLine($"  idle, polled once a second: {idle.RequestsPerMinute:0} app storage requests/min");
    }
    var fromSnapshot = new List<double>();
    var fromTables = new List<double>();
    for (var run = 0; run < runs; run++) fromSnapshot.Add(await stack.RestartAsync(rows));
    await stack.DeleteSnapshotAsync();
    for (var run = 0; run < runs; run++) fromTables.Add(await stack.RestartAsync(rows, "--Pipeline:ViewSnapshotSeconds=0"));
    string Runs(List<double> s) => $"{s.Order().ElementAt(s.Count / 2):0.00} s (median of {s.Count}; runs {string.Join(", ", s.Select(x => x.ToString("0.00")))})";
    results.Add([$"Cold start, {rows:N0} mines: host process start to the first exact /api/summary, from the view's snapshot", Runs(fromSnapshot), "<= 1.5 s"]);
    results.Add([$"... the same from the tables (no snapshot)", Runs(fromTables), ""]);
    results.Add([$"View snapshot of {rows:N0} mines", $"{bytes / 1e6:0.0} MB; {writes}", ""]);
}

if (!args.Contains("--no-memory"))
{
    // 50 MB: 100,000 rows with long notes, as csv (an xlsx that size would be mostly compressed padding).
    var padded = Generated.Survey(100_000, "national");
    var note = new string('x', 380);
    foreach (var row in padded.Rows) row.Set("notes", note);
    var csv = padded.ToCsv();
    var peaks = new List<Run>();
    for (var run = 0; run < runs; run++)
    {
        await using var stack = await Stack.StartAsync(root);
        var result = await stack.IngestAsync("national/bench-50mb.csv", csv, 95_000);
        Console.Error.WriteLine($"50 MB csv, run {run + 1}: {result.Seconds:0.0} s, peak {result.PeakMb:0} MB ingesting, {result.PeakWithViewMb:0} MB with the API view");
        peaks.Add(result);
    }
    results.Add([$"Host peak memory (VmHWM) ingesting a {csv.Length / 1e6:0.0} MB csv (100,000 rows)", $"{peaks.Max(p => p.PeakMb):0} MB (runs {string.Join(", ", peaks.Select(p => p.PeakMb.ToString("0")))})", "<= 400 MB"]);
    results.Add([$"... and after /api/summary loaded its 95,000 mines into the API view", $"{peaks.Max(p => p.PeakWithViewMb):0} MB", ""]);
}

Console.WriteLine($"| Measure | Result | Target |\n|---|---|---|");
foreach (var r in results) Console.WriteLine($"| {r[0]} | {r[1]} | {r[2]} |");
return 0;

static (double Rps, string P50, string P99) Wrk(string url, string header)
{
    string[] arguments = header.Length > 0 ? ["-t2", "-c32", "-d10s", "--latency", "-H", header, url] : ["-t2", "-c32", "-d10s", "--latency", url];
    var wrk = Process.Start(new ProcessStartInfo("wrk", arguments) { RedirectStandardOutput = true })!;
    var text = wrk.StandardOutput.ReadToEnd();
    wrk.WaitForExit();
    string Percentile(string p) => Regex.Match(text, $@"^\s+{p}%\s+(\S+)", RegexOptions.Multiline).Groups[1].Value;
    var rps = double.Parse(Regex.Match(text, @"Requests/sec:\s+([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
    if (Regex.Match(text, @"Non-2xx or 3xx responses: (\d+)") is { Success: true } bad) Console.Error.WriteLine($"  {url}: {bad.Groups[1].Value} error responses");
    return (rps, Percentile("50"), Percentile("99"));
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "MineIngest.sln"))) return dir.FullName;
    throw new InvalidOperationException("Run from inside the repository.");
}

/// <param name="PeakMb">Peak RSS of the host from upload to the survey's completion.</param>
/// <param name="PeakWithViewMb">The same, until /api/summary has loaded every mine into the API's view.</param>
sealed record Run(double Seconds, double PeakMb, double PeakWithViewMb, long Requests, IReadOnlyDictionary<string, long> ByOperation);

/// <summary>Azurite and the local host, each its own process, on free ports; gone on dispose.</summary>
sealed class Stack : IAsyncDisposable
{
    private readonly string _data;
    private readonly int _azuritePid;
    private Process _host;
    private readonly HttpClient _http;
    private readonly string _connection;
    public string Url { get; }

    private Stack(string data, int azuritePid, Process host, string url, string connection)
    {
        _data = data; _azuritePid = azuritePid; _host = host; Url = url; _connection = connection;
        _http = new HttpClient { BaseAddress = new Uri(url) };
    }

    public static async Task<Stack> StartAsync(string root)
    {
        var data = Directory.CreateTempSubdirectory("mineingest-e2e-").FullName;
        var blobPort = FreePort();
        var azurite = Process.Start(new ProcessStartInfo("bash", [Path.Combine(root, "scripts", "azurite.sh"), data, blobPort.ToString()]) { RedirectStandardOutput = true })!;
        var pid = int.Parse((await azurite.StandardOutput.ReadToEndAsync()).Trim());
        var connection = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
                         "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
                         $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{blobPort + 1}/devstoreaccount1;" +
                         $"TableEndpoint=http://127.0.0.1:{blobPort + 2}/devstoreaccount1;";
        var url = $"http://127.0.0.1:{FreePort()}";
        var stack = new Stack(data, pid, StartHost(root, url, connection), url, connection) { _root = root };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try { if ((await stack._http.GetAsync("/api/health")).IsSuccessStatusCode) return stack; }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline) { }
            await Task.Delay(200);
        }
    }

    private string _root = "";

    private static Process StartHost(string root, string url, string connection, params string[] settings)
    {
        // BENCH_HOST_DLL: another build of the host (an older commit's, for a pair measured the same day on the same machine).
        var dll = Environment.GetEnvironmentVariable("BENCH_HOST_DLL")
                  ?? Path.Combine(root, "functions", "MineIngest.LocalHost", "bin", "Release", "net10.0", "MineIngest.LocalHost.dll");
        // BENCH_HOST_LOG_LEVEL=Information logs as the Functions app does in Azure (host.json), for counting telemetry items.
        var logLevel = Environment.GetEnvironmentVariable("BENCH_HOST_LOG_LEVEL") ?? "Warning";
        // The benchmarks measure the app, not the callers' budgets: wrk and the polls would spend a minute's budget at once.
        string[] unlimited = [.. new[] { "Reads", "Exports", "Validations", "UploadLinks", "Writes", "Public" }.Select(k => $"--RateLimits:{k}PerMinute=1000000")];
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", url, "--Diagnostics:Enabled=true", $"--Logging:LogLevel:Default={logLevel}", .. unlimited, .. settings])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["AzureWebJobsStorage"] = connection;
        var host = Process.Start(start)!;
        // BENCH_HOST_ECHO=1 shows every line the host writes, with the seconds since it started (to see where a start-up goes).
        var echo = Environment.GetEnvironmentVariable("BENCH_HOST_ECHO") == "1";
        var started = Stopwatch.StartNew();
        host.OutputDataReceived += (_, e) => { if (echo && e.Data is { Length: > 0 } line) Console.Error.WriteLine($"  host {started.Elapsed.TotalSeconds:0.000}: {line}"); };
        host.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line && line.Contains("fail", StringComparison.Ordinal)) Console.Error.WriteLine("  host: " + line); };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        return host;
    }

    private BlobClient SnapshotBlob => new(_connection, "views", "mines.snapshot");

    /// <summary>Waits for the view's snapshot (written in the background after the view was still for a moment); its size and the snapshot requests so far.</summary>
    public async Task<(long Bytes, string Requests)> WaitForSnapshotAsync()
    {
        var watch = Stopwatch.StartNew();
        while (!await SnapshotBlob.ExistsAsync())
        {
            if (watch.Elapsed > TimeSpan.FromMinutes(3)) throw new TimeoutException("No view snapshot was written.");
            await Task.Delay(250);
        }
        await Task.Delay(1000);
        var requests = (await RequestsAsync()).Where(kv => kv.Key.Contains("view snapshot", StringComparison.Ordinal)).Select(kv => $"{kv.Key} {kv.Value}");
        return ((await SnapshotBlob.GetPropertiesAsync()).Value.ContentLength, string.Join(", ", requests));
    }

    public Task DeleteSnapshotAsync() => SnapshotBlob.DeleteIfExistsAsync();

    /// <summary>
    /// Kills the host, starts a new one (with <paramref name="settings"/>), and returns the seconds from its process start to
    /// its first /api/summary answer; that answer must count every mine.
    /// </summary>
    public async Task<double> RestartAsync(int expectedMines, params string[] settings)
    {
        _host.Kill(entireProcessTree: true);
        await _host.WaitForExitAsync();
        var watch = Stopwatch.StartNew();
        _host = StartHost(_root, Url, _connection, settings);
        using var http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
        while (true)
        {
            HttpResponseMessage response;
            try { response = await http.GetAsync("/api/summary"); }
            catch (HttpRequestException) when (watch.Elapsed < TimeSpan.FromSeconds(60)) { await Task.Delay(5); continue; }
            var seconds = watch.Elapsed.TotalSeconds;
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            var mines = response.IsSuccessStatusCode ? body.GetProperty("mines").GetInt32() : -1;
            if (mines != expectedMines) throw new InvalidOperationException($"The first answer after a restart was {(int)response.StatusCode} with {mines} mines, not {expectedMines}.");
            Console.Error.WriteLine($"  restart{(settings.Length > 0 ? " " + string.Join(' ', settings) : "")}: first exact summary {seconds:0.00} s after the process started");
            await Task.Delay(2000); // the new host's own start-up work settles before the next kill
            return seconds;
        }
    }

    /// <summary>Ask /api/summary at every look while the survey is processing, as an open dashboard would.</summary>
    public static bool PollView { get; set; }

    public async Task<Run> IngestAsync(string blobName, byte[] content, int expectedMines)
    {
        var container = new BlobContainerClient(_connection, "surveys");
        await container.CreateIfNotExistsAsync();
        var before = await RequestsAsync();
        await File.WriteAllTextAsync($"/proc/{_host.Id}/clear_refs", "5"); // resets the peak RSS (VmHWM)
        var watch = Stopwatch.StartNew();
        await container.GetBlobClient(blobName).UploadAsync(BinaryData.FromBytes(content));
        double? ingestPeak = null;
        double? completedAt = null;
        while (true)
        {
            var items = (await _http.GetFromJsonAsync<JsonElement>($"/api/surveys?blob={Uri.EscapeDataString(blobName)}")).GetProperty("items");
            // --poll-view: someone watches the dashboard during the upload (the view follows the writes as it is asked).
            if (PollView && (items.GetArrayLength() == 0 || items[0].GetProperty("status").GetString() == "processing")) await _http.GetAsync("/api/summary");
            if (items.GetArrayLength() > 0 && items[0].GetProperty("status").GetString() != "processing")
            {
                if (items[0].GetProperty("status").GetString() == "rejected") throw new InvalidOperationException("rejected: " + items[0]);
                if (ingestPeak is null) Console.Error.WriteLine($"  {blobName}: survey completed after {watch.Elapsed.TotalSeconds:0.0} s");
                completedAt ??= watch.Elapsed.TotalSeconds;
                ingestPeak ??= PeakMb();
                var summary = await _http.GetFromJsonAsync<JsonElement>("/api/summary");
                // Queryable: every mine counted, and the ranking shows this survey's rows (in a next round, the new ones).
                var top = (await _http.GetFromJsonAsync<JsonElement>("/api/mines?top=1")).GetProperty("items");
                if (summary.GetProperty("mines").GetInt32() >= expectedMines && top.GetArrayLength() > 0
                    && top[0].GetProperty("surveyId").GetString() == items[0].GetProperty("id").GetString()) break;
            }
            if (watch.Elapsed > TimeSpan.FromMinutes(15)) throw new TimeoutException(blobName);
            await Task.Delay(500); // not faster: each look is a table query that Azurite must serve beside the work
        }
        var seconds = watch.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"  {blobName}: queryable {seconds - completedAt:0.0} s after it completed");
        var peakWithView = PeakMb();
        var after = await RequestsAsync();
        var delta = after.ToDictionary(kv => kv.Key, kv => kv.Value - before.GetValueOrDefault(kv.Key)).Where(kv => kv.Value > 0)
            .OrderByDescending(kv => kv.Value).ToDictionary();
        return new Run(seconds, ingestPeak!.Value, peakWithView, delta.Values.Sum(), delta);
    }

    public string Connection => _connection;

    /// <summary>The host's garbage collections so far (/diagnostics/gc), or default from a host without the route.</summary>
    public async Task<JsonElement> CollectionsAsync()
    {
        using var response = await _http.GetAsync("/diagnostics/gc");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>() : default;
    }

    /// <summary>The view's refresh costs so far (the host's /diagnostics/view-costs).</summary>
    public async Task<JsonElement> ViewCostsAsync()
    {
        // An older host (BENCH_HOST_DLL) has no such route: nothing to tell.
        using var response = await _http.GetAsync("/diagnostics/view-costs");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>() : default;
    }

    public async Task<Dictionary<string, long>> RequestsAsync() =>
        (await _http.GetFromJsonAsync<Dictionary<string, long>>("/diagnostics/storage-requests"))!;

    private double PeakMb()
    {
        var line = File.ReadLines($"/proc/{_host.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(Regex.Match(line, @"\d+").Value) / 1024.0;
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>
    /// Polls /api/summary once a second for the given time with no uploads; returns Azurite's CPU seconds per minute
    /// and the app's storage requests per minute meanwhile.
    /// </summary>
    public async Task<(double AzuriteCpuSecondsPerMinute, double RequestsPerMinute)> IdleViewAsync(TimeSpan duration)
    {
        await _http.GetStringAsync("/api/summary");
        await Task.Delay(TimeSpan.FromSeconds(3)); // let the first load's background work settle
        // First the same time with nobody looking: what the triggers' polling alone costs.
        var quietCpu = AzuriteCpuSeconds();
        var quiet = await RequestsAsync();
        await Task.Delay(duration);
        var quietAfter = await RequestsAsync();
        Console.Error.WriteLine($"  unpolled: Azurite {(AzuriteCpuSeconds() - quietCpu) / duration.TotalMinutes:0.0} CPU s/min, " +
                                $"{(quietAfter.Values.Sum() - quiet.Values.Sum()) / duration.TotalMinutes:0} requests/min: " +
                                string.Join(", ", quietAfter.Select(kv => (kv.Key, N: kv.Value - quiet.GetValueOrDefault(kv.Key))).Where(x => x.N > 0).OrderByDescending(x => x.N).Select(x => $"{x.Key} {x.N}")));
        var requests = (await RequestsAsync()).Values.Sum();
        var cpu = AzuriteCpuSeconds();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            await _http.GetStringAsync("/api/summary");
            await Task.Delay(1000);
        }
        var minutes = watch.Elapsed.TotalMinutes;
        return ((AzuriteCpuSeconds() - cpu) / minutes, ((await RequestsAsync()).Values.Sum() - requests) / minutes);
    }

    /// <summary>User + system CPU seconds of the host and of Azurite so far.</summary>
    public (double Host, double Azurite) CpuSeconds() => (CpuSeconds(_host.Id), CpuSeconds(_azuritePid));

    private double AzuriteCpuSeconds() => CpuSeconds(_azuritePid);

    /// <summary>User + system CPU of a process, from /proc (clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        try { _host.Kill(entireProcessTree: true); await _host.WaitForExitAsync(); } catch (InvalidOperationException) { }
        try
        {
            // SIGTERM first: Azurite closes cleanly, and a CPU profile asked for with AZURITE_NODE_ARGS=--cpu-prof gets written.
            using var azurite = Process.GetProcessById(_azuritePid);
            Process.Start("kill", ["-TERM", _azuritePid.ToString(CultureInfo.InvariantCulture)]).WaitForExit();
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await azurite.WaitForExitAsync(exited.Token); } catch (OperationCanceledException) { azurite.Kill(entireProcessTree: true); }
        }
        catch (ArgumentException) { }
        await Task.Delay(300);
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
