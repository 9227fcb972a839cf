using System.Diagnostics;
using Azure.Messaging;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using MineIngest.TestData;

/// <summary>
/// What the survey events cost (--events): a survey of <c>rows</c> rows ingested on a fresh stack by this build and by
/// the build before events (BENCH_BASE_HOST_DLL), in ABBA pairs, time to queryable and the app's storage requests; then
/// the latency from a survey's completion (the time its completed event carries: when its totals were stored) to the
/// event being readable in the province's stream, for 100 small surveys sent one after another, the stream read as a
/// reader would, every 50 ms.
/// </summary>
internal static class EventCosts
{
    public static async Task<List<string[]>> RunAsync(string root, int pairs, int rows)
    {
        var results = new List<string[]>();
        var baseline = Environment.GetEnvironmentVariable("BENCH_BASE_HOST_DLL");
        if (baseline is not null)
        {
            var file = Generated.Survey(rows, "national", allValid: true).ToCsv();
            var with = new List<Run>();
            var without = new List<Run>();
            for (var pair = 0; pair < pairs; pair++)
            {
                // ABBA: the order alternates, so a machine getting slower over the runs weighs on both alike.
                foreach (var withEvents in pair % 2 == 0 ? new[] { true, false } : [false, true])
                {
                    var previous = Environment.GetEnvironmentVariable("BENCH_HOST_DLL");
                    Environment.SetEnvironmentVariable("BENCH_HOST_DLL", withEvents ? previous : baseline);
                    await using var stack = await Stack.StartAsync(root);
                    Environment.SetEnvironmentVariable("BENCH_HOST_DLL", previous);
                    var run = await stack.IngestAsync($"national/events-{rows}.csv", file, rows);
                    (withEvents ? with : without).Add(run);
                    Console.Error.WriteLine($"  pair {pair + 1} {(withEvents ? "with events" : "before events")}: {run.Seconds:0.0} s, {run.Requests:N0} requests; " +
                                            string.Join(", ", run.ByOperation.Where(kv => kv.Key.Contains("event messages", StringComparison.Ordinal)).Select(kv => $"{kv.Key} {kv.Value}")));
                }
            }
            string Seconds(List<Run> runs) => $"{runs.Select(r => r.Seconds).Order().ElementAt(runs.Count / 2):0.0} s ({string.Join(", ", runs.Select(r => r.Seconds.ToString("0.0")))})";
            string Requests(List<Run> runs) => $"{runs.Select(r => r.Requests).Order().ElementAt(runs.Count / 2):N0} ({string.Join(", ", runs.Select(r => r.Requests.ToString("N0")))})";
            results.Add([$"A survey of {rows:N0} rows, upload to queryable: with events / before events (ABBA pairs on fresh stacks)", $"{Seconds(with)} / {Seconds(without)}", ""]);
            results.Add(["... the app's storage requests: with events / before events", $"{Requests(with)} / {Requests(without)}", ""]);
            results.Add(["... of which event messages sent", string.Join(", ", with[0].ByOperation.Where(kv => kv.Key.Contains("event messages", StringComparison.Ordinal)).Select(kv => $"{kv.Key} {kv.Value}")), ""]);
        }

        await using (var stack = await Stack.StartAsync(root))
        {
            var latencies = await LatenciesAsync(stack, 100);
            var ordered = latencies.Order().ToList();
            results.Add(["Completion to its survey.completed readable in the province's stream, 100 surveys one after another: median / p90 / worst",
                $"{ordered[ordered.Count / 2]:0} / {ordered[(int)(ordered.Count * 0.9)]:0} / {ordered[^1]:0} ms", ""]);
        }
        return results;
    }

    private static async Task<List<double>> LatenciesAsync(Stack stack, int surveys)
    {
        var container = new BlobContainerClient(stack.Connection, "surveys");
        await container.CreateIfNotExistsAsync();
        var stream = new QueueClient(stack.Connection, "events-kerman", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var latencies = new List<double>();
        for (var i = 0; i < surveys; i++)
        {
            var blob = $"kerman/latency-{i:D3}.csv";
            await container.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(new SurveyBuilder().AddMany(3, r => RowBuilder.WorkedExample($"L{i:D3}-{r}")).ToCsv()));
            var watch = Stopwatch.StartNew();
            while (true)
            {
                var batch = (await stream.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
                var now = DateTimeOffset.UtcNow;
                var done = false;
                foreach (var message in batch)
                {
                    var e = CloudEvent.Parse(message.Body)!;
                    await stream.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    if (e.Type != "survey.completed") continue;
                    latencies.Add((now - e.Time!.Value).TotalMilliseconds);
                    done = true;
                }
                if (done) break;
                if (watch.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException($"No completed event for {blob}.");
                // A reader looking every 50 ms: without a pause the receives alone kept Azurite (single-threaded) at 90% of a core.
                if (batch.Length == 0) await Task.Delay(50);
            }
        }
        Console.Error.WriteLine($"  latencies (ms): {string.Join(", ", latencies.Select(l => l.ToString("0")))}");
        return latencies;
    }
}
