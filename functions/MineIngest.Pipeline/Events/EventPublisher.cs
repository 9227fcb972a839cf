using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Events;

/// <summary>
/// Sends what outboxes hold to the streams (storage queues: at least once, kept <see cref="EventOptions.KeepDays"/> days;
/// the platform's own retries under the SDK), then takes it off the outbox. A survey's events go in the order they were
/// recorded: a send that fails stops the ones after it, and all wait for the next try. An event a stream refuses as
/// malformed can never be sent: it goes to the dead-letter queue, which /api/health counts.
/// </summary>
public sealed class EventPublisher(StorageClients storage, IOptions<EventOptions> options, TimeProvider time, ILogger<EventPublisher> logger)
{
    private TimeSpan Keep => TimeSpan.FromDays(options.Value.KeepDays);

    /// <summary>How long events may wait before the sweep sends them (<see cref="EventOptions.SendLeftAfterSeconds"/>).</summary>
    public TimeSpan SendLeftAfter => TimeSpan.FromSeconds(options.Value.SendLeftAfterSeconds);

    /// <summary>The tables whose records carry outboxes: surveys (and the re-scoring status), solutions, committee meetings.</summary>
    private IEnumerable<TableClient> Holders => [storage.SurveyTable, storage.Solutions, storage.Committees];

    /// <summary>Puts the events in their streams, in order; the ids of those now there. Never throws for storage: what failed stays for later.</summary>
    public async Task<IReadOnlyList<string>> DeliverAsync(string? outbox, CancellationToken ct)
    {
        var delivered = new List<string>();
        foreach (var e in EventOutbox.Read(outbox))
        {
            try
            {
                foreach (var stream in EventStreams.For(e.Source)) await SendToAsync(stream, e, ct);
                delivered.Add(e.Id);
            }
            catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or AggregateException)
            {
                logger.LogWarning("Event {EventId} could not be sent yet ({Reason}); it stays in its outbox for the next try", e.Id, ex.Message.Split('\n')[0]);
                break;
            }
        }
        return delivered;
    }

    /// <summary>Sends the events recorded on a record (as written, with the ETag that write returned) and takes them off it.</summary>
    public async Task SendAsync(TableClient table, string partitionKey, string rowKey, string? outbox, ETag written, CancellationToken ct)
    {
        var delivered = await DeliverAsync(outbox, ct);
        if (delivered.Count == 0) return;
        try
        {
            await TakeOffAsync(table, partitionKey, rowKey, delivered, outbox, written, ct);
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or AggregateException)
        {
            // Sent but still on the record: the sweep sends them again, with the same ids.
            logger.LogWarning("Events sent from {Table}/{RowKey} could not be taken off its outbox: {Reason}", table.Name, rowKey, ex.Message.Split('\n')[0]);
        }
    }

    /// <summary>
    /// For the sweep: sends every outbox left unsent longer than <see cref="EventOptions.SendLeftAfterSeconds"/>. A survey
    /// still being read is left to its reader, whose claim holds the record's ETag. Returns how many records it sent from.
    /// </summary>
    public async Task<int> SendLeftAsync(CancellationToken ct)
    {
        var cutoff = time.GetUtcNow() - SendLeftAfter;
        var sentFrom = 0;
        foreach (var table in Holders)
        {
            var left = new List<TableEntity>();
            await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"OutboxPending eq {true}"),
                               select: ["PartitionKey", "RowKey", EventOutbox.OutboxProperty, EventOutbox.SinceProperty, nameof(SurveyEntity.Stage)], cancellationToken: ct))
            {
                if (e.GetDateTimeOffset(EventOutbox.SinceProperty) is { } since && since > cutoff) continue;
                if (e.GetString(nameof(SurveyEntity.Stage)) == SurveyStage.Reading) continue;
                left.Add(e);
            }
            foreach (var e in left)
            {
                await SendAsync(table, e.PartitionKey, e.RowKey, e.GetString(EventOutbox.OutboxProperty), e.ETag, ct);
                sentFrom++;
            }
        }
        if (sentFrom > 0) logger.LogInformation("Sweep: events left unsent on {Records} records sent", sentFrom);
        return sentFrom;
    }

    /// <summary>Events a stream refused as malformed: they are never sent again.</summary>
    public async Task<int> DeadLetteredAsync(CancellationToken ct)
    {
        try
        {
            return (await storage.Queues.GetQueueClient(EventStreams.DeadLetter).GetPropertiesAsync(ct)).Value.ApproximateMessagesCount;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return 0;
        }
    }

    private async Task SendToAsync(string stream, PendingEvent e, CancellationToken ct)
    {
        try
        {
            await storage.Queues.GetQueueClient(stream).SendMessageAsync(e.Json, visibilityTimeout: null, timeToLive: Keep, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 400 or 413)
        {
            // Malformed or too large for a queue message: no retry can send it. Kept where the office sees it.
            logger.LogError("Event {EventId} refused by stream {Stream} ({Reason}): dead-lettered", e.Id, stream, ex.ErrorCode);
            var note = System.Text.Json.JsonSerializer.Serialize(new { stream, reason = ex.ErrorCode ?? ex.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), id = e.Id, source = e.Source },
                PipelineEvents.Json);
            await storage.Queues.GetQueueClient(EventStreams.DeadLetter).SendMessageAsync(note, visibilityTimeout: null, timeToLive: TimeSpan.FromSeconds(-1), ct);
        }
    }

    /// <summary>Takes the sent events off the record's outbox, on its ETag; a record changed meanwhile is read again (its newer events stay).</summary>
    private static async Task TakeOffAsync(TableClient table, string partitionKey, string rowKey, IReadOnlyList<string> sent, string? outbox, ETag etag,
        CancellationToken ct)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var rest = EventOutbox.Without(outbox, sent.ToHashSet(StringComparer.Ordinal));
            var patch = new TableEntity(partitionKey, rowKey) { [EventOutbox.OutboxProperty] = rest ?? "", [EventOutbox.PendingProperty] = rest is not null };
            try
            {
                await table.UpdateEntityAsync(patch, etag, TableUpdateMode.Merge, ct);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                var now = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, [EventOutbox.OutboxProperty], ct);
                if (!now.HasValue) return;
                (outbox, etag) = (now.Value!.GetString(EventOutbox.OutboxProperty), now.Value.ETag);
                if (!EventOutbox.Read(outbox).Any(e => sent.Contains(e.Id))) return;
            }
        }
    }
}
