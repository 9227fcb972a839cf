namespace MineIngest.Pipeline.Tests;

/// <summary>The `mineingest` command as a person runs it (<see cref="CommandLine"/>), with no environment: its exit code and what it printed; and keys made with it.</summary>
internal static class TestCli
{
    public static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        // No MINEINGEST_* from the machine running the tests: an empty environment.
        var exit = await CommandLine.RunAsync(args, [], output, api: null);
        return (exit, output.ToString());
    }

    /// <summary>A new key of a province (or "office" for the writer key), made straight in storage as the office makes one.</summary>
    public static async Task<string> KeyAsync(Azurite azurite, string province)
    {
        var (exit, output) = await RunAsync("keys", "create", "--province", province, "--storage", azurite.ConnectionString);
        Assert.True(exit == 0, output);
        return output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(province + ".", StringComparison.Ordinal));
    }
}
