using Azure.Storage.Blobs;
using MineIngest.LocalHost;
using MineIngest.Pipeline;
using MineIngest.Pipeline.Records;

// "upload FILE FOLDER": a convenience for the local stack, putting a file where a province's upload lands.
if (args is ["upload", var file, var folder, ..])
{
    var connection = Environment.GetEnvironmentVariable(StorageClients.ConnectionName) ?? "UseDevelopmentStorage=true";
    var container = new BlobContainerClient(connection, PipelineOptions.SurveysContainer);
    await container.CreateIfNotExistsAsync();
    var blob = container.GetBlobClient($"{folder.Trim('/')}/{Path.GetFileName(file)}");
    await blob.UploadAsync(file, overwrite: true);
    Console.WriteLine($"Uploaded {file} to {PipelineOptions.SurveysContainer}/{blob.Name}");
    return;
}

await LocalHostApp.Build(args).RunAsync();
