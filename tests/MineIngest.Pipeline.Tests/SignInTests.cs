using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Office;
using MineIngest.TestData;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// The host as ./run.sh runs it with sign-in on, against the local OpenID Connect provider, with a Kerman and a Yazd
/// survey on record; tokens from the provider by client credentials (Azure.Identity), as the province systems get them.
/// </summary>
public sealed class SignInFixture : IAsyncLifetime
{
    public Azurite Azurite { get; } = new();
    public LocalSignIn SignIn { get; private set; } = null!;
    public LocalHostProcess Host { get; private set; } = null!;
    public HttpClient Writer { get; private set; } = null!;
    public string KermanSurvey { get; private set; } = "";
    public string KermanBlob { get; private set; } = "";
    public string YazdSurvey { get; private set; } = "";
    public string YazdBlob { get; private set; } = "";
    public string KermanPhoto { get; private set; } = "";
    public const string KermanMine = "SIG-K1";

    public async Task InitializeAsync()
    {
        var url = $"http://127.0.0.1:{Azurite.HostPort()}";
        SignIn = LocalSignIn.Start(url);
        Host = LocalHostProcess.Start(Azurite, url, SignIn.HostSettings("--LocalHost:SweepSeconds=0.5"));
        Writer = new HttpClient { BaseAddress = new Uri(url) };
        Writer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await SignIn.TokenAsync("office-writer-app"));
        (KermanBlob, KermanSurvey) = await SeedAsync("kerman/sign-in-kerman.csv", "kerman", KermanMine);
        (YazdBlob, YazdSurvey) = await SeedAsync("yazd/sign-in-yazd.csv", "yazd", "SIG-Y1");
        // A photo of the Kerman mine, sent by Kerman's uploader with its survey.
        using var photo = new HttpRequestMessage(HttpMethod.Put, $"/api/provinces/kerman/surveys/{KermanSurvey}/mines/{KermanMine}/photos/1")
        {
            Content = new ByteArrayContent(PhotoBuilder.CameraJpeg(640, 480)),
        };
        photo.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await SignIn.TokenAsync("kerman-ingest"));
        using var stored = await Writer.SendAsync(photo);
        Assert.Equal(System.Net.HttpStatusCode.Created, stored.StatusCode);
        KermanPhoto = $"{KermanSurvey}-1.jpg";
    }

    private async Task<(string, string)> SeedAsync(string blob, string province, string mineId)
    {
        var container = new BlobContainerClient(Azurite.ConnectionString, PipelineOptions.SurveysContainer);
        await container.CreateIfNotExistsAsync();
        var survey = new SurveyBuilder().Add(RowBuilder.WorkedExample(mineId, province)).Add(RowBuilder.WorkedExample(mineId + "-BAD", province).Set("latitude", 80));
        await container.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(survey.ToCsv()), overwrite: true);
        var report = await PipelineFixture.WaitForSurveyAsync(Writer, blob, timeout: TimeSpan.FromSeconds(120));
        return (blob, report.GetProperty("id").GetString()!);
    }

    public async Task DisposeAsync()
    {
        Writer.Dispose();
        await Host.KillAsync();
        Host.Dispose();
        SignIn.Dispose();
        Azurite.Dispose();
    }
}

/// <summary>Every route, every kind of caller: the status the roles say, and no refused call writes anything.</summary>
public class SignInTests(SignInFixture f) : IClassFixture<SignInFixture>
{
    /// <summary>A caller: the headers its requests carry.</summary>
    private sealed record Caller(string Name, Dictionary<string, string> Headers);

    private enum Kind { Public, Read, Write, Kerman, Yazd, KermanOrWriter }

    private sealed record Call(HttpMethod Method, string Path, Kind Kind, object? Body = null, int Success = 200, byte[]? Bytes = null);

    private async Task<List<Caller>> CallersAsync()
    {
        using var services = f.Azurite.PipelineServices([]);
        var keys = services.GetRequiredService<ProvinceKeyStore>();
        var kermanKey = (await keys.CreateAsync("kerman", CancellationToken.None)).Key;
        _revokedKeyId = (await keys.CreateAsync("kerman", CancellationToken.None)).Info.Id;
        var writerKey = (await keys.CreateAsync(ProvinceKeyStore.OfficeScope, CancellationToken.None)).Key;
        var s = f.SignIn;
        using var otherKey = RSA.Create(2048);
        var bearer = (string token) => new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };
        return
        [
            new("no token", []),
            new("expired", bearer(s.Forge(c => { c["exp"] = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds(); c["nbf"] = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds(); c["iat"] = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds(); }))),
            new("wrong audience", bearer(await s.TokenAsync("another-app-client", "api://another-app"))),
            new("wrong issuer", bearer(s.Forge(c => c["iss"] = "https://login.example.org/another-tenant/v2.0"))),
            new("wrong signature", bearer(s.Forge(_ => { }, new RsaSecurityKey(otherKey.ExportParameters(true)) { KeyId = s.SigningKey.KeyId }))),
            new("alg none", bearer(s.Unsigned())),
            new("kerman key (keys off)", new() { [ProvinceApi.ProvinceKeyHeader] = kermanKey }),
            new("writer key", new() { [OfficeApi.WriterKeyHeader] = writerKey }),
            new("reader", bearer(await s.TokenAsync("office-reader-app"))),
            new("writer", bearer(await s.TokenAsync("office-writer-app"))),
            new("kerman", bearer(await s.TokenAsync("kerman-ingest"))),
            new("yazd", bearer(await s.TokenAsync("yazd-ingest"))),
            new("no role", bearer(await s.TokenAsync("no-role-app"))),
        ];
    }

    private string _revokedKeyId = "";

    private List<Call> Calls()
    {
        var mine = $"/api/mines/kerman/{SignInFixture.KermanMine}";
        var kermanBlob = Uri.EscapeDataString(f.KermanBlob);
        var yazdBlob = Uri.EscapeDataString(f.YazdBlob);
        return
        [
            new(HttpMethod.Get, "/api/health", Kind.Public),
            new(HttpMethod.Get, "/api/signin", Kind.Public),
            new(HttpMethod.Get, "/api/dashboard", Kind.Public),
            new(HttpMethod.Get, "/api/dashboard/dashboard.js", Kind.Public),
            new(HttpMethod.Get, "/api/upload", Kind.Public),
            new(HttpMethod.Get, "/api/upload/limits", Kind.Public),
            new(HttpMethod.Get, "/api/field", Kind.Public),
            new(HttpMethod.Get, "/api/field-worker.js", Kind.Public),
            new(HttpMethod.Get, "/api/field.webmanifest", Kind.Public),
            new(HttpMethod.Get, "/api/template.xlsx", Kind.Public),
            new(HttpMethod.Post, "/api/csp-reports", Kind.Public, new Dictionary<string, object> { ["csp-report"] = new { blockedUri = "inline" } }, 204),
            new(HttpMethod.Get, "/api/summary", Kind.Read),
            new(HttpMethod.Get, "/api/mines", Kind.Read),
            new(HttpMethod.Get, "/api/mines.csv", Kind.Read),
            new(HttpMethod.Get, mine, Kind.Read),
            new(HttpMethod.Get, mine + "/history", Kind.Read),
            new(HttpMethod.Get, mine + "/solution", Kind.Read),
            new(HttpMethod.Get, mine + "/photos", Kind.Read),
            new(HttpMethod.Get, $"{mine}/photos/{f.KermanPhoto}", Kind.Read),
            new(HttpMethod.Get, "/api/surveys", Kind.Read),
            new(HttpMethod.Get, $"/api/surveys/{f.KermanSurvey}", Kind.Read),
            new(HttpMethod.Get, $"/api/surveys/{f.KermanSurvey}/errors.csv", Kind.Read),
            new(HttpMethod.Get, "/api/committees", Kind.Read),
            new(HttpMethod.Get, "/api/investor-list.csv", Kind.Read),
            new(HttpMethod.Get, "/api/report?period=1399", Kind.Read),
            new(HttpMethod.Get, "/api/report.xlsx?period=1399", Kind.Read),
            new(HttpMethod.Get, "/api/audit", Kind.Read),
            new(HttpMethod.Get, "/api/audit.csv", Kind.Read),
            new(HttpMethod.Put, mine + "/solution", Kind.Write, new { text = "Lease renewal with the provincial office", state = "proposed" }),
            new(HttpMethod.Post, "/api/committees", Kind.Write,
                new { date = "1403-02-10", province = "kerman", investors = new[] { "Kerman Mining Co." }, mines = new[] { new { province = "kerman", mineId = SignInFixture.KermanMine, outcome = CommitteeOutcomes.All[0] } } }, 201),
            new(HttpMethod.Post, "/api/rescore", Kind.Write, null, 202),
            new(HttpMethod.Get, "/api/keys", Kind.Write),
            new(HttpMethod.Get, "/api/backups", Kind.Write),
            new(HttpMethod.Post, "/api/backups", Kind.Write, null, 201),
            new(HttpMethod.Post, "/api/keys", Kind.Write, new { province = "kerman" }, 201),
            new(HttpMethod.Post, $"/api/keys/kerman/{_revokedKeyId}/revoke", Kind.Write),
            new(HttpMethod.Post, "/api/provinces/kerman/uploads", Kind.Kerman, new { fileName = "kerman-1403.csv" }, 201),
            new(HttpMethod.Get, $"/api/provinces/kerman/surveys?blob={kermanBlob}", Kind.Kerman),
            new(HttpMethod.Get, $"/api/provinces/kerman/surveys/{f.KermanSurvey}/errors.csv", Kind.Kerman),
            new(HttpMethod.Get, $"/api/provinces/kerman/surveys/{f.KermanSurvey}/errors.json", Kind.Kerman),
            new(HttpMethod.Put, $"/api/provinces/kerman/surveys/{f.KermanSurvey}/mines/{SignInFixture.KermanMine}/photos/2", Kind.Kerman, Success: 201,
                Bytes: PhotoBuilder.CameraJpeg(320, 240)),
            new(HttpMethod.Get, $"/api/provinces/kerman/mines/{SignInFixture.KermanMine}/photos/{f.KermanPhoto}", Kind.Kerman),
            // Yazd's own route finds no such photo of Yazd's; a Kerman clerk is refused it before that.
            new(HttpMethod.Get, $"/api/provinces/yazd/mines/{SignInFixture.KermanMine}/photos/{f.KermanPhoto}", Kind.Yazd, Success: 404),
            new(HttpMethod.Post, "/api/provinces/kerman/validate", Kind.Kerman, new { rows = new[] { new { row = 2, values = new Dictionary<string, string> { ["mine_id"] = "V-1" } } } }),
            // Yazd's resources: a Kerman clerk gets nothing of them, by route, by encoded traversal, or by Yazd's survey id.
            new(HttpMethod.Post, "/api/provinces/yazd/uploads", Kind.Yazd, new { fileName = "yazd-1403.csv" }, 201),
            new(HttpMethod.Get, $"/api/provinces/yazd/surveys?blob={yazdBlob}", Kind.Yazd),
            new(HttpMethod.Get, $"/api/provinces/kerman%2F..%2Fyazd/surveys?blob={yazdBlob}", Kind.Kerman, Success: 403),
            new(HttpMethod.Get, $"/api/provinces/kerman/surveys?blob=kerman%2F..%2F{yazdBlob}", Kind.Kerman, Success: 404),
            new(HttpMethod.Get, $"/api/provinces/kerman/surveys/{f.YazdSurvey}/errors.csv", Kind.Kerman, Success: 404),
            new(HttpMethod.Post, $"/api/surveys/{f.YazdSurvey}/withdraw", Kind.Yazd, new { reason = "sent by mistake" }, 202),
        ];
    }

    /// <summary>What the roles say: 401 for any caller without an acceptable token, else the route's success or 403.</summary>
    private static int Expected(Call call, Caller caller)
    {
        if (call.Kind == Kind.Public) return call.Success;
        if (caller.Name is not ("reader" or "writer" or "kerman" or "yazd" or "no role")) return 401;
        var allowed = call.Kind switch
        {
            Kind.Read => caller.Name is "reader" or "writer",
            Kind.Write => caller.Name == "writer",
            Kind.Kerman => caller.Name == "kerman",
            // A survey's withdrawal is also the office writers'.
            Kind.Yazd => caller.Name == "yazd" || (caller.Name == "writer" && call.Path.EndsWith("/withdraw", StringComparison.Ordinal)),
            _ => false,
        };
        return allowed ? call.Success : 403;
    }

    private async Task<HttpStatusCode> SendAsync(Call call, Caller caller)
    {
        using var request = new HttpRequestMessage(call.Method, call.Path);
        foreach (var (name, value) in caller.Headers) request.Headers.TryAddWithoutValidation(name, value);
        if (call.Body is not null) request.Content = JsonContent.Create(call.Body);
        if (call.Bytes is not null) request.Content = new ByteArrayContent(call.Bytes);
        using var response = await f.Host.Http.SendAsync(request);
        // Every answer, allowed or refused, carries the security headers.
        Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var nosniff) && nosniff.Single() == "nosniff", $"{call.Method} {call.Path}: no nosniff");
        Assert.True(response.Headers.TryGetValues("Content-Security-Policy", out var csp) && csp.Single().Contains("frame-ancestors 'none'"), $"{call.Method} {call.Path}: no policy");
        Assert.False(response.Headers.Contains("Server"), $"{call.Method} {call.Path}: a Server header");
        return response.StatusCode;
    }

    /// <summary>Everything a call could write: each table's entities and the survey container's blobs.</summary>
    private async Task<string> StoredAsync()
    {
        var tables = new TableServiceClient(f.Azurite.ConnectionString);
        var counts = new List<string>();
        foreach (var name in new[] { PipelineOptions.AuditTable, PipelineOptions.UploadLinksTable, PipelineOptions.SolutionsTable, PipelineOptions.CommitteesTable,
                     PipelineOptions.RescorePagesTable, PipelineOptions.WithdrawPagesTable, PipelineOptions.SurveysTable, PipelineOptions.ProvinceKeysTable })
        {
            var entities = new List<string>();
            // The sweep's own status row is rewritten whenever a sweep sees something new (a file read a moment before): not a call's write.
            await foreach (var e in tables.GetTableClient(name).QueryAsync<TableEntity>())
                if (!(name == PipelineOptions.SurveysTable && e.PartitionKey == Ingestion.SurveySweep.StatusPartition)) entities.Add($"{e.PartitionKey}/{e.RowKey}@{e.ETag}");
            counts.Add($"{name}: {string.Join(",", entities.Order())}");
        }
        var blobs = new List<string>();
        await foreach (var b in new BlobContainerClient(f.Azurite.ConnectionString, PipelineOptions.SurveysContainer).GetBlobsAsync(BlobTraits.None, BlobStates.None, null, default))
            blobs.Add(b.Name);
        await foreach (var b in new BlobContainerClient(f.Azurite.ConnectionString, Field.FieldOptions.PhotosContainer).GetBlobsAsync(BlobTraits.None, BlobStates.None, null, default))
            blobs.Add($"{b.Name}@{b.Properties.ETag}");
        counts.Add("blobs: " + string.Join(",", blobs.Order()));
        return string.Join("\n", counts);
    }

    [Fact]
    public async Task Every_route_answers_every_caller_as_the_roles_say_and_refusals_write_nothing()
    {
        var callers = await CallersAsync();
        var calls = Calls();
        var cells = calls.SelectMany(call => callers.Select(caller => (Call: call, Caller: caller, Expected: Expected(call, caller)))).ToList();
        var wrong = new List<string>();

        var before = await StoredAsync();
        foreach (var cell in cells.Where(c => c.Expected >= 400 || c.Call.Method == HttpMethod.Get))
        {
            var status = (int)await SendAsync(cell.Call, cell.Caller);
            if (status != cell.Expected) wrong.Add($"{cell.Call.Method} {cell.Call.Path} as {cell.Caller.Name}: {status}, expected {cell.Expected}");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong) + "\n" + f.Host.LogTail);
        Assert.Equal(before, await StoredAsync());

        // Then the writes that are allowed, once each: every one lands in the audit list under the caller that made it.
        foreach (var cell in cells.Where(c => c.Expected < 400 && c.Call.Method != HttpMethod.Get))
        {
            var status = (int)await SendAsync(cell.Call, cell.Caller);
            if (status != cell.Expected) wrong.Add($"{cell.Call.Method} {cell.Call.Path} as {cell.Caller.Name}: {status}, expected {cell.Expected}");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong) + "\n" + f.Host.LogTail);
        Assert.Equal(cells.Count, callers.Count * calls.Count);

        var audit = (await f.Writer.GetFromJsonAsync<JsonElement>("/api/audit")).GetProperty("items").EnumerateArray()
            .Select(e => (Action: e.GetProperty("action").GetString(), Actor: e.GetProperty("actorName").GetString(), Id: e.GetProperty("actorId").GetString())).ToList();
        var writer = f.SignIn.Machine("office-writer-app");
        var kerman = f.SignIn.Machine("kerman-ingest");
        var yazd = f.SignIn.Machine("yazd-ingest");
        Assert.Contains((AuditActions.Solution, writer.Name, writer.Oid), audit);
        Assert.Contains((AuditActions.Committee, writer.Name, writer.Oid), audit);
        Assert.Contains((AuditActions.Rescore, writer.Name, writer.Oid), audit);
        Assert.Contains((AuditActions.KeyCreated, writer.Name, writer.Oid), audit);
        Assert.Contains((AuditActions.KeyRevoked, writer.Name, writer.Oid), audit);
        Assert.Contains((AuditActions.UploadLink, kerman.Name, kerman.Oid), audit);
        Assert.Contains((AuditActions.UploadLink, yazd.Name, yazd.Oid), audit);
        Assert.Contains((AuditActions.Withdrawal, writer.Name, writer.Oid), audit);
        Assert.Contains((AuditActions.Withdrawal, yazd.Name, yazd.Oid), audit);
        Assert.Contains((AuditActions.Backup, writer.Name, writer.Oid), audit);
        // The seeded photo and the one the matrix sent, both by Kerman's uploader.
        Assert.Equal(2, audit.Count(a => a == (AuditActions.Photo, kerman.Name, kerman.Oid)));
        Assert.Equal(12, audit.Count);
    }

    [Fact]
    public async Task A_refusal_says_why_in_both_languages_and_how_to_authenticate()
    {
        using var none = await f.Host.Http.GetAsync("/api/summary");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        var problem = await none.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("Sign in", problem.GetProperty("detail").GetString());
        Assert.Contains("وارد شوید", problem.GetProperty("detailFa").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/provinces/yazd/uploads") { Content = JsonContent.Create(new { fileName = "a.csv" }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await f.SignIn.TokenAsync("kerman-ingest"));
        using var other = await f.Host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        var refused = await other.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("not assigned to yazd", refused.GetProperty("detail").GetString());
        Assert.False(string.IsNullOrWhiteSpace(refused.GetProperty("detailFa").GetString()));
    }

    [Fact]
    public async Task The_command_uploads_with_client_credentials_and_without_them_says_in_one_line_how_to_sign_in()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("sign-in-cli-").FullName, "kerman-cli.csv");
        await File.WriteAllBytesAsync(file, new SurveyBuilder().AddMany(2, i => RowBuilder.WorkedExample($"CLI-{i}")).ToCsv());
        var machine = f.SignIn.Machine("kerman-ingest");
        var environment = new Dictionary<string, string?>
        {
            ["MINEINGEST_CLIENT_ID"] = "kerman-ingest", ["MINEINGEST_CLIENT_SECRET"] = machine.Secret, ["MINEINGEST_TENANT"] = LocalSignIn.Tenant,
            ["MINEINGEST_AUTHORITY_HOST"] = f.SignIn.Origin + "/", ["MINEINGEST_TRUST_CERT"] = f.SignIn.CertificateFile, ["MINEINGEST_CONFIG"] = null,
        };
        // --wait follows the report through the province's own route, which the province system's role opens.
        var (exit, output) = await CliAsync(["upload", file, "--province", "kerman", "--wait"], environment);
        Assert.True(exit == 0, output);
        var blob = System.Text.RegularExpressions.Regex.Match(output, @" as (kerman/\S+)").Groups[1].Value;
        var report = await PipelineFixture.WaitForSurveyAsync(f.Writer, blob, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal(2, report.GetProperty("accepted").GetInt32());
        Assert.Contains($"{blob} ({report.GetProperty("id").GetString()}): completed", output);
        var survey = await f.Writer.GetFromJsonAsync<JsonElement>($"/api/surveys/{report.GetProperty("id").GetString()}");
        Assert.Equal($"{machine.Name} (app {machine.Oid})", survey.GetProperty("uploadedBy").GetString());

        var (refusedExit, refused) = await CliAsync(["upload", file, "--province", "kerman", "--key", "kerman.0000.nosuchkey"], []);
        Assert.Equal(2, refusedExit);
        Assert.Single(refused.Trim().Split('\n'));
        Assert.Contains("MINEINGEST_CLIENT_ID", refused);
    }

    private async Task<(int Exit, string Output)> CliAsync(string[] args, Dictionary<string, string?> environment)
    {
        var output = new StringWriter();
        var exit = await CommandLine.RunAsync(args, environment, output, f.Host.Url + "/api");
        return (exit, output.ToString());
    }
}

/// <summary>The mineingest command as a person runs it, with only the given environment, its output kept.</summary>
public static class CommandLine
{
    /// <param name="api">The API's base, given as --api; null when the command names none (keys straight to storage, restore).</param>
    public static Task<int> RunAsync(string[] args, Dictionary<string, string?> environment, StringWriter output, string? api)
    {
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Ansi = Spectre.Console.AnsiSupport.No, ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
            Interactive = Spectre.Console.InteractionSupport.No, Out = new Spectre.Console.AnsiConsoleOutput(TextWriter.Synchronized(output)),
        });
        console.Profile.Width = 400;
        string[] arguments = api is null ? args : [.. args, "--api", api];
        return Task.Run(() => Cli.CliApp.RunAsync(arguments, console, name => environment.GetValueOrDefault(name), CancellationToken.None));
    }
}
