using System.Diagnostics;
using System.Text.Json;
using System.Net.Http.Json;
using Azure.Storage.Blobs;
using MineIngest.TestData;

/// <summary>
/// The reliability rounds against a running ./run.sh (bench/reliability.sh starts it): a burst of 300 small surveys twice,
/// then a storage outage of 20 s in the middle of a 20,000-row survey and 20 small ones. Prints what settled when.
/// </summary>
static class Reliability
{
    private static readonly string[] Provinces = ["kerman", "yazd", "fars", "tehran", "isfahan", "razavi-khorasan", "zanjan", "semnan", "qom", "markazi"];

    public static async Task<int> RunAsync(string url, string connection, string stopStorage, string startStorage)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var surveys = new BlobContainerClient(connection, "surveys");
        await surveys.CreateIfNotExistsAsync();
        var ok = true;

        var all = new List<string>();
        var rounds = Environment.GetEnvironmentVariable("RELIABILITY_BURST_ROUNDS") is { } r ? int.Parse(r) : 2;
        for (var round = 1; round <= rounds; round++)
        {
            var files = Enumerable.Range(0, 300).Select(i => ($"{Provinces[i % 10]}/burst-{round}-{i:D3}.csv", Small($"B{round}-{i:D3}", Provinces[i % 10], 3, 1))).ToList();
            var watch = Stopwatch.StartNew();
            await UploadAsync(surveys, files);
            var uploaded = watch.Elapsed.TotalSeconds;
            all.AddRange(files.Select(f => f.Item1));
            var (settled, exact) = await WaitAsync(http, all, TimeSpan.FromMinutes(5));
            Console.WriteLine($"burst round {round}: 300 uploaded (8 in flight) in {uploaded:0.0} s; {settled} of {all.Count} settled " +
                              $"{watch.Elapsed.TotalSeconds:0.0} s after the first upload, {exact} with rows = accepted + rejected + failed and nothing pending");
            ok &= settled == all.Count && exact == all.Count;
        }

        var outage = new List<(string, byte[])> { ("national/outage-1400.csv", Generated.Survey(20_000, "national").ToCsv()) };
        outage.AddRange(Enumerable.Range(0, 20).Select(i => ($"{Provinces[i % 10]}/outage-{i:D2}.csv", Small($"O-{i:D2}", Provinces[i % 10], 5, 2))));
        var clock = Stopwatch.StartNew();
        await UploadAsync(surveys, outage);
        Console.WriteLine($"outage: 21 files uploaded in {clock.Elapsed.TotalSeconds:0.0} s");
        var seen = false;
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            var items = (await http.GetFromJsonAsync<JsonElement>("/api/surveys?blob=national/outage-1400.csv")).GetProperty("items");
            if (!seen && items.GetArrayLength() == 1) Console.WriteLine($"outage: the 20,000-row survey was read {clock.Elapsed.TotalSeconds:0.0} s after the uploads began");
            seen |= items.GetArrayLength() == 1;
            if (items.GetArrayLength() == 1 && items[0].GetProperty("accepted").GetInt32() > 0) break;
            await Task.Delay(250);
        }
        Shell(stopStorage);
        Console.WriteLine($"outage: storage stopped {clock.Elapsed.TotalSeconds:0.0} s after the uploads began");
        await Task.Delay(TimeSpan.FromSeconds(10));
        var health = await http.GetAsync("/api/health");
        Console.WriteLine($"outage: /api/health during the outage: {(int)health.StatusCode} {await health.Content.ReadAsStringAsync()}");
        await Task.Delay(TimeSpan.FromSeconds(10));
        Shell(startStorage);
        Console.WriteLine($"outage: storage started again {clock.Elapsed.TotalSeconds:0.0} s after the uploads began");
        var names = outage.Select(o => o.Item1).ToList();
        var (done, accounted) = await WaitAsync(http, names, TimeSpan.FromMinutes(5));
        var summary = await http.GetFromJsonAsync<JsonElement>("/api/summary");
        var expectedMines = 300 * rounds * 2 + 19_000 + 20 * 3;
        Console.WriteLine($"outage: {done} of 21 surveys settled {clock.Elapsed.TotalSeconds:0.0} s after the uploads began, {accounted} exactly accounted; " +
                          $"mines on record {summary.GetProperty("mines").GetInt32()} (expected {expectedMines})");
        Console.WriteLine($"outage: /api/health after: {await http.GetStringAsync("/api/health")}");
        ok &= done == 21 && accounted == 21 && summary.GetProperty("mines").GetInt32() == expectedMines;
        return ok ? 0 : 1;
    }

    private static byte[] Small(string prefix, string province, int rows, int bad) =>
        new SurveyBuilder().AddMany(rows, i => i < bad ? RowBuilder.WorkedExample($"{prefix}-{i}", province).Set("latitude", 45.5) : RowBuilder.WorkedExample($"{prefix}-{i}", province)).ToCsv();

    private static Task UploadAsync(BlobContainerClient surveys, IEnumerable<(string Blob, byte[] Content)> files) =>
        Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (f, ct) => await surveys.GetBlobClient(f.Blob).UploadAsync(BinaryData.FromBytes(f.Content), overwrite: true, ct));

    /// <returns>How many of the blobs have a settled survey, and how many of those add up with nothing pending.</returns>
    private static async Task<(int Settled, int Exact)> WaitAsync(HttpClient http, List<string> blobs, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var settled = new Dictionary<string, JsonElement>();
            try
            {
                foreach (var s in (await http.GetFromJsonAsync<JsonElement>("/api/surveys")).GetProperty("items").EnumerateArray())
                    if (s.GetProperty("status").GetString() != "processing") settled.TryAdd(s.GetProperty("blob").GetString()!, s);
            }
            catch (HttpRequestException) { }
            var mine = blobs.Where(settled.ContainsKey).Select(b => settled[b]).ToList();
            if (mine.Count == blobs.Count || DateTime.UtcNow > deadline)
            {
                int I(JsonElement e, string n) => e.GetProperty(n).GetInt32();
                return (mine.Count, mine.Count(s => I(s, "pending") == 0 && I(s, "rows") == I(s, "accepted") + I(s, "rejected") + I(s, "failed")));
            }
            await Task.Delay(500);
        }
    }

    private static void Shell(string command)
    {
        using var p = Process.Start("bash", ["-c", command]);
        p.WaitForExit();
    }
}
