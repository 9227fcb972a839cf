using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using MineIngest.Domain;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Ingestion;

namespace MineIngest.Pipeline.Records;

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

    /// <summary>
    /// Origins whose pages may PUT files straight to Blob Storage (the upload page), from "Uploads:BrowserOrigins"; set on
    /// the blob service when storage is first reached. Empty in Azure, where the Bicep template sets the rule.
    /// </summary>
    public IReadOnlyList<string> BrowserOrigins { get; init; } = [];

    public StorageClients(BlobServiceClient blobs, QueueServiceClient queues, TableServiceClient tables)
    {
        Blobs = blobs;
        Queues = queues;
        Tables = tables;
    }

    /// <param name="counter">Counts every request (benchmarks); null in normal runs.</param>
    public static StorageClients FromConfiguration(IConfiguration configuration, StorageRequestCounter? counter = null)
    {
        var blobOptions = new BlobClientOptions();
        // The Functions runtime's queue triggers expect base64 messages.
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        var tableOptions = new TableClientOptions();
        if (counter is not null)
        {
            blobOptions.AddPolicy(counter.For("blob"), HttpPipelinePosition.PerRetry);
            queueOptions.AddPolicy(counter.For("queue"), HttpPipelinePosition.PerRetry);
            tableOptions.AddPolicy(counter.For("table"), HttpPipelinePosition.PerRetry);
        }

        var origins = (configuration[$"{UploadOptions.Section}:{nameof(UploadOptions.BrowserOrigins)}"] ?? "")
            .Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var connectionString = configuration[ConnectionName];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new StorageClients(
                new BlobServiceClient(connectionString, blobOptions),
                new QueueServiceClient(connectionString, queueOptions),
                new TableServiceClient(connectionString, tableOptions)) { BrowserOrigins = origins };
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
            new TableServiceClient(Endpoint("table"), credential, tableOptions)) { BrowserOrigins = origins };
    }

    public BlobContainerClient Surveys => Blobs.GetBlobContainerClient(PipelineOptions.SurveysContainer);
    public BlobContainerClient Chunks => Blobs.GetBlobContainerClient(PipelineOptions.ChunksContainer);
    public BlobContainerClient Views => Blobs.GetBlobContainerClient(PipelineOptions.ViewsContainer);
    public QueueClient ChunkQueue => Queues.GetQueueClient(PipelineOptions.ChunkQueue);
    /// <summary>The mines table of one province (<see cref="PipelineOptions.MinesTablePrefix"/>).</summary>
    public TableClient MinesOf(string province) =>
        MineTables.TryGetValue(province, out var table) ? table : Tables.GetTableClient(PipelineOptions.MinesTableOf(province));

    /// <summary>Every province's mines table, in slug order.</summary>
    public IReadOnlyList<(string Province, TableClient Table)> AllMines => _allMines ??=
        ReferenceData.Default.Provinces.Select(p => p.Slug).Order(StringComparer.Ordinal)
            .Select(p => (p, Tables.GetTableClient(PipelineOptions.MinesTableOf(p)))).ToList();

    // Made once: the scorer asks for a province's table per batch, the view for all of them per refresh.
    private IReadOnlyList<(string Province, TableClient Table)>? _allMines;
    private Dictionary<string, TableClient>? _mineTables;
    private Dictionary<string, TableClient> MineTables => _mineTables ??= AllMines.ToDictionary(m => m.Province, m => m.Table, StringComparer.Ordinal);

    public TableClient MineChanges => Tables.GetTableClient(PipelineOptions.MineChangesTable);
    public TableClient RescorePages => Tables.GetTableClient(PipelineOptions.RescorePagesTable);
    public QueueClient RescoreQueue => Queues.GetQueueClient(PipelineOptions.RescoreQueue);
    public TableClient WithdrawPages => Tables.GetTableClient(PipelineOptions.WithdrawPagesTable);
    public QueueClient WithdrawQueue => Queues.GetQueueClient(PipelineOptions.WithdrawQueue);
    public TableClient Solutions => Tables.GetTableClient(PipelineOptions.SolutionsTable);
    public TableClient Committees => Tables.GetTableClient(PipelineOptions.CommitteesTable);
    public TableClient SurveyTable => Tables.GetTableClient(PipelineOptions.SurveysTable);
    public TableClient ChunkResults => Tables.GetTableClient(PipelineOptions.ChunkResultsTable);
    public TableClient RowErrors => Tables.GetTableClient(PipelineOptions.RowErrorsTable);
    public TableClient ProvinceKeys => Tables.GetTableClient(PipelineOptions.ProvinceKeysTable);
    public TableClient Audit => Tables.GetTableClient(PipelineOptions.AuditTable);
    public TableClient UploadLinks => Tables.GetTableClient(PipelineOptions.UploadLinksTable);
    public TableClient Claims => Tables.GetTableClient(PipelineOptions.ClaimsTable);

    public async Task<ChunkDocument> ReadChunkAsync(string surveyId, int chunk, CancellationToken ct)
    {
        var content = await Chunks.GetBlobClient(ChunkDocument.BlobName(surveyId, chunk)).DownloadContentAsync(ct);
        return content.Value.Content.ToObjectFromJson<ChunkDocument>(PipelineJson.Options)
               ?? throw new InvalidDataException($"Chunk {chunk} of survey {surveyId} is empty.");
    }

    /// <summary>The row errors of one survey (one partition), in row order.</summary>
    public AsyncPageable<RowErrorEntity> RowErrorsOf(string surveyId, CancellationToken ct) =>
        RowErrors.QueryAsync<RowErrorEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {surveyId}"), cancellationToken: ct);

    /// <summary>A chunk whose result exists is done: that is what makes a re-delivered message count once.</summary>
    public async Task<bool> IsChunkDoneAsync(string surveyId, int chunk, CancellationToken ct) =>
        (await ChunkResults.GetEntityIfExistsAsync<ChunkResultEntity>(surveyId, ChunkResultEntity.KeyFor(chunk), ["RowKey"], ct)).HasValue;

    public async Task SendChunksAsync(IEnumerable<ChunkMessage> messages, CancellationToken ct)
    {
        foreach (var message in messages) await ChunkQueue.SendMessageAsync(message.ToJson(), ct);
    }

    private volatile bool _created;

    /// <summary>
    /// Creates what the pipeline writes to, once per process (later calls cost nothing). In Azure the Bicep template
    /// has made them already.
    /// </summary>
    public async Task EnsureCreatedAsync(CancellationToken ct)
    {
        if (_created) return;
        await Surveys.CreateIfNotExistsAsync(cancellationToken: ct);
        await Chunks.CreateIfNotExistsAsync(cancellationToken: ct);
        await Views.CreateIfNotExistsAsync(cancellationToken: ct);
        await Blobs.GetBlobContainerClient(Field.FieldOptions.PhotosContainer).CreateIfNotExistsAsync(cancellationToken: ct);
        await ChunkQueue.CreateIfNotExistsAsync(cancellationToken: ct);
        await Queues.GetQueueClient(PipelineOptions.ChunkPoisonQueue).CreateIfNotExistsAsync(cancellationToken: ct);
        await RescoreQueue.CreateIfNotExistsAsync(cancellationToken: ct);
        await Queues.GetQueueClient(PipelineOptions.RescorePoisonQueue).CreateIfNotExistsAsync(cancellationToken: ct);
        await WithdrawQueue.CreateIfNotExistsAsync(cancellationToken: ct);
        await Queues.GetQueueClient(PipelineOptions.WithdrawPoisonQueue).CreateIfNotExistsAsync(cancellationToken: ct);
        // The event streams (one per upload folder, the office's, the dead-letter queue) and the tables, 76 in all: a
        // few at a time, since a host answers no request before this ends.
        var each = new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct };
        await Parallel.ForEachAsync(Events.EventStreams.All(ReferenceData.Default), each,
            async (stream, token) => await Queues.GetQueueClient(stream).CreateIfNotExistsAsync(cancellationToken: token));
        await Parallel.ForEachAsync(new[] { MineChanges, Solutions, Committees, RescorePages, WithdrawPages, SurveyTable, ChunkResults, RowErrors, ProvinceKeys, Audit,
            UploadLinks, Claims }.Concat(AllMines.Select(m => m.Table)), each, async (table, token) => await table.CreateIfNotExistsAsync(token));
        if (BrowserOrigins.Count > 0) await AllowBrowserUploadsAsync(ct);
        _created = true;
    }

    /// <summary>The CORS rule that lets the upload page's browser PUT a file with its SAS; the SAS still limits it to one new blob.</summary>
    private async Task AllowBrowserUploadsAsync(CancellationToken ct)
    {
        var properties = (await Blobs.GetPropertiesAsync(ct)).Value;
        var origins = string.Join(",", BrowserOrigins);
        if (properties.Cors.Any(r => r.AllowedOrigins == origins)) return;
        properties.Cors.Clear();
        properties.Cors.Add(new Azure.Storage.Blobs.Models.BlobCorsRule
        {
            AllowedOrigins = origins, AllowedMethods = "PUT,OPTIONS", AllowedHeaders = "*", ExposedHeaders = "*", MaxAgeInSeconds = 3600,
        });
        await Blobs.SetPropertiesAsync(properties, ct);
    }
}
