using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace MineIngest.Pipeline.Records;

/// <summary>
/// Counts the storage requests the app's clients send (each try, since Azure bills each), by service and
/// operation. Used by the benchmarks (bench/) through the local host's diagnostics switch; off otherwise.
/// </summary>
public sealed class StorageRequestCounter
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> Snapshot() => new SortedDictionary<string, long>(_counts, StringComparer.Ordinal);

    /// <summary>The policy for one service's clients ("blob", "queue", "table"): Azurite's URLs do not say which.</summary>
    public HttpPipelinePolicy For(string service) => new Policy(this, service);

    private void Count(string service, Request request) => _counts.AddOrUpdate($"{service} {Operation(service, request)}", 1, (_, n) => n + 1);

    /// <summary>"table $batch", "blob GET", "queue messages DELETE": enough to see what drives the bill.</summary>
    private static string Operation(string service, Request request)
    {
        var uri = request.Uri.ToUri();
        var path = uri.AbsolutePath;
        var what = service switch
        {
            "table" when path.EndsWith("$batch", StringComparison.Ordinal) => "batch",
            "table" when path.Contains(PipelineOptions.ClaimsTable, StringComparison.Ordinal) => "claims",
            "table" when path.Contains("(PartitionKey", StringComparison.Ordinal) => "entity",
            "table" when request.Method == RequestMethod.Post && !path.EndsWith("Tables", StringComparison.Ordinal) => "insert",
            "table" => "query",
            "queue" when path.Contains("/events-", StringComparison.Ordinal) && path.Contains("/messages", StringComparison.Ordinal) => "event messages",
            "queue" when path.Contains("/messages", StringComparison.Ordinal) => "messages",
            "blob" when path.Contains($"/{PipelineOptions.ViewsContainer}/", StringComparison.Ordinal) => "view snapshot",
            "blob" when uri.Query.Contains("comp=list", StringComparison.Ordinal) => "list",
            "blob" when uri.Query.Contains("comp=block", StringComparison.Ordinal) => "block",
            _ => "",
        };
        return what.Length == 0 ? request.Method.ToString() : $"{what} {request.Method}";
    }

    private sealed class Policy(StorageRequestCounter counter, string service) : HttpPipelinePolicy
    {
        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            counter.Count(service, message.Request);
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            counter.Count(service, message.Request);
            return ProcessNextAsync(message, pipeline);
        }
    }
}
