using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Api;

/// <summary>
/// The headers every answer carries, and the Content-Security-Policy of the pages, set in one place for both hosts (the
/// local host's middleware and the Functions worker's). The pages hold a signed-in person's token: the policy lets
/// scripts, styles, fonts and images come only from the app itself, and lets the pages talk only to the API, the
/// sign-in authority and the storage account's blob endpoint (the upload page PUTs files there), so that text a
/// page shows can never run as script even if an escape were missed.
/// </summary>
public sealed class SecurityHeaders
{
    public const string ReportRoute = "csp-reports";
    public const string WithoutPolicySetting = "Diagnostics:WithoutContentSecurityPolicy";

    public string Policy { get; }

    /// <summary>Tests only (Diagnostics:WithoutContentSecurityPolicy): the pages without their policy, to show that escaping alone holds too.</summary>
    private readonly bool _withoutPolicy;

    public SecurityHeaders(IOptions<SignInOptions> signIn, StorageClients storage, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        _withoutPolicy = Microsoft.Extensions.Configuration.ConfigurationBinder.GetValue<bool>(configuration, WithoutPolicySetting);
        var authority = signIn.Value.Enabled && Uri.TryCreate(signIn.Value.Authority, UriKind.Absolute, out var a) ? Origin(a) : null;
        var blobs = Origin(storage.Blobs.Uri);
        var connect = string.Join(' ', new[] { "'self'", authority, blobs }.Where(o => o is not null).Distinct());
        Policy = string.Join("; ",
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            // blob: the field form shows the photos it keeps on the phone, the dashboard the photos it fetched with the reader's token.
            "img-src 'self' data: blob:",
            "font-src 'self'",
            // The field form: its service worker and its manifest, from the app itself.
            "worker-src 'self'",
            "manifest-src 'self'",
            $"connect-src {connect}",
            // MSAL renews tokens in a hidden frame of the authority's.
            authority is null ? "frame-src 'none'" : $"frame-src {authority}",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            $"report-uri /api/{ReportRoute}");
    }

    /// <summary>Sets the headers on <paramref name="context"/>'s response as it starts (the page's type is known by then).</summary>
    public void Apply(HttpContext context)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Cross-Origin-Resource-Policy"] = "same-origin";
            // The field form alone may ask for the phone's position and camera.
            var fieldForm = context.Request.Path.StartsWithSegments("/api/field") ? "(self)" : "()";
            headers["Permissions-Policy"] = $"camera={fieldForm}, microphone=(), geolocation={fieldForm}, payment=(), usb=(), interest-cohort=()";
            // Pages and JSON alike: whatever answers, nobody may frame it or run what it holds.
            if (!_withoutPolicy) headers.ContentSecurityPolicy = Policy;
            headers.XFrameOptions = "DENY";
            if (context.Request.IsHttps) headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
            headers.Remove("Server");
            headers.Remove("X-Powered-By");
            return Task.CompletedTask;
        });
    }

    private static string Origin(Uri uri) => uri.GetLeftPart(UriPartial.Authority);
}
