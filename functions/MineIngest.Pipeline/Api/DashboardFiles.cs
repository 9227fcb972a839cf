using System.Collections.Frozen;
using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace MineIngest.Pipeline.Api;

/// <summary>
/// The dashboard (dashboard/dist, bundled from npm packages at build time), embedded in this assembly so that
/// both hosts serve it with nothing fetched from elsewhere: the page at /api/dashboard, its files beneath it.
/// </summary>
public static class DashboardFiles
{
    private static readonly FrozenDictionary<string, (byte[] Content, string ContentType)> Files = Load();

    public static IResult Page() => Serve("index.html");

    /// <summary>The clerks' upload page; its script and style are assets beside the dashboard's.</summary>
    public static IResult UploadPage() => Serve("upload.html");

    /// <summary>The surveyors' field form, which works offline once opened (its service worker and manifest below).</summary>
    public static IResult FieldPage() => Serve("field.html");

    /// <summary>
    /// The field form's service worker, served beside the page (/api/field-worker.js) so that its scope may hold /api/field;
    /// never cached by the browser's HTTP cache, so a new version is found at the next visit with a signal.
    /// </summary>
    public static IResult FieldWorker() => new NoCache(Serve("field-worker.js"));

    public static IResult FieldManifest() => Serve("field.webmanifest");

    private static readonly HashSet<string> Pages = ["index.html", "upload.html", "field.html", "field-worker.js", "field.webmanifest"];

    public static IResult Asset(string file) =>
        !Pages.Contains(file) && Files.ContainsKey(file) ? Serve(file)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"The dashboard has no file \"{file}\".");

    private static IResult Serve(string file)
    {
        var (content, type) = Files[file];
        return Results.Bytes(content, type);
    }

    private sealed class NoCache(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.CacheControl = "no-cache";
            return inner.ExecuteAsync(httpContext);
        }
    }

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(DashboardFiles).Assembly;
        const string prefix = "dashboard/";
        return assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToFrozenDictionary(
            n => n[prefix.Length..],
            n => (Read(assembly, n), Path.GetExtension(n) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".woff2" => "font/woff2",
                ".webmanifest" => "application/manifest+json",
                ".svg" => "image/svg+xml",
                ".txt" => "text/plain; charset=utf-8",
                _ => "application/octet-stream",
            }),
            StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
