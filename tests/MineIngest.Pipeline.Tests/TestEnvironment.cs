using System.Runtime.CompilerServices;

namespace MineIngest.Pipeline.Tests;

internal static class TestEnvironment
{
    /// <summary>
    /// Every host a test starts (in this process or as a child) gets budgets no test reaches: the tests ask hundreds of
    /// questions a second from one address, and only the rate-limit tests are about limits (they set their own, on the
    /// command line, which comes before the environment).
    /// </summary>
    [ModuleInitializer]
    internal static void UnlimitedBudgets()
    {
        foreach (var name in new[] { "Reads", "Exports", "Validations", "UploadLinks", "Writes", "Public" })
            Environment.SetEnvironmentVariable($"RateLimits__{name}PerMinute", "1000000");
    }
}
