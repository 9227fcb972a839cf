using System.Collections.Concurrent;
using System.Diagnostics;
using MineIngest.TestData;

/// <summary>
/// Reads while a round is written (--read-load): 100,000 mines on record, then the same mines surveyed again, in turns
/// alone and with /api/summary and /api/mines?top=50 asked at a steady rate each (open loop, as a room of dashboards
/// asks: a request is sent on time whether or not the one before was answered, and its latency counts from when it
/// was due). Latencies by phase: before the round, while it is written, and the ten seconds after it settled; and
/// the round's time with and without the readers.
/// </summary>
internal static class ReadLoad
{
    private static readonly string[] Routes = ["/api/summary", "/api/mines?top=50"];

    public static async Task<List<string[]>> RunAsync(string root, int pairs, int rows, int perSecond)
    {
        var results = new List<string[]>();
        var file = Generated.Survey(rows, "national", allValid: true).ToCsv();
        var alone = new List<double>();
        var loaded = new List<double>();
        var samples = new ConcurrentBag<(string Phase, string Route, double Ms)>();
        var refreshes = new List<string>();
        // Each pair on a fresh Azurite and host with the first round on record, so that every pair measures the second and
        // third rounds: Azurite slows as its store grows (each round adds 100,000 mine versions, and it saves its whole
        // store to disk), and on one store the eighth round took three times the second. Within a pair the order
        // alternates (ABBA), so neither kind is always the later round.
        for (var pair = 0; pair < pairs; pair++)
        {
            await using var stack = await Stack.StartAsync(root);
            await stack.IngestAsync($"national/read-load-{rows}.csv", file, rows);
            if (pair % 2 == 0)
            {
                alone.Add(await AloneAsync(stack, file, rows, pair));
                loaded.Add(await WithReadersAsync(stack, file, rows, pair, perSecond, samples, refreshes));
            }
            else
            {
                loaded.Add(await WithReadersAsync(stack, file, rows, pair, perSecond, samples, refreshes));
                alone.Add(await AloneAsync(stack, file, rows, pair));
            }
        }
        foreach (var phase in new[] { "before the round", "while the round is written", "the 10 s after it settled" })
        foreach (var route in Routes)
        {
            var ms = samples.Where(s => s.Phase == phase && s.Route == route).Select(s => s.Ms).Order().ToArray();
            if (ms.Length == 0) continue;
            double P(double p) => ms[Math.Min(ms.Length - 1, (int)Math.Ceiling(p * ms.Length) - 1)];
            results.Add([$"{route} at {perSecond}/s, {phase} ({ms.Length:N0} requests)",
                $"p50 {P(0.5):0.0} / p90 {P(0.9):0.0} / p99 {P(0.99):0.0} / max {ms[^1]:0} ms", phase.StartsWith("while", StringComparison.Ordinal) ? "p99 <= 100 ms, p50 <= 10 ms" : ""]);
        }
        var ratios = alone.Zip(loaded, (a, l) => l / a - 1).ToList();
        results.Add([$"Next round of {rows:N0} mines, upload to queryable: alone / with the readers ({pairs} pairs, each on a fresh store, ABBA order)",
            $"medians {alone.Order().ElementAt(alone.Count / 2):0.0} s / {loaded.Order().ElementAt(loaded.Count / 2):0.0} s; with readers {ratios.Average() * 100:+0;-0;0}% on average over the pairs ({string.Join(", ", ratios.Select(r => (r * 100).ToString("+0;-0;0") + "%"))}); runs {string.Join(", ", alone.Select(a => a.ToString("0.0")))} / {string.Join(", ", loaded.Select(a => a.ToString("0.0")))}",
            "within 15%"]);
        results.Add(["The view's refreshes during the rounds with readers", string.Join("; ", refreshes), ""]);
        return results;
    }

    private static async Task<double> AloneAsync(Stack stack, byte[] file, int rows, int pair)
    {
        var (cpu, costs, gc) = (stack.CpuSeconds(), await stack.ViewCostsAsync(), await stack.CollectionsAsync());
        var round = await stack.IngestAsync($"national/read-load-{rows}-alone-{pair}.csv", file, rows);
        Console.Error.WriteLine($"  round alone: {round.Seconds:0.0} s, {round.Requests:N0} app storage requests, peak {round.PeakMb:0} MB, {Cpu(stack, cpu)}; {await Collections(stack, gc)}; view: {await Refreshes(stack, costs)}");
        await Task.Delay(TimeSpan.FromSeconds(10));
        return round.Seconds;
    }

    private static async Task<double> WithReadersAsync(Stack stack, byte[] file, int rows, int pair, int perSecond,
        ConcurrentBag<(string Phase, string Route, double Ms)> samples, List<string> refreshes)
    {
        double seconds;
        await using (var load = new OpenLoop(stack.Url, perSecond, samples))
        {
            load.Phase = "before the round";
            await Task.Delay(TimeSpan.FromSeconds(10));
            load.Phase = "while the round is written";
            var (cpu, costs, gc) = (stack.CpuSeconds(), await stack.ViewCostsAsync(), await stack.CollectionsAsync());
            var round = await stack.IngestAsync($"national/read-load-{rows}-read-{pair}.csv", file, rows);
            seconds = round.Seconds;
            var view = await Refreshes(stack, costs);
            refreshes.Add(view);
            Console.Error.WriteLine($"  round with {perSecond} reads/s on each route: {round.Seconds:0.0} s, {round.Requests:N0} app storage requests, peak {round.PeakMb:0} MB, {Cpu(stack, cpu)}; {await Collections(stack, gc)}; view: {view}");
            load.Phase = "the 10 s after it settled";
            await Task.Delay(TimeSpan.FromSeconds(10));
        }
        await Task.Delay(TimeSpan.FromSeconds(10));
        return seconds;
    }

    /// <summary>The view's refreshes since <paramref name="before"/>: how many, their mean time, the mines changed and the ranking's share.</summary>
    private static async Task<string> Refreshes(Stack stack, System.Text.Json.JsonElement before)
    {
        var after = await stack.ViewCostsAsync();
        if (after.ValueKind == System.Text.Json.JsonValueKind.Undefined) return "not told by this host";
        double D(string name) => after.GetProperty(name).GetDouble() - before.GetProperty(name).GetDouble();
        var n = D("refreshes");
        return $"{n:0} refreshes, mean {D("refreshMs") / Math.Max(1, n):0.0} ms (longest since start {after.GetProperty("longestRefreshMs").GetDouble():0} ms), " +
               $"{D("changedMines"):N0} mines changed, ranking {D("rankingMs"):0} ms in all ({D("rankingMs") / Math.Max(1, D("changedMines")) * 1000:0.0} ms per 1,000 changed), {D("minesRead"):N0} mines read, {D("compactions"):0} compactions forced ({D("compactionMs"):0} ms)";
    }

    private static async Task<string> Collections(Stack stack, System.Text.Json.JsonElement before)
    {
        var after = await stack.CollectionsAsync();
        if (after.ValueKind == System.Text.Json.JsonValueKind.Undefined) return "collections not told";
        double D(string name) => after.GetProperty(name).GetDouble() - before.GetProperty(name).GetDouble();
        return $"GC: {D("pauseMs"):0} ms paused, {D("gen0"):0}/{D("gen1"):0}/{D("gen2"):0} collections (gen 0/1/2)";
    }

    private static string Cpu(Stack stack, (double Host, double Azurite) before)
    {
        var after = stack.CpuSeconds();
        return $"CPU: host {after.Host - before.Host:0.0} s, Azurite {after.Azurite - before.Azurite:0.0} s";
    }

    /// <summary>Requests at a fixed rate on every route, each sent when due; disposing stops sending and waits for the answers.</summary>
    private sealed class OpenLoop : IAsyncDisposable
    {
        private readonly HttpClient _http;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _loops = [];
        private readonly ConcurrentBag<Task> _inFlight = [];

        public volatile string Phase = "";

        public OpenLoop(string url, int perSecond, ConcurrentBag<(string Phase, string Route, double Ms)> samples)
        {
            _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
            foreach (var route in Routes) _loops.Add(Task.Run(() => SendAsync(route, perSecond, samples)));
        }

        private async Task SendAsync(string route, int perSecond, ConcurrentBag<(string, string, double)> samples)
        {
            var clock = Stopwatch.StartNew();
            var every = TimeSpan.FromSeconds(1.0 / perSecond);
            for (long i = 0; !_stop.IsCancellationRequested; i++)
            {
                var due = every * i;
                if (due > clock.Elapsed)
                {
                    try { await Task.Delay(due - clock.Elapsed, _stop.Token); }
                    catch (OperationCanceledException) { return; }
                }
                var phase = Phase;
                _inFlight.Add(Task.Run(async () =>
                {
                    // From when it was due, or sent if the timer woke a little early.
                    var from = clock.Elapsed > due ? due : clock.Elapsed;
                    using var response = await _http.GetAsync(route, HttpCompletionOption.ResponseContentRead);
                    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{route}: {(int)response.StatusCode}");
                    samples.Add((phase, route, (clock.Elapsed - from).TotalMilliseconds));
                }));
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_loops);
            await Task.WhenAll(_inFlight);
            _http.Dispose();
        }
    }
}
