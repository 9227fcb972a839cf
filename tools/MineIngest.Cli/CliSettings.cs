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
    /// <summary>Not there (404): a survey not read yet, an unknown id.</summary>
    Missing,
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
    /// <summary>How the command signs in, when MineIngest has sign-in on (null: it uses the province key).</summary>
    public Azure.Core.TokenCredential? Credential { get; init; }

    /// <summary>The scope a token is asked for: the API's application ID URI and /.default.</summary>
    public string Scope { get; init; } = "api://mineingest/.default";

    public const string HowToSignIn =
        "Sign in first: run `mineingest login` (a person), or set MINEINGEST_CLIENT_ID and MINEINGEST_CLIENT_SECRET (your province system's registration; MINEINGEST_TENANT, MINEINGEST_SCOPE), or MINEINGEST_MANAGED_IDENTITY=true where it runs in Azure; a province key (--key) only where the programme office allows keys.";

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
            Pick(storage, "MINEINGEST_STORAGE", "storage") ?? "UseDevelopmentStorage=true")
        {
            Credential = SignInCredential(environment),
            Scope = NotEmpty(environment("MINEINGEST_SCOPE")) ?? "api://mineingest/.default",
        };
    }

    /// <summary>
    /// Client credentials of the province system's own registration (Azure.Identity), or its managed identity in Azure.
    /// MINEINGEST_AUTHORITY_HOST and MINEINGEST_TRUST_CERT point it at another OpenID Connect provider (the local one).
    /// </summary>
    private static Azure.Core.TokenCredential? SignInCredential(Func<string, string?> environment)
    {
        var clientId = NotEmpty(environment("MINEINGEST_CLIENT_ID"));
        if (NotEmpty(environment("MINEINGEST_MANAGED_IDENTITY")) == "true")
            return new Azure.Identity.ManagedIdentityCredential(clientId is null ? Azure.Identity.ManagedIdentityId.SystemAssigned : Azure.Identity.ManagedIdentityId.FromUserAssignedClientId(clientId));
        var secret = NotEmpty(environment("MINEINGEST_CLIENT_SECRET"));
        var tenant = NotEmpty(environment("MINEINGEST_TENANT")) ?? "organizations";
        if (clientId is not null && secret is not null)
            return new Azure.Identity.ClientSecretCredential(tenant, clientId, secret, Authority(new Azure.Identity.ClientSecretCredentialOptions(), environment));
        // A person who ran `mineingest login`: their sign-in, renewed silently from the token cache, never prompting here.
        var record = SignInRecordPath(environment);
        if (!File.Exists(record)) return null;
        using var stream = File.OpenRead(record);
        var options = Authority(DeviceCodeOptions(environment), environment);
        options.AuthenticationRecord = Azure.Identity.AuthenticationRecord.Deserialize(stream);
        options.DisableAutomaticAuthentication = true;
        return new Azure.Identity.DeviceCodeCredential(options);
    }

    /// <summary>Where `mineingest login` keeps who signed in (no secret: the tokens are in the token cache).</summary>
    public static string SignInRecordPath(Func<string, string?> environment) => NotEmpty(environment("MINEINGEST_SIGNIN_RECORD"))
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "mineingest", "signin.json");

    /// <summary>The device code sign-in of a person at a terminal: the command's public client registration, tokens cached for the user.</summary>
    public static Azure.Identity.DeviceCodeCredentialOptions DeviceCodeOptions(Func<string, string?> environment) => new()
    {
        ClientId = NotEmpty(environment("MINEINGEST_CLIENT_ID")) ?? "mineingest-cli",
        TenantId = NotEmpty(environment("MINEINGEST_TENANT")) ?? "organizations",
        // Where the system has no keyring (a server, a container), the cache is a file readable by the user only.
        TokenCachePersistenceOptions = new Azure.Identity.TokenCachePersistenceOptions { Name = "mineingest", UnsafeAllowUnencryptedStorage = true },
    };

    /// <summary>MINEINGEST_AUTHORITY_HOST and MINEINGEST_TRUST_CERT point a credential at another OpenID Connect provider (the local one).</summary>
    public static T Authority<T>(T options, Func<string, string?> environment) where T : Azure.Identity.TokenCredentialOptions
    {
        if (NotEmpty(environment("MINEINGEST_AUTHORITY_HOST")) is { } host)
        {
            options.AuthorityHost = new Uri(host);
            switch (options)
            {
                case Azure.Identity.ClientSecretCredentialOptions c: c.DisableInstanceDiscovery = true; break;
                case Azure.Identity.DeviceCodeCredentialOptions d: d.DisableInstanceDiscovery = true; break;
            }
        }
        if (NotEmpty(environment("MINEINGEST_TRUST_CERT")) is { } cert)
            options.Transport = new Azure.Core.Pipeline.HttpClientTransport(Pipeline.Access.PinnedCertificate.Handler(cert));
        return options;
    }

    public string RequireKey() => Key ?? throw new CliException(
        "No upload key: pass --key, set MINEINGEST_KEY, or put \"key\" in the config file. The programme office gives each province its key. " + HowToSignIn);

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
