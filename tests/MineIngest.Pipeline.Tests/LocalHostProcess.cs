using System.Collections.Concurrent;
using System.Diagnostics;

namespace MineIngest.Pipeline.Tests;

/// <summary>The local host as its own process, the way ./run.sh runs it, against a test's Azurite.</summary>
public sealed class LocalHostProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    public string Url { get; }
    public HttpClient Http { get; }

    private LocalHostProcess(Process process, string url)
    {
        _process = process;
        Url = url;
        Http = new HttpClient { BaseAddress = new Uri(url) };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) Keep(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Keep(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <param name="settings">Extra command-line settings, such as "--Pipeline:RowsPerChunk=500".</param>
    public static LocalHostProcess Start(Azurite azurite, string? url = null, params string[] settings)
    {
        url ??= $"http://127.0.0.1:{azurite.HostPort()}";
        var dll = Path.Combine(Azurite.RepoRoot, "functions", "MineIngest.LocalHost", "bin", Azurite.BuildConfiguration, "net10.0", "MineIngest.LocalHost.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", url, "--Pipeline:MineViewRefreshSeconds=0", "--Logging:LogLevel:Default=Warning", .. settings])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["AzureWebJobsStorage"] = azurite.ConnectionString;
        return new LocalHostProcess(Process.Start(start)!, url);
    }

    public bool HasExited => _process.HasExited;
    public int ProcessId => _process.Id;
    public int ExitCode => _process.ExitCode;

    /// <summary>The last lines the host wrote, for a failing test's message.</summary>
    public string LogTail => string.Join('\n', _log.TakeLast(40));

    private void Keep(string line)
    {
        _log.Enqueue(line);
        while (_log.Count > 400) _log.TryDequeue(out _);
    }

    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        Http.Dispose();
    }
}
