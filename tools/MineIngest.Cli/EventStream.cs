using System.Text.Json;
using Azure.Messaging;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Events;

namespace MineIngest.Cli;

/// <summary>An event read from a stream, with the message that carries it (needed to take it off).</summary>
public sealed record StreamEvent(CloudEvent Event, QueueMessage Message, string Json)
{
    /// <summary>The event's data, parsed once (a line about an event reads several of its fields).</summary>
    private JsonElement DataJson { get; } = Event.Data is { } data ? JsonDocument.Parse(data).RootElement.Clone() : default;

    /// <summary>A string field of the event's data ("blob", "survey"), or null.</summary>
    public string? Data(string name) =>
        DataJson.ValueKind == JsonValueKind.Object && DataJson.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public int Count(string name) =>
        DataJson.ValueKind == JsonValueKind.Object && DataJson.TryGetProperty(name, out var value) && value.TryGetInt32(out var n) ? n : 0;
}

/// <summary>
/// A province's (or the office's) event stream, read with the link the API hands out (renewed before it expires), or
/// with the reader's own Entra sign-in where the API holds no key to sign one. Receiving hides a message for a while;
/// it leaves the stream only when <see cref="TakeOffAsync"/> is called, so an event is never lost to a reader that stopped.
/// </summary>
public sealed class EventStream(ApiClient api, CliSettings settings, string? province, string? writerKey)
{
    private QueueClient? _queue;
    private DateTimeOffset? _expiresOn;

    public string Name { get; private set; } = province is null ? EventStreams.Office : EventStreams.OfFolder(province);

    /// <summary>How long a receive under way may finish after the reader is stopped (a stream that does not answer still lets it stop).</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    public async Task<IReadOnlyList<StreamEvent>> ReceiveAsync(TimeSpan hideFor, CancellationToken ct)
    {
        var queue = await QueueAsync(ct);
        QueueMessage[] messages;
        // A receive is not cut off when the reader stops (Ctrl-C, a watch ended): cut off after the stream had taken
        // the messages, they would stay hidden from every reader for hideFor. It finishes, and what it took is shown again.
        using var grace = new CancellationTokenSource();
        using (ct.Register(() => grace.CancelAfter(StopGrace)))
        {
            try
            {
                messages = (await queue.ReceiveMessagesAsync(32, hideFor, grace.Token)).Value;
            }
            catch (Azure.RequestFailedException ex) when (ex.Status is 0 or >= 500 or 408)
            {
                throw new CliException($"The event stream {Name} did not answer ({ex.Message.Split('\n')[0]}).", CliFailure.Transient);
            }
        }
        if (ct.IsCancellationRequested)
        {
            foreach (var message in messages)
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None);
            ct.ThrowIfCancellationRequested();
        }
        var events = new List<StreamEvent>(messages.Length);
        foreach (var message in messages)
        {
            try
            {
                if (CloudEvent.Parse(message.Body) is { } e) events.Add(new StreamEvent(e, message, message.Body.ToString()));
            }
            catch (Exception ex) when (ex is JsonException or ArgumentException or FormatException)
            {
                // Not an event of ours: left in the stream for whoever put it there.
            }
        }
        return events;
    }

    public async Task TakeOffAsync(StreamEvent e, CancellationToken ct)
    {
        try
        {
            // Shown, so taken off even if the reader is being stopped: left, it would be shown twice, 10 s late.
            await (await QueueAsync(ct)).DeleteMessageAsync(e.Message.MessageId, e.Message.PopReceipt, CancellationToken.None);
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            // Hidden too long and taken by another reader, or already gone: it was delivered.
        }
    }

    private async Task<QueueClient> QueueAsync(CancellationToken ct)
    {
        if (_queue is not null && (_expiresOn is null || _expiresOn > DateTimeOffset.UtcNow.AddMinutes(5))) return _queue;
        var access = await api.RequestEventAccessAsync(province, writerKey, ct);
        Name = access.Stream;
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        _queue = access.SignedLink ? new QueueClient(access.QueueUrl, options)
            : new QueueClient(access.QueueUrl, settings.Credential ?? throw new CliException(
                $"The stream {access.Stream} is read with your own sign-in here: {CliSettings.HowToSignIn}"), options);
        _expiresOn = access.ExpiresOn;
        return _queue;
    }

    /// <summary>One line for a person: when, what, and the figures that matter.</summary>
    public static string Describe(StreamEvent e)
    {
        var what = e.Event.Type switch
        {
            EventTypes.SurveyReceived => $"{e.Data("blob")}: received ({e.Count("bytes"):N0} bytes{(e.Data("sentBy") is { } by ? ", sent by " + by : "")})",
            EventTypes.SurveyCompleted => $"{e.Data("blob")}: completed, rows {e.Count("rows")}, accepted {e.Count("accepted")}, rejected {e.Count("rejected")}, " +
                                          $"failed {e.Count("failed")}, warnings {e.Count("warnings")}",
            EventTypes.SurveyFailed => $"{e.Data("blob")}: the whole file was rejected: {e.Data("reason")}\n    {e.Data("reasonFa")}",
            EventTypes.SurveyWithdrawn => $"{e.Data("blob")}: withdrawn by {e.Data("by")} ({e.Data("reason")}): {e.Count("restored")} mines restored, " +
                                          $"{e.Count("removed")} removed, {e.Count("untouched")} untouched",
            _ => e.Event.Subject ?? "",
        };
        return $"{e.Event.Time?.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC  {e.Event.Type}  {what}";
    }
}
