using System.ComponentModel.DataAnnotations;
using System.Net.Security;
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;

namespace MineIngest.Pipeline.Access;

/// <summary>
/// Sign-in with an organisation account: bearer access tokens from an OpenID Connect authority (Microsoft Entra ID in
/// Azure, the loopback provider in devidp/ locally), checked by the app on every route that is not public.
/// Off, the routes work with the province and writer keys as before (a first try of ./run.sh).
/// </summary>
public sealed class SignInOptions
{
    public const string Section = "SignIn";

    public bool Enabled { get; set; }

    /// <summary>The issuer, e.g. https://login.microsoftonline.com/{tenant id}/v2.0; its discovery document names the signing keys.</summary>
    [Url]
    public string? Authority { get; set; }

    /// <summary>What an access token for this API carries as its audience: the API registration's client id (Entra ID v2 tokens).</summary>
    public string? Audience { get; set; }

    /// <summary>The API's application ID URI, the prefix of the scopes clients ask for (api://mineingest/access_as_user); the audience when not set.</summary>
    public string? ApplicationIdUri { get; set; }

    /// <summary>The pages' registration (a single-page application: authorization code with PKCE, no secret).</summary>
    public string? PagesClientId { get; set; }

    /// <summary>How MSAL.js talks to the authority: AAD for Entra ID, OIDC for any other OpenID Connect provider.</summary>
    [RegularExpression("^(AAD|OIDC)$")]
    public string PagesProtocol { get; set; } = "AAD";

    /// <summary>Province upload keys still open their province's routes, for province systems that cannot sign in. Off by default.</summary>
    public bool AcceptProvinceKeys { get; set; }

    /// <summary>A PEM certificate to trust for the authority besides the system's (the loopback provider's self-signed one).</summary>
    public string? TrustedCertificateFile { get; set; }

    /// <summary>How far a token's lifetime may be off the app's clock.</summary>
    [Range(0, 600)]
    public int ClockSkewSeconds { get; set; } = 120;

    public string ScopeBase => (ApplicationIdUri ?? Audience ?? "").TrimEnd('/');

    /// <summary>What is missing for sign-in to work, or null.</summary>
    public string? Problem() => !Enabled ? null
        : string.IsNullOrWhiteSpace(Authority) || !Authority.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "SignIn:Authority must be the https address of the OpenID Connect issuer."
        : string.IsNullOrWhiteSpace(Audience) ? "SignIn:Audience must name the API's audience (its client id in Entra ID)."
        : string.IsNullOrWhiteSpace(PagesClientId) ? "SignIn:PagesClientId must name the pages' registration."
        : TrustedCertificateFile is { } file && !File.Exists(file) ? $"SignIn:TrustedCertificateFile {file} does not exist."
        : null;
}

/// <summary>The API registration's app roles: what a caller may do.</summary>
public static class AppRoles
{
    /// <summary>Every read route of the programme's record.</summary>
    public const string Reader = "Office.Reader";

    /// <summary>Solutions, committee meetings, withdrawals, re-scoring, keys; reads too.</summary>
    public const string Writer = "Office.Writer";

    /// <summary>"Province.kerman": upload into that province's folder, its reports and rows to fix, withdraw its survey within 7 days.</summary>
    public const string ProvincePrefix = "Province.";

    public static string Province(string folder) => ProvincePrefix + folder;
}

/// <summary>Who made a change: a signed-in person or application (object id and name), or a key (its id).</summary>
public sealed record Actor(string Kind, string Id, string Name)
{
    public const string User = "user", App = "app", Key = "key";

    public static Actor FromToken(ClaimsPrincipal principal)
    {
        string? Claim(string type) => principal.FindFirst(type)?.Value;
        var id = Claim("oid") ?? Claim("sub") ?? "";
        var isApp = Claim("idtyp") == "app" || (Claim("name") is null && Claim("preferred_username") is null);
        var name = Claim("name") ?? Claim("preferred_username") ?? Claim("app_displayname") ?? Claim("azp") ?? Claim("appid") ?? id;
        return new Actor(isApp ? App : User, id, name);
    }

    public static Actor FromKey(string scope, string keyId) =>
        new(Key, $"{scope}.{keyId}", scope == ProvinceKeyStore.OfficeScope ? $"writer key {keyId}" : $"upload key {keyId}");

    /// <summary>One line for a history or a log: "Zahra Hosseini (user 3f2a...)", or "upload key 1a2b3c4d".</summary>
    public override string ToString() => Kind == Key ? Name : $"{Name} ({Kind} {Id})";
}

/// <summary>Trusts one certificate besides the system's: the loopback provider's, made on the developer's machine.</summary>
public static class PinnedCertificate
{
    public static SocketsHttpHandler Handler(string? pemFile)
    {
        var handler = new SocketsHttpHandler();
        if (string.IsNullOrEmpty(pemFile)) return handler;
        var trusted = X509Certificate2.CreateFromPem(File.ReadAllText(pemFile));
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            errors == SslPolicyErrors.None || (certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(trusted.RawData));
        return handler;
    }
}
