using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using MineIngest.LocalHost;
using MineIngest.Pipeline.Access;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The local stack for the field form, whose host can be stopped and started again on the same address: a phone with
/// no signal reaches nothing at all, and the page's origin (its service worker and IndexedDB) stays the same.
/// </summary>
public sealed class FieldFormFixture : IAsyncLifetime
{
    public Azurite Azurite { get; } = new();
    private WebApplication? _app;
    public IPlaywright Playwright { get; private set; } = null!;
    public string Url { get; private set; } = "";
    public string KermanKey { get; private set; } = "";
    public string YazdKey { get; private set; } = "";
    public string FarsKey { get; private set; } = "";
    public DirectoryInfo Files { get; } = Directory.CreateTempSubdirectory("field-form-");

    public async Task InitializeAsync()
    {
        Url = $"http://127.0.0.1:{Azurite.HostPort()}";
        await StartHostAsync();
        var keys = _app!.Services.GetRequiredService<ProvinceKeyStore>();
        KermanKey = (await keys.CreateAsync("kerman", CancellationToken.None)).Key;
        YazdKey = (await keys.CreateAsync("yazd", CancellationToken.None)).Key;
        FarsKey = (await keys.CreateAsync("fars", CancellationToken.None)).Key;
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
    }

    public async Task StartHostAsync()
    {
        if (_app is not null) return;
        _app = LocalHostApp.Build([$"--AzureWebJobsStorage={Azurite.ConnectionString}", $"--urls={Url}", "--Pipeline:MineViewRefreshSeconds=0",
            "--extensions:queues:maxPollingInterval=00:00:00.500", "--LocalHost:SweepSeconds=0.5", "--Logging:LogLevel:Default=Warning"]);
        await _app.StartAsync();
    }

    /// <summary>No signal: the host is gone, and every page it served reported no policy violation while it ran.</summary>
    public async Task StopHostAsync()
    {
        if (_app is null) return;
        try
        {
            DashboardFixture.AssertNoViolationReports(_app);
        }
        finally
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary>A browser whose storage outlives it (a profile folder), as a phone's does: closed and opened again, it finds what it kept.</summary>
    public Task<IBrowserContext> OpenBrowserAsync(string profile, FieldFormTests.Device device) =>
        Playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = DashboardFixture.Chromium, Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            ViewportSize = new() { Width = device.Width, Height = device.Height }, IsMobile = device.Phone, HasTouch = device.Phone, DeviceScaleFactor = device.Phone ? 2 : 1,
            Geolocation = new() { Latitude = device.Latitude, Longitude = device.Longitude, Accuracy = 12 }, Permissions = ["geolocation"],
            Locale = device.Lang == "fa" ? "fa-IR" : "en-GB", ServiceWorkers = ServiceWorkerPolicy.Allow, AcceptDownloads = true,
        });

    public string Write(string name, byte[] content)
    {
        var path = Path.Combine(Files.FullName, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public async Task DisposeAsync()
    {
        Playwright?.Dispose();
        try
        {
            await StopHostAsync();
        }
        finally
        {
            Azurite.Dispose();
            Files.Delete(recursive: true);
        }
    }
}
