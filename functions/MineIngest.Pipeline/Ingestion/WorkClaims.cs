using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Ingestion;

/// <summary>
/// Claims on queued work (a chunk being scored, a page of re-scoring or of a withdrawal) that expire in seconds: the
/// instance doing the work writes one when it begins and renews it every third of <see cref="PipelineOptions.ClaimSeconds"/>
/// while it works, and deletes it when done. The queue's own hold on a message cannot say this: under the Functions host
/// it lasts 10 minutes, however soon the instance died. So the sweep sends the message of an expired claim again within
/// seconds of its holder's death (<see cref="ReclaimExpiredAsync"/>), and never sends again work whose claim is renewed,
/// however slow: a live instance is never doubled. One table, PartitionKey the queue, RowKey the work's key.
/// </summary>
public sealed class WorkClaims(StorageClients storage, IOptions<PipelineOptions> options, TimeProvider time, ILogger<WorkClaims> logger)
{
    /// <summary>Names this process in its claims (machine and process id), for an operator reading the table after a death.</summary>
    public static string Instance { get; } = $"{Environment.MachineName}/{Environment.ProcessId}";

    private TimeSpan Length => TimeSpan.FromSeconds(options.Value.ClaimSeconds);
    private int _inHand;

    /// <summary>How many pieces of work (claimed work, files being read) this instance is doing now: background chores wait for none.</summary>
    public int InHand => Volatile.Read(ref _inHand);

    private long _lastDoneTicks;

    /// <summary>
    /// Whether this instance has done no work for <paramref name="span"/>: between two chunks of a survey it holds none
    /// for a moment, which is no pause.
    /// </summary>
    public bool IdleFor(TimeSpan span) => InHand == 0 && time.GetUtcNow().UtcTicks - Interlocked.Read(ref _lastDoneTicks) >= span.Ticks;

    private void Finished()
    {
        Interlocked.Exchange(ref _lastDoneTicks, time.GetUtcNow().UtcTicks);
        Interlocked.Decrement(ref _inHand);
    }

    /// <summary>Counts work that holds its claim elsewhere (a file being read) in <see cref="InHand"/> until disposed.</summary>
    public IDisposable Busy()
    {
        Interlocked.Increment(ref _inHand);
        return new Done(this);
    }

    private sealed class Done(WorkClaims claims) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) claims.Finished();
        }
    }

    /// <summary>Runs <paramref name="work"/> under a claim renewed while it runs; the claim is gone when it ends, however it ends.</summary>
    public async Task RunAsync(string queue, string key, string message, Func<CancellationToken, Task> work, CancellationToken ct)
    {
        var claim = new TableEntity(queue, key) { ["Message"] = message, ["Until"] = time.GetUtcNow() + Length, ["By"] = Instance };
        Interlocked.Increment(ref _inHand);
        try
        {
            await RunClaimedAsync(claim, work, ct);
        }
        finally
        {
            Finished();
        }
    }

    private async Task RunClaimedAsync(TableEntity claim, Func<CancellationToken, Task> work, CancellationToken ct)
    {
        var (queue, key) = (claim.PartitionKey, claim.RowKey);
        await storage.Claims.UpsertEntityAsync(claim, TableUpdateMode.Replace, ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renewing = RenewAsync(queue, key, stop.Token);
        try
        {
            await work(ct);
        }
        finally
        {
            await stop.CancelAsync();
            await renewing;
            // Failed work is retried through its queue message, not through the claim.
            try
            {
                await storage.Claims.DeleteEntityAsync(queue, key, ETag.All, CancellationToken.None);
            }
            catch (RequestFailedException ex)
            {
                // Left to expire: the sweep that finds it sends the message again, which finds the work done (or does it).
                logger.LogDebug(ex, "Could not delete the claim on {Queue} {Key}", queue, key);
            }
        }
    }

    private async Task RenewAsync(string queue, string key, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Length / 3, time, ct);
                var renewal = new TableEntity(queue, key) { ["Until"] = time.GetUtcNow() + Length };
                try
                {
                    await storage.Claims.UpdateEntityAsync(renewal, ETag.All, TableUpdateMode.Merge, ct);
                }
                catch (RequestFailedException ex) when (ex.Status == 404)
                {
                    // Taken up by a sweep after a pause longer than the claim: the work goes on here too and counts once.
                    logger.LogWarning("The claim on {Queue} {Key} expired and was taken up elsewhere", queue, key);
                    return;
                }
                catch (RequestFailedException ex) when (!ct.IsCancellationRequested)
                {
                    // Storage slow or away: the next renewal may still come in time; if not, the work is sent again and counted once.
                    logger.LogWarning("Could not renew the claim on {Queue} {Key}: {Reason}", queue, key, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The keys of one queue's live claims (renewed by a live instance) that begin with <paramref name="prefix"/>: one keyed
    /// range query. Work among them is slow, not stalled: sending it again would double a live instance's work.
    /// </summary>
    public async Task<HashSet<string>> LiveKeysAsync(string queue, string prefix, CancellationToken ct)
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var e in storage.Claims.QueryAsync<TableEntity>(
                           TableClient.CreateQueryFilter($"PartitionKey eq {queue} and RowKey ge {prefix} and RowKey lt {prefix + '\uffff'}"),
                           select: ["RowKey", "Until"], cancellationToken: ct))
        {
            if (e.GetDateTimeOffset("Until") is { } until && until > time.GetUtcNow()) live.Add(e.RowKey);
        }
        return live;
    }

    /// <summary>
    /// Sends again the message of every claim whose holder stopped renewing it (an instance that died mid-work), once:
    /// the claim is deleted first, on its ETag, so a claim renewed meanwhile stays and is not sent. Returns how many.
    /// </summary>
    /// <remarks>One query of the whole table: it holds only the work in hand at this moment.</remarks>
    public async Task<int> ReclaimExpiredAsync(CancellationToken ct)
    {
        var sent = 0;
        var expired = new List<ExpiredClaim>();
        await foreach (var e in storage.Claims.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey", "Until"], cancellationToken: ct))
        {
            var until = e.GetDateTimeOffset("Until") ?? DateTimeOffset.MinValue;
            if (until <= time.GetUtcNow() && PipelineOptions.ClaimedQueues.Contains(e.PartitionKey)) expired.Add(new ExpiredClaim(e.PartitionKey, e.RowKey, until, e.ETag));
        }
        foreach (var claim in expired)
        {
            var stored = await storage.Claims.GetEntityIfExistsAsync<TableEntity>(claim.Queue, claim.Key, cancellationToken: ct);
            if (!stored.HasValue || stored.Value!.ETag != claim.ETag) continue; // renewed or finished meanwhile
            try
            {
                await storage.Claims.DeleteEntityAsync(claim.Queue, claim.Key, claim.ETag, ct);
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                continue; // renewed, finished or taken up by another sweep meanwhile
            }
            await storage.Queues.GetQueueClient(claim.Queue).SendMessageAsync(stored.Value.GetString("Message") ?? "", ct);
            sent++;
            logger.LogWarning("Work {Key} on {Queue} was claimed until {Until} and not renewed: its holder stopped; sent again", claim.Key, claim.Queue, claim.Until);
        }
        return sent;
    }

    private sealed record ExpiredClaim(string Queue, string Key, DateTimeOffset Until, ETag ETag);
}
