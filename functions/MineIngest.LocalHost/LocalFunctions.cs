using Azure.Storage.Blobs;
using Microsoft.Azure.WebJobs;
using MineIngest.Pipeline;

namespace MineIngest.LocalHost;

/// <summary>
/// The Functions app's triggers on the WebJobs SDK (the engine inside the Functions host), for machines
/// without Core Tools. Same names, paths and queues as functions/MineIngest.Functions; a test keeps them equal
/// to the functions.metadata the worker SDK generates.
/// </summary>
public sealed class LocalFunctions(SurveyIngestor ingestor, ChunkProcessor processor)
{
    [FunctionName(nameof(IngestSurvey))]
    public Task IngestSurvey([BlobTrigger("surveys/{province}/{file}")] BlobClient blob, CancellationToken ct) =>
        ingestor.IngestAsync(blob, ct);

    [FunctionName(nameof(ScoreChunk))]
    public Task ScoreChunk([QueueTrigger(PipelineOptions.ChunkQueue)] string message, long dequeueCount, CancellationToken ct) =>
        processor.ProcessAsync(ChunkMessage.Parse(message), dequeueCount, ct);

    [FunctionName(nameof(FailChunk))]
    public Task FailChunk([QueueTrigger(PipelineOptions.ChunkPoisonQueue)] string message, CancellationToken ct) =>
        processor.FailAsync(ChunkMessage.Parse(message), ct);
}
