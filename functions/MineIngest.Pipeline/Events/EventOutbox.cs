using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Messaging;

namespace MineIngest.Pipeline.Events;

/// <summary>A record that carries the events of its own changes until they are sent (the transactional outbox).</summary>
public interface IHasOutbox
{
    /// <summary>The events not yet known to be in their streams, oldest first: a JSON array of CloudEvents.</summary>
    string? Outbox { get; set; }
    /// <summary>When the oldest of them was recorded: the sweep sends those left longer than <see cref="EventOptions.SendLeftAfterSeconds"/>.</summary>
    DateTimeOffset? OutboxSince { get; set; }
    /// <summary>True while <see cref="Outbox"/> holds any: what the sweep's query asks for.</summary>
    bool OutboxPending { get; set; }
}

/// <summary>An event waiting in an outbox: its id, its source (which says its streams) and its JSON.</summary>
public sealed record PendingEvent(string Id, string Source, string Json);

/// <summary>
/// The outbox: an event is written into the very entity whose change it reports, in the same write, so it exists exactly
/// when the change does; <see cref="EventPublisher"/> sends it afterwards and takes it off. An instance that dies between
/// the two leaves it there for the sweep; a write that failed recorded no event.
/// </summary>
public static class EventOutbox
{
    public const string OutboxProperty = nameof(IHasOutbox.Outbox);
    public const string SinceProperty = nameof(IHasOutbox.OutboxSince);
    public const string PendingProperty = nameof(IHasOutbox.OutboxPending);

    /// <summary>Adds the event to the holder's outbox (once: an event with its id already there is not added again).</summary>
    public static void Add(IHasOutbox holder, CloudEvent e, DateTimeOffset now)
    {
        var events = Parse(holder.Outbox);
        if (events.Any(n => n?["id"]?.GetValue<string>() == e.Id)) return;
        events.Add(JsonNode.Parse(PipelineEvents.ToJson(e)));
        holder.Outbox = events.ToJsonString(PipelineEvents.Json);
        if (!holder.OutboxPending || holder.OutboxSince is null) holder.OutboxSince = now;
        holder.OutboxPending = true;
    }

    public static IReadOnlyList<PendingEvent> Read(string? outbox) =>
        Parse(outbox).Where(n => n is not null)
            .Select(n => new PendingEvent(n!["id"]?.GetValue<string>() ?? "", n["source"]?.GetValue<string>() ?? "", n.ToJsonString(PipelineEvents.Json)))
            .ToList();

    /// <summary>The outbox without the given events; null when none is left.</summary>
    public static string? Without(string? outbox, IReadOnlyCollection<string> ids)
    {
        var rest = new JsonArray(Parse(outbox).Where(n => n is not null && !ids.Contains(n["id"]?.GetValue<string>() ?? "")).Select(n => n!.DeepClone()).ToArray());
        return rest.Count == 0 ? null : rest.ToJsonString(PipelineEvents.Json);
    }

    /// <summary>The outbox of a record kept as a plain <see cref="TableEntity"/> (the re-scoring status).</summary>
    public static IHasOutbox Of(TableEntity entity) => new TableEntityOutbox(entity);

    private static JsonArray Parse(string? outbox) =>
        string.IsNullOrEmpty(outbox) ? [] : JsonNode.Parse(outbox) as JsonArray ?? throw new JsonException("An outbox is not a JSON array.");

    private sealed class TableEntityOutbox(TableEntity entity) : IHasOutbox
    {
        public string? Outbox { get => entity.GetString(OutboxProperty); set => entity[OutboxProperty] = value ?? ""; }
        public DateTimeOffset? OutboxSince { get => entity.GetDateTimeOffset(SinceProperty); set => entity[SinceProperty] = value; }
        public bool OutboxPending { get => entity.GetBoolean(PendingProperty) ?? false; set => entity[PendingProperty] = value; }
    }
}
