using System.Globalization;
using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Office;

/// <summary>What a change was: the audit list's action names.</summary>
public static class AuditActions
{
    public const string UploadLink = "upload-link", Solution = "solution", Committee = "committee", Withdrawal = "withdrawal",
        Rescore = "rescore", KeyCreated = "key-created", KeyRevoked = "key-revoked", Backup = "backup", EventStreamLink = "event-stream-link",
        Photo = "photo";

    public static readonly IReadOnlyList<string> All = [UploadLink, Solution, Committee, Withdrawal, Rescore, KeyCreated, KeyRevoked, Backup, EventStreamLink, Photo];
}

/// <summary>One change to the record: partition the UTC month (yyyy-MM), row the time and a random suffix (oldest first).</summary>
public sealed class AuditEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
    public DateTimeOffset At { get; set; }
    public string Action { get; set; } = "";
    /// <summary>The province (upload folder) the change concerns, "office" for the programme as a whole.</summary>
    public string Province { get; set; } = "";
    /// <summary>What was changed: a survey id, a mine id, a committee meeting, a key id, a blob name.</summary>
    public string Subject { get; set; } = "";
    public string? Detail { get; set; }
    public string ActorKind { get; set; } = "";
    public string ActorId { get; set; } = "";
    public string ActorName { get; set; } = "";
}

public sealed record AuditEntry(DateTimeOffset At, string Action, string Province, string Subject, string? Detail, string ActorKind, string ActorId, string ActorName)
{
    public static AuditEntry From(AuditEntity e) => new(e.At, e.Action, e.Province, e.Subject, e.Detail, e.ActorKind, e.ActorId, e.ActorName);
}

/// <summary>
/// Who changed what, when: upload links issued, solutions, committee meetings, withdrawals, re-scoring, keys. Written
/// before the route answers (a change whose entry cannot be written fails with it); read by month partitions, so a
/// period's list costs one query per month and never scans the table.
/// </summary>
public sealed class AuditLog(StorageClients storage, TimeProvider time)
{
    public const string OfficeScope = ProvinceKeyStore.OfficeScope;

    public async Task RecordAsync(Actor actor, string action, string province, string subject, string? detail, CancellationToken ct)
    {
        var at = time.GetUtcNow();
        var entity = new AuditEntity
        {
            PartitionKey = Month(at), RowKey = $"{at.UtcTicks:D19}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}",
            At = at, Action = action, Province = province, Subject = subject, Detail = detail,
            ActorKind = actor.Kind, ActorId = actor.Id, ActorName = actor.Name,
        };
        await storage.Audit.AddEntityAsync(entity, ct);
    }

    /// <summary>The entries from <paramref name="from"/> to <paramref name="to"/> (UTC, inclusive), oldest first, filtered by province and action.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset from, DateTimeOffset to, string? province, string? action, CancellationToken ct)
    {
        var entries = new List<AuditEntry>();
        for (var month = new DateTimeOffset(from.Year, from.Month, 1, 0, 0, 0, TimeSpan.Zero); month <= to; month = month.AddMonths(1))
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Month(month)} and RowKey ge {$"{from.UtcTicks:D19}"} and RowKey lt {$"{to.UtcTicks + 1:D19}"}");
            if (province is not null) filter += " and " + TableClient.CreateQueryFilter($"Province eq {province}");
            if (action is not null) filter += " and " + TableClient.CreateQueryFilter($"Action eq {action}");
            await foreach (var e in storage.Audit.QueryAsync<AuditEntity>(filter, cancellationToken: ct)) entries.Add(AuditEntry.From(e));
        }
        return entries;
    }

    private static string Month(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);
}
