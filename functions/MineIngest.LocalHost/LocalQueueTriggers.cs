using System.Runtime.CompilerServices;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using MineIngest.Pipeline;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;

namespace MineIngest.LocalHost;

/// <summary>The queue-trigger settings of host.json (extensions:queues), read the way the Functions host reads them.</summary>
public sealed class QueueTriggerOptions
{
    public const string Section = "extensions:queues";

    public int BatchSize { get; set; } = 16;
    public int NewBatchThreshold { get; set; } = 8;
    public int MaxDequeueCount { get; set; } = 5;
    /// <summary>How long a failed message waits before its next try.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.Zero;
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The Functions app's queue triggers (ScoreChunk, FailChunk) for the local host, with the Functions host's semantics:
/// up to batchSize + newBatchThreshold messages in flight, a failed message retried after visibilityTimeout, moved to
/// the poison queue on its maxDequeueCount-th failure, polling backing off to maxPollingInterval when idle.
/// It replaces the WebJobs SDK's queue listener, which ends the process on the first storage request that fails
/// after retries (the Functions host survives that only by restarting itself). Here a storage outage is logged once
/// and polling goes on; messages whose outcome could not be written reappear when their lease ends.
/// A received message is leased for <see cref="PipelineOptions.ClaimSeconds"/> and the lease renewed every third of that
/// while it is handled: a message of an instance that died reappears seconds later for another, and a slow one is never
/// handed to a second instance while the first lives.
/// </summary>
public sealed class LocalQueueTriggers(
    StorageClients storage, ChunkProcessor processor, Rescoring rescoring, WithdrawalPages withdrawals, IConfiguration configuration,
    Microsoft.Extensions.Options.IOptions<PipelineOptions> pipeline, MineIngest.Pipeline.View.ViewRefresher views, ILogger<LocalQueueTriggers> logger) : BackgroundService
{
    /// <summary>Function name to queue, as the Functions app declares them (a test compares with functions.metadata).</summary>
    public static IReadOnlyDictionary<string, string> Functions { get; } = new Dictionary<string, string>
    {
        ["ScoreChunk"] = PipelineOptions.ChunkQueue,
        ["FailChunk"] = PipelineOptions.ChunkPoisonQueue,
        ["RescoreMines"] = PipelineOptions.RescoreQueue,
        ["WithdrawMines"] = PipelineOptions.WithdrawQueue,
    };

    /// <summary>How long a received message stays invisible to others without renewal.</summary>
    private TimeSpan Lease => TimeSpan.FromSeconds(pipeline.Value.ClaimSeconds);
    private static readonly TimeSpan FastestPoll = TimeSpan.FromMilliseconds(100);

    private readonly QueueTriggerOptions _options = configuration.GetSection(QueueTriggerOptions.Section).Get<QueueTriggerOptions>() ?? new();

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        // After the view's first load, or 5 s: a new instance answers first, then takes work (the scorer needs the view anyway).
        await views.FirstLoad.WaitAsync(TimeSpan.FromSeconds(5), ct).ContinueWith(_ => { }, TaskScheduler.Default);
        var poison = storage.Queues.GetQueueClient(PipelineOptions.ChunkPoisonQueue);
        await Task.WhenAll(
            Task.Run(() => PollAsync(storage.ChunkQueue, poison,
                (m, token) => processor.ProcessAsync(ChunkMessage.Parse(m.MessageText), m.DequeueCount, token), ct), ct),
            // A poison message whose rows cannot even be recorded as failed stays in the poison queue, counted by /api/health.
            Task.Run(() => PollAsync(poison, null, (m, token) => processor.FailAsync(ChunkMessage.Parse(m.MessageText), token), ct), ct),
            Task.Run(() => PollAsync(storage.RescoreQueue, storage.Queues.GetQueueClient(PipelineOptions.RescorePoisonQueue),
                (m, token) => rescoring.ProcessAsync(RescoreMessage.Parse(m.MessageText), token), ct), ct),
            Task.Run(() => PollAsync(storage.WithdrawQueue, storage.Queues.GetQueueClient(PipelineOptions.WithdrawPoisonQueue),
                (m, token) => withdrawals.ProcessAsync(WithdrawMessage.Parse(m.MessageText), token), ct), ct));
    }

    private async Task PollAsync(QueueClient queue, QueueClient? poison, Func<QueueMessage, CancellationToken, Task> handle, CancellationToken ct)
    {
        var slots = new SemaphoreSlim(Math.Max(1, _options.BatchSize + _options.NewBatchThreshold));
        var idle = FastestPoll;
        var outage = new OutageLog(logger, "Queue " + queue.Name);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(ct);
                var free = 1;
                while (free < 32 && slots.Wait(0)) free++;
                QueueMessage[] messages;
                try
                {
                    messages = (await queue.ReceiveMessagesAsync(free, Lease, ct)).Value;
                }
                finally
                {
                    // Slots not taken by a message are handed back at once.
                    slots.Release(free);
                }
                outage.Succeeded();
                if (messages.Length == 0)
                {
                    await Task.Delay(idle, ct);
                    idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, Math.Max(FastestPoll.Ticks, _options.MaxPollingInterval.Ticks)));
                    continue;
                }
                idle = FastestPoll;
                foreach (var message in messages)
                {
                    await slots.WaitAsync(ct);
                    _ = Task.Run(async () =>
                    {
                        try { await HandleAsync(queue, poison, message, handle, ct); }
                        finally { slots.Release(); }
                    }, CancellationToken.None);
                }
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                outage.Failed(ex);
                await Task.Delay(_options.MaxPollingInterval > TimeSpan.Zero ? _options.MaxPollingInterval : TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    private async Task HandleAsync(QueueClient queue, QueueClient? poison, QueueMessage message, Func<QueueMessage, CancellationToken, Task> handle,
        CancellationToken ct)
    {
        var receipt = new StrongBox<string>(message.PopReceipt);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renewing = RenewLeaseAsync(queue, message.MessageId, receipt, stop.Token);
        try
        {
            await handle(message, ct);
        }
        catch (Exception ex)
        {
            await stop.CancelAsync();
            await renewing;
            if (ct.IsCancellationRequested) return; // stopping: the message reappears when its lease ends
            logger.LogError(ex, "Queue {Queue}: message {MessageId} failed on try {DequeueCount}", queue.Name, message.MessageId, message.DequeueCount);
            await SettleFailureAsync(queue, poison, message, receipt.Value!, ct);
            return;
        }
        await stop.CancelAsync();
        await renewing;
        try
        {
            await queue.DeleteMessageAsync(message.MessageId, receipt.Value, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Done but not deleted: it comes back after its lease and is skipped as done.
            logger.LogWarning(ex, "Queue {Queue}: message {MessageId} was handled but could not be deleted", queue.Name, message.MessageId);
        }
    }

    /// <summary>Keeps the message invisible to others while it is handled; each renewal gives a new pop receipt.</summary>
    private async Task RenewLeaseAsync(QueueClient queue, string messageId, StrongBox<string> receipt, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Lease / 3, ct);
                try
                {
                    receipt.Value = (await queue.UpdateMessageAsync(messageId, receipt.Value, visibilityTimeout: Lease, cancellationToken: ct)).Value.PopReceipt;
                }
                catch (Azure.RequestFailedException ex) when (!ct.IsCancellationRequested)
                {
                    // Not renewed in time (storage away): another instance may take the message up; the work counts once.
                    logger.LogWarning("Queue {Queue}: could not renew the lease of message {MessageId}: {Reason}", queue.Name, messageId, ex.Message);
                    if (ex.Status == 404) return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task SettleFailureAsync(QueueClient queue, QueueClient? poison, QueueMessage message, string popReceipt, CancellationToken ct)
    {
        try
        {
            if (poison is not null && message.DequeueCount >= _options.MaxDequeueCount)
            {
                await poison.SendMessageAsync(message.MessageText, ct);
                await queue.DeleteMessageAsync(message.MessageId, popReceipt, ct);
                logger.LogWarning("Queue {Queue}: message {MessageId} moved to {Poison} after {DequeueCount} tries",
                    queue.Name, message.MessageId, poison.Name, message.DequeueCount);
            }
            else
            {
                await queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: _options.VisibilityTimeout, cancellationToken: ct);
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Queue {Queue}: could not release message {MessageId}; it reappears when its lease ends", queue.Name, message.MessageId);
        }
    }
}
