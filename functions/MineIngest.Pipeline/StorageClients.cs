using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace MineIngest.Pipeline;

/// <summary>
/// The storage clients, from the same connection the Functions runtime uses ("AzureWebJobsStorage"):
/// a connection string locally, or an identity-based connection in Azure (AzureWebJobsStorage__accountName).
/// </summary>
public sealed class StorageClients
{
    public const string ConnectionName = "AzureWebJobsStorage";

    public BlobServiceClient Blobs { get; }
    public QueueServiceClient Queues { get; }
    public TableServiceClient Tables { get; }

    public StorageClients(BlobServiceClient blobs, QueueServiceClient queues, TableServiceClient tables)
    {
        Blobs = blobs;
        Queues = queues;
        Tables = tables;
    }

    public static StorageClients FromConfiguration(IConfiguration configuration, Azure.Core.Pipeline.HttpPipelinePolicy? policy = null)
    {
        var blobOptions = new BlobClientOptions();
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        var tableOptions = new TableClientOptions();
        if (policy is not null)
        {
            blobOptions.AddPolicy(policy, Azure.Core.HttpPipelinePosition.PerRetry);
            queueOptions.AddPolicy(policy, Azure.Core.HttpPipelinePosition.PerRetry);
            tableOptions.AddPolicy(policy, Azure.Core.HttpPipelinePosition.PerRetry);
        }

        var connectionString = configuration[ConnectionName];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new StorageClients(
                new BlobServiceClient(connectionString, blobOptions),
                new QueueServiceClient(connectionString, queueOptions),
                new TableServiceClient(connectionString, tableOptions));
        }

        var section = configuration.GetSection(ConnectionName);
        var account = section["accountName"];
        Uri Endpoint(string service) => section[$"{service}ServiceUri"] is { } uri ? new Uri(uri)
            : account is not null ? new Uri($"https://{account}.{service}.core.windows.net")
            : throw new InvalidOperationException(
                $"Storage is not configured: set {ConnectionName} to a connection string, or {ConnectionName}__accountName for an identity-based connection.");
        var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = section["clientId"] });
        return new StorageClients(
            new BlobServiceClient(Endpoint("blob"), credential, blobOptions),
            new QueueServiceClient(Endpoint("queue"), credential, queueOptions),
            new TableServiceClient(Endpoint("table"), credential, tableOptions));
    }

    public BlobContainerClient Surveys => Blobs.GetBlobContainerClient(PipelineOptions.SurveysContainer);
    public BlobContainerClient Chunks => Blobs.GetBlobContainerClient(PipelineOptions.ChunksContainer);
    public QueueClient ChunkQueue => Queues.GetQueueClient(PipelineOptions.ChunkQueue);
    public TableClient Mines => Tables.GetTableClient(PipelineOptions.MinesTable);
    public TableClient SurveyTable => Tables.GetTableClient(PipelineOptions.SurveysTable);
    public TableClient ChunkResults => Tables.GetTableClient(PipelineOptions.ChunkResultsTable);
    public TableClient RowErrors => Tables.GetTableClient(PipelineOptions.RowErrorsTable);

    /// <summary>Creates what the pipeline writes to. In Azure the Bicep template has made them already.</summary>
    public async Task EnsureCreatedAsync(CancellationToken ct)
    {
        await Surveys.CreateIfNotExistsAsync(cancellationToken: ct);
        await Chunks.CreateIfNotExistsAsync(cancellationToken: ct);
        await ChunkQueue.CreateIfNotExistsAsync(cancellationToken: ct);
        await Queues.GetQueueClient(PipelineOptions.ChunkPoisonQueue).CreateIfNotExistsAsync(cancellationToken: ct);
        foreach (var table in new[] { Mines, SurveyTable, ChunkResults, RowErrors }) await table.CreateIfNotExistsAsync(ct);
    }
}
