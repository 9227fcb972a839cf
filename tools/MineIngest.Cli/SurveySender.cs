using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using MineIngest.Domain;
using Spectre.Console;

namespace MineIngest.Cli;

/// <summary>Sends one file: asks the API for an upload URL (the valet key), then writes the blob straight to storage.</summary>
public sealed class SurveySender(ApiClient api, IAnsiConsole console)
{
    /// <summary>Files above this size get a progress bar (when the console can draw one).</summary>
    private const long ProgressThreshold = 1024 * 1024;

    public async Task<string> SendAsync(FileInfo file, string province, CancellationToken ct)
    {
        if (!file.Exists) throw new CliException($"{file.FullName} does not exist.");
        if (!UploadFileNames.TryClean(file.Name, out _, out var problem)) throw new CliException($"{problem!.English}\n{problem.Persian}");
        var ticket = await api.RequestUploadAsync(province, file.Name, ct);

        var blob = new BlobClient(ticket.UploadUrl, new BlobClientOptions { Retry = { MaxRetries = 5, NetworkTimeout = TimeSpan.FromMinutes(2) } });
        var options = new BlobUploadOptions
        {
            // The name is new; never replace a blob that somehow exists.
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            // Small blocks: on a poor line a failed block is cheap to resend.
            TransferOptions = new StorageTransferOptions { InitialTransferSize = 4 * 1024 * 1024, MaximumTransferSize = 1024 * 1024 },
        };
        try
        {
            if (file.Length > ProgressThreshold && console.Profile.Capabilities.Interactive)
            {
                await console.Progress().StartAsync(async progress =>
                {
                    var task = progress.AddTask(Markup.Escape(file.Name), maxValue: file.Length);
                    options.ProgressHandler = new Progress<long>(sent => task.Value = sent);
                    await UploadAsync(blob, file, options, ct);
                    task.Value = file.Length;
                });
            }
            else
            {
                await UploadAsync(blob, file, options, ct);
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 403 && ex.ErrorCode == "AuthenticationFailed")
        {
            throw new CliException($"The upload URL for {file.Name} expired before the file was sent. Try again.", CliFailure.Transient);
        }
        catch (RequestFailedException ex) when (ex.Status is 0 or >= 500 or 408)
        {
            throw new CliException($"Sending {file.Name} failed ({ex.Message.Split('\n')[0]}).", CliFailure.Transient);
        }
        catch (AggregateException ex) when (ex.InnerException is HttpRequestException or RequestFailedException)
        {
            throw new CliException($"Sending {file.Name} failed ({ex.InnerException!.Message.Split('\n')[0]}).", CliFailure.Transient);
        }
        console.MarkupLineInterpolated($"Sent [bold]{file.Name}[/] as {ticket.Blob}");
        return ticket.Blob;
    }

    private static async Task UploadAsync(BlobClient blob, FileInfo file, BlobUploadOptions options, CancellationToken ct)
    {
        await using var stream = file.OpenRead();
        await blob.UploadAsync(stream, options, ct);
    }
}
