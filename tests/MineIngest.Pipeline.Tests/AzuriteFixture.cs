using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MineIngest.Domain;
using MineIngest.LocalHost;
using MineIngest.Pipeline;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// Ports for one test's processes, held for its life: blocks of four below the kernel's ephemeral range (so no outgoing
/// connection and no port-0 listener takes one between the check and the bind), each block locked by a file that every
/// test process on the machine respects (two suites at once never pick the same block).
/// </summary>
public sealed class PortBlock : IDisposable
{
    private const int First = 20_000, Blocks = 3_000, Size = 4;
    private static readonly string LockFolder = Path.Combine(Path.GetTempPath(), "mineingest-test-ports");
    private readonly FileStream _lock;

    public int Port { get; }

    private PortBlock(int port, FileStream held)
    {
        Port = port;
        _lock = held;
    }

    public static PortBlock Reserve()
    {
        Directory.CreateDirectory(LockFolder);
        for (var tries = 0; tries < 200; tries++)
        {
            var port = First + Random.Shared.Next(Blocks) * Size;
            FileStream held;
            try
            {
                // FileShare.None takes an exclusive lock on the file, released when this process ends however it ends.
                held = new FileStream(Path.Combine(LockFolder, $"{port}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) { continue; }
            if (Enumerable.Range(port, Size).All(Azurite.IsFree)) return new PortBlock(port, held);
            held.Dispose();
        }
        throw new InvalidOperationException("No free block of test ports found.");
    }

    public void Dispose() => _lock.Dispose();
}

/// <summary>Starts a real Azurite (scripts/azurite.sh) on free ports with its data in a temporary folder.</summary>
public sealed class Azurite : IDisposable
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>The build configuration the tests run in, to find the other projects' outputs beside them.</summary>
    public static string BuildConfiguration { get; } = AppContext.BaseDirectory.Contains("/bin/Release/") ? "Release" : "Debug";
    public string ConnectionString { get; }
    public string DataFolder => _data;
    private int _pid;
    private PortBlock _ports;
    private int _basePort;
    private readonly string _data;
    /// <summary>Ports reserved for hosts this test starts, released with this Azurite.</summary>
    private readonly List<PortBlock> _hostPorts = [];

    public Azurite()
    {
        _data = Directory.CreateTempSubdirectory("mineingest-azurite-").FullName;
        _ports = PortBlock.Reserve();
        _basePort = _ports.Port;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Start();
                break;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // A process outside the tests took a port of the block: another block.
                _ports.Dispose();
                _ports = PortBlock.Reserve();
                _basePort = _ports.Port;
            }
        }
        ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
            "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
            $"BlobEndpoint=http://127.0.0.1:{_basePort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{_basePort + 1}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{_basePort + 2}/devstoreaccount1;";
    }

    /// <summary>
    /// The pipeline's services on this Azurite with no host at all (no trigger listens): what a Functions instance holds,
    /// for tests that call the services the triggers would. Settings as "Section:Key" = value.
    /// </summary>
    public ServiceProvider PipelineServices(IEnumerable<(string Key, string Value)> settings, StorageRequestCounter? counter = null)
    {
        var values = settings.ToDictionary(s => s.Key, s => (string?)s.Value);
        values["AzureWebJobsStorage"] = ConnectionString;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection().AddLogging();
        if (counter is not null) services.AddSingleton(StorageClients.FromConfiguration(configuration, counter));
        return services.AddMineIngest(configuration).BuildServiceProvider();
    }

    /// <summary>Starts Azurite on this instance's ports and data folder (again, after <see cref="Stop"/>).</summary>
    public void Start()
    {
        var start = Process.Start(new ProcessStartInfo("bash", [Path.Combine(RepoRoot, "scripts", "azurite.sh"), _data, _basePort.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        var output = start.StandardOutput.ReadToEnd();
        var error = start.StandardError.ReadToEnd();
        start.WaitForExit();
        if (start.ExitCode != 0 || !int.TryParse(output.Trim(), out _pid)) throw new InvalidOperationException("Azurite did not start: " + error);
    }

    /// <summary>Stops Azurite as an operator would (SIGTERM: it saves its data) and waits until it has gone.</summary>
    public async Task StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _pid.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (IsRunning(_pid))
        {
            // Azurite closes its services (saving its data) and then, with clients still connected, may linger: end it then.
            if (File.ReadAllText(Path.Combine(_data, "azurite.log")).Split("successfully closed").Length > 3)
            {
                await Task.Delay(500);
                try { Process.GetProcessById(_pid).Kill(); } catch (ArgumentException) { }
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Azurite did not stop within 30 s.");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Holds Azurite still (SIGSTOP): its ports stay open and every request waits unanswered, as a storage account does
    /// when it is slow, until <see cref="Resume"/>.
    /// </summary>
    public void Pause() => Signal("-STOP");

    public void Resume() => Signal("-CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [signal, _pid.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill {signal} {_pid} failed");
    }

    /// <summary>Alive and not a zombie (Azurite is a grandchild; whoever adopts it may reap it late).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException) { return false; }
    }

    internal static bool IsFree(int port)
    {
        try
        {
            var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (System.Net.Sockets.SocketException) { return false; }
    }

    /// <summary>A port for a host of this test, reserved like Azurite's until this Azurite is disposed.</summary>
    public int HostPort()
    {
        var block = PortBlock.Reserve();
        lock (_hostPorts) _hostPorts.Add(block);
        return block.Port;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MineIngest.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("MineIngest.sln not found above the test folder.");
    }

    public void Dispose()
    {
        // By its process id, and waited for: an Azurite that lingers would hold the ports the next test reserves.
        try
        {
            using var process = Process.GetProcessById(_pid);
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (ArgumentException) { }
        catch (InvalidOperationException) { }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (IsRunning(_pid) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        _ports.Dispose();
        lock (_hostPorts) _hostPorts.ForEach(p => p.Dispose());
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Scoring that always throws for mines whose id starts with FAULT-: a mine whose scoring keeps failing, which must end failed and visible.</summary>
public sealed class FaultInjectingScoring(RevivalScorer scorer) : IMineScoring
{
    public Score Score(Mine mine) => mine.MineId.StartsWith("FAULT-", StringComparison.OrdinalIgnoreCase)
        ? throw new InvalidOperationException($"Injected fault scoring {mine.MineId}")
        : scorer.Score(mine);
}

/// <summary>Azurite plus the local host in this process, with a fault injected in scoring and quick retries.</summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    public Azurite Azurite { get; } = new();
    public HttpClient Http { get; private set; } = null!;
    public BlobContainerClient Surveys { get; private set; } = null!;
    private WebApplication? _app;

    public async Task InitializeAsync()
    {
        var url = $"http://127.0.0.1:{Azurite.HostPort()}";
        _app = LocalHostApp.Build(
            [$"--AzureWebJobsStorage={Azurite.ConnectionString}", $"--urls={url}",
             "--extensions:queues:visibilityTimeout=00:00:00.500", "--extensions:queues:maxPollingInterval=00:00:00.500",
             "--Pipeline:MineViewRefreshSeconds=0", "--Pipeline:RowsPerChunk=3", "--LocalHost:SweepSeconds=0.5", "--Logging:LogLevel:Default=Warning"],
            b => b.Services.Replace(ServiceDescriptor.Singleton<IMineScoring, FaultInjectingScoring>()));
        await _app.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri(url) };
        Surveys = new BlobContainerClient(Azurite.ConnectionString, PipelineOptions.SurveysContainer);
        await Surveys.CreateIfNotExistsAsync();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Http.Dispose();
        Azurite.Dispose();
    }

    public Task UploadAsync(string blobName, byte[] content) =>
        Surveys.GetBlobClient(blobName).UploadAsync(BinaryData.FromBytes(content), overwrite: true);

    public static Task<JsonElement> GetJsonAsync(HttpClient http, string path) => http.GetFromJsonAsync<JsonElement>(path);

    /// <summary>Polls until the newest survey of the blob is no longer processing; fails after the timeout.</summary>
    public static async Task<JsonElement> WaitForSurveyAsync(HttpClient http, string blobName, int expectedSurveys = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            try
            {
                var list = await GetJsonAsync(http, $"/api/surveys?blob={Uri.EscapeDataString(blobName)}");
                var items = list.GetProperty("items");
                if (items.GetArrayLength() >= expectedSurveys && items[0].GetProperty("status").GetString() != "processing")
                    return await GetJsonAsync(http, $"/api/surveys/{items[0].GetProperty("id").GetString()}");
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Survey {blobName} did not complete in time.");
            await Task.Delay(250);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "pipeline";
}
