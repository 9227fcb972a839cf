using System.Text.Json;

namespace MineIngest.Cli;

/// <summary>Exit codes: what a scheduled job on an office PC can act on.</summary>
public static class ExitCodes
{
    public const int AllWentThrough = 0;
    public const int RowsRejected = 1;
    public const int Error = 2;
}

public enum CliFailure
{
    /// <summary>Bad input or an answer that will not change by trying again.</summary>
    Invalid,
    /// <summary>The API, storage or the network is down or slow: worth retrying.</summary>
    Transient,
    /// <summary>The key was refused (401/403): retrying cannot help.</summary>
    Refused,
}

/// <summary>A failure to tell the clerk in plain words.</summary>
public sealed class CliException(string message, CliFailure kind = CliFailure.Invalid) : Exception(message)
{
    public CliFailure Kind { get; } = kind;
    public bool Transient => Kind == CliFailure.Transient;
}

/// <summary>Settings from, in order: command-line options, environment (MINEINGEST_*), the config file.</summary>
public sealed record CliSettings(string Api, string? Key, string? Province, string? FunctionKey, string Storage)
{
    public const string DefaultApi = "http://localhost:7071/api";

    public static CliSettings Resolve(
        Func<string, string?> environment, string? configPath, string? api, string? key, string? province, string? storage)
    {
        var file = ReadConfig(environment, configPath);
        string? Pick(string? option, string variable, string name) =>
            NotEmpty(option) ?? NotEmpty(environment(variable)) ?? (file.TryGetValue(name, out var value) ? NotEmpty(value) : null);
        return new CliSettings(
            (Pick(api, "MINEINGEST_API", "api") ?? DefaultApi).TrimEnd('/'),
            Pick(key, "MINEINGEST_KEY", "key"),
            Pick(province, "MINEINGEST_PROVINCE", "province"),
            Pick(null, "MINEINGEST_FUNCTION_KEY", "functionKey"),
            Pick(storage, "MINEINGEST_STORAGE", "storage") ?? "UseDevelopmentStorage=true");
    }

    public string RequireKey() => Key ?? throw new CliException(
        "No upload key: pass --key, set MINEINGEST_KEY, or put \"key\" in the config file. The programme office gives each province its key.");

    public string RequireProvince() => Province ?? throw new CliException(
        "No province: pass --province (for example --province kerman), or set MINEINGEST_PROVINCE.");

    /// <summary>The config file: --config, else MINEINGEST_CONFIG, else ~/.config/mineingest/config.json when it exists.</summary>
    private static Dictionary<string, string?> ReadConfig(Func<string, string?> environment, string? configPath)
    {
        var explicitPath = NotEmpty(configPath) ?? NotEmpty(environment("MINEINGEST_CONFIG"));
        var path = explicitPath ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "mineingest", "config.json");
        if (!File.Exists(path))
        {
            if (explicitPath is not null) throw new CliException($"The config file {path} does not exist.");
            return [];
        }
        try
        {
            var values = JsonSerializer.Deserialize<Dictionary<string, string?>>(File.ReadAllText(path)) ?? [];
            return new Dictionary<string, string?>(values, StringComparer.OrdinalIgnoreCase);
        }
        catch (JsonException ex)
        {
            throw new CliException($"The config file {path} is not valid JSON ({ex.Message}). It should look like {{\"api\": \"https://...\", \"province\": \"kerman\", \"key\": \"...\"}}.");
        }
    }

    private static string? NotEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
