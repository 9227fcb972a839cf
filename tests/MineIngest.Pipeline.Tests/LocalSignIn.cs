using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using MineIngest.Pipeline.Access;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The local OpenID Connect provider of devidp/ (oidc-provider, on loopback over TLS) as its own process, the way
/// ./run.sh starts it with sign-in on: its users and machine clients, and the settings that point the app at it.
/// </summary>
public sealed class LocalSignIn : IDisposable
{
    public const string Tenant = "mineingest", Audience = "api://mineingest", PagesClientId = "mineingest-pages";

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log;
    private readonly JsonElement _accounts;
    private readonly PortBlock _port;

    public string Origin { get; }
    public string Issuer => $"{Origin}/{Tenant}/v2.0";
    public string DataFolder { get; }
    public string CertificateFile => Path.Combine(DataFolder, "cert.pem");

    private LocalSignIn(Process process, PortBlock port, string origin, string data, ConcurrentQueue<string> log)
    {
        _process = process;
        _log = log;
        _port = port;
        Origin = origin;
        DataFolder = data;
        _accounts = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "accounts.json"))).RootElement.Clone();
    }

    /// <summary>Starts the provider for pages served at <paramref name="appOrigin"/>; waits until it answers.</summary>
    public static LocalSignIn Start(string appOrigin)
    {
        var port = PortBlock.Reserve();
        var data = Directory.CreateTempSubdirectory("mineingest-signin-").FullName;
        var start = new ProcessStartInfo("node", [Path.Combine(Azurite.RepoRoot, "devidp", "server.mjs"), "--data", data,
            "--port", port.Port.ToString(CultureInfo.InvariantCulture), "--app-origin", appOrigin])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource();
        var log = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { log.Enqueue(line); if (line == "ready") ready.TrySetResult(); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) log.Enqueue(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("The local sign-in provider did not start: " + string.Join('\n', log));
        }
        return new LocalSignIn(process, port, $"https://localhost:{port.Port}", data, log);
    }

    /// <summary>The app's settings for this provider, as command-line arguments.</summary>
    public string[] HostSettings(params string[] more) =>
    [
        "--SignIn:Enabled=true", $"--SignIn:Authority={Issuer}", $"--SignIn:Audience={Audience}", $"--SignIn:PagesClientId={PagesClientId}",
        "--SignIn:PagesProtocol=OIDC", $"--SignIn:TrustedCertificateFile={CertificateFile}", .. more,
    ];

    public (string Password, string Name, string Oid) User(string username)
    {
        var user = _accounts.GetProperty("users").EnumerateArray().Single(u => u.GetProperty("username").GetString() == username);
        return (user.GetProperty("password").GetString()!, user.GetProperty("name").GetString()!, user.GetProperty("oid").GetString()!);
    }

    public (string Secret, string Name, string Oid) Machine(string clientId)
    {
        var m = _accounts.GetProperty("machines").EnumerateArray().Single(u => u.GetProperty("clientId").GetString() == clientId);
        return (m.GetProperty("secret").GetString()!, m.GetProperty("name").GetString()!, m.GetProperty("oid").GetString()!);
    }

    /// <summary>Azure.Identity's client credentials against this provider, as a province's system gets its token.</summary>
    public ClientSecretCredential Credential(string clientId) => new(Tenant, clientId, Machine(clientId).Secret, new ClientSecretCredentialOptions
    {
        AuthorityHost = new Uri(Origin + "/"), DisableInstanceDiscovery = true,
        Transport = new HttpClientTransport(PinnedCertificate.Handler(CertificateFile)),
    });

    public async Task<string> TokenAsync(string clientId, string resource = Audience) =>
        (await Credential(clientId).GetTokenAsync(new TokenRequestContext([$"{resource}/.default"]), CancellationToken.None)).Token;

    /// <summary>A token signed with the provider's own key but with claims of the test's choosing (an expired one, another issuer).</summary>
    public string Forge(Action<Dictionary<string, object>> change, SecurityKey? signWith = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["iss"] = Issuer, ["aud"] = Audience, ["oid"] = Guid.NewGuid().ToString(), ["roles"] = new[] { AppRoles.Writer },
            ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(), ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["nbf"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), ["sub"] = "forged", ["app_displayname"] = "forged",
        };
        change(claims);
        var key = signWith ?? SigningKey;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims, SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256), TokenType = "at+jwt",
        });
    }

    /// <summary>The provider's private signing key, read from its data folder.</summary>
    public JsonWebKey SigningKey => new(JsonDocument.Parse(File.ReadAllText(Path.Combine(DataFolder, "jwks.json"))).RootElement.GetProperty("keys")[0].GetRawText());

    /// <summary>An unsigned token ("alg": "none") claiming the writer role.</summary>
    public string Unsigned()
    {
        static string Part(object o) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(o)));
        return Part(new { alg = "none", typ = "JWT" }) + "." + Part(new Dictionary<string, object>
        {
            ["iss"] = Issuer, ["aud"] = Audience, ["oid"] = "none", ["roles"] = new[] { AppRoles.Writer },
            ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(), ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        }) + ".";
    }

    public string LogTail => string.Join('\n', _log.TakeLast(30));

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        _port.Dispose();
    }
}
