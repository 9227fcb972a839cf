using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using MineIngest.Cli;
using MineIngest.Pipeline;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Records;
using MineIngest.TestData;
using Spectre.Console;

namespace MineIngest.Pipeline.Tests;

/// <summary>Province keys, the valet-key SAS and the mineingest CLI, against the local host on Azurite.</summary>
[Collection(PipelineCollection.Name)]
public sealed partial class UploadTests(PipelineFixture fixture)
{
    private string Api => new Uri(fixture.Http.BaseAddress!, "/api").ToString();

    private async Task<(int Exit, string Output)> CliAsync(string[] args, CancellationToken ct = default)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 250;
        // No MINEINGEST_* from the machine running the tests; --config points at nothing so no user file is read.
        var exit = await CliApp.RunAsync([.. args, "--api", Api, "--storage", fixture.Azurite.ConnectionString], console, _ => null, ct);
        return (exit, output.ToString());
    }

    private async Task<string> CreateKeyAsync(string province)
    {
        var (exit, output) = await CliAsync(["keys", "create", "--province", province]);
        Assert.Equal(0, exit);
        return KeyLine().Match(output).Value;
    }

    [GeneratedRegex(@"^[a-z-]+\.[0-9a-f]{8}\.[A-Za-z0-9_-]{43}$", RegexOptions.Multiline)]
    private static partial Regex KeyLine();

    private Task<HttpResponseMessage> RequestUploadAsync(string province, string? key, string fileName = "survey.xlsx")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/provinces/{province}/uploads")
        {
            Content = JsonContent.Create(new { fileName }),
        };
        if (key is not null) request.Headers.Add(ProvinceApi.ProvinceKeyHeader, key);
        return fixture.Http.SendAsync(request);
    }

    [Fact]
    public async Task Keys_guard_the_upload_route_401_for_wrong_or_revoked_403_for_another_province()
    {
        var key = await CreateKeyAsync("semnan");
        Assert.Matches(KeyLine(), key);
        var (_, listed) = await CliAsync(["keys", "list", "--province", "semnan"]);
        Assert.Contains(key.Split('.')[1], listed);
        Assert.DoesNotContain(key.Split('.')[2], listed);

        using var ok = await RequestUploadAsync("semnan", key, "Semnan survey 1403.xlsx");
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        var ticket = (await ok.Content.ReadFromJsonAsync<UploadTicket>(ApiResults.Json))!;
        Assert.Matches(@"^semnan/\d{8}-\d{6}-[0-9a-f]{6}-Semnan-survey-1403\.xlsx$", ticket.Blob);
        Assert.InRange(ticket.ExpiresOn - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));

        using var otherProvince = await RequestUploadAsync("yazd", key);
        Assert.Equal(HttpStatusCode.Forbidden, otherProvince.StatusCode);
        Assert.Contains("semnan", await otherProvince.Content.ReadAsStringAsync());
        using var wrongSecret = await RequestUploadAsync("semnan", key[..^4] + "AAAA");
        Assert.Equal(HttpStatusCode.Unauthorized, wrongSecret.StatusCode);
        using var none = await RequestUploadAsync("semnan", null);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        using var garbage = await RequestUploadAsync("semnan", "not a key");
        Assert.Equal(HttpStatusCode.Unauthorized, garbage.StatusCode);
        using var badType = await RequestUploadAsync("semnan", key, "report.pdf");
        Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);
        Assert.Contains("only .xlsx, .xls and .csv", await badType.Content.ReadAsStringAsync());
        using var badJson = await fixture.Http.PostAsync("/api/provinces/semnan/uploads",
            new StringContent("fileName=x.csv", Encoding.UTF8, "application/json") { Headers = { { ProvinceApi.ProvinceKeyHeader, key } } });
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);

        var (revokeExit, _) = await CliAsync(["keys", "revoke", "--province", "semnan"]);
        Assert.Equal(0, revokeExit);
        using var revoked = await RequestUploadAsync("semnan", key);
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        var (_, afterRevoke) = await CliAsync(["keys", "list", "--province", "semnan"]);
        Assert.Matches(@"semnan\s*│\s*[0-9a-f]{8}\s*│\s*[\d-]+ [\d:]+\s*│\s*\d{4}-", afterRevoke);
    }

    [Fact]
    public async Task The_sas_writes_its_own_new_blob_only_and_not_after_it_expires()
    {
        var key = await CreateKeyAsync("qom");
        using var response = await RequestUploadAsync("qom", key, "qom.csv");
        var ticket = (await response.Content.ReadFromJsonAsync<UploadTicket>(ApiResults.Json))!;
        var content = BinaryData.FromBytes(new SurveyBuilder().Add(RowBuilder.WorkedExample("Q-1", "qom")).ToCsv());

        // Another blob's name with the same signature: refused.
        var other = new BlobUriBuilder(ticket.UploadUrl) { BlobName = "qom/someone-else.csv" }.ToUri();
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => new BlobClient(other).UploadAsync(content));
        Assert.Equal(403, refused.Status);
        var outside = new BlobUriBuilder(ticket.UploadUrl) { BlobContainerName = PipelineOptions.ChunksContainer }.ToUri();
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => new BlobClient(outside).UploadAsync(content))).Status);

        // Its own blob: written, once.
        var own = new BlobClient(ticket.UploadUrl);
        await own.UploadAsync(content, new Azure.Storage.Blobs.Models.BlobUploadOptions { Conditions = new() { IfNoneMatch = ETag.All } });
        Assert.True((await fixture.Surveys.GetBlobClient(ticket.Blob).ExistsAsync()).Value);

        // Cannot read it back, nor another blob, nor list the container.
        await fixture.Surveys.GetBlobClient("qom/existing.csv").UploadAsync(content, overwrite: true);
        var existing = new BlobUriBuilder(ticket.UploadUrl) { BlobName = "qom/existing.csv" }.ToUri();
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => new BlobClient(existing).DownloadContentAsync())).Status);
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => own.DownloadContentAsync())).Status);
        var container = new BlobContainerClient(new BlobUriBuilder(ticket.UploadUrl) { BlobName = "" }.ToUri());
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(async () =>
        {
            await foreach (var _ in container.GetBlobsAsync()) { }
        })).Status);

        // A ticket issued 15 minutes and a second ago has expired: storage refuses it; the same upload with a live ticket goes through.
        var storage = StorageClients.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [StorageClients.ConnectionName] = fixture.Azurite.ConnectionString }).Build());
        var expired = await new UploadSasIssuer(storage, Options.Create(new UploadOptions()), new ShiftedClock(TimeSpan.FromMinutes(-15.02)))
            .IssueAsync("qom", "late.csv", Access.Actor.FromKey("qom", "test"), CancellationToken.None);
        Assert.True(expired.ExpiresOn < DateTimeOffset.UtcNow);
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => new BlobClient(expired.UploadUrl).UploadAsync(content))).Status);
        var fresh = await new UploadSasIssuer(storage, Options.Create(new UploadOptions()), TimeProvider.System).IssueAsync("qom", "late.csv", Access.Actor.FromKey("qom", "test"), CancellationToken.None);
        await new BlobClient(fresh.UploadUrl).UploadAsync(content); // the same request with a live ticket goes through
    }

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }

    [Fact]
    public async Task Cli_upload_waits_and_reports_counts_and_rejected_rows()
    {
        var key = await CreateKeyAsync("zanjan");
        var folder = Directory.CreateTempSubdirectory("mineingest-upload-");
        var mixed = Path.Combine(folder.FullName, "zanjan 1403.xlsx");
        await File.WriteAllBytesAsync(mixed, new SurveyBuilder()
            .Add(RowBuilder.WorkedExample("Z-1", "zanjan"))
            .Add(RowBuilder.WorkedExample("Z-2", "zanjan").Set("jobs_potential", 12))
            .Add(RowBuilder.WorkedExample("Z-3", "zanjan").Set("latitude", 41.2))
            .Add(RowBuilder.WorkedExample("Z-4", "zanjan").Set("mineral", "gold"))
            .ToXlsx());
        var clean = Path.Combine(folder.FullName, "zanjan-clean.csv");
        await File.WriteAllBytesAsync(clean, new SurveyBuilder().Add(RowBuilder.WorkedExample("Z-5", "zanjan")).ToCsv());

        var (exit, output) = await CliAsync(["upload", mixed, "--province", "zanjan", "--key", key, "--wait"]);
        Assert.Equal(ExitCodes.RowsRejected, exit);
        Assert.Contains("rows 4, accepted 2, rejected 2, failed 0, pending 0", output);
        Assert.Matches(@"│\s*4\s*│\s*Z-3\s*│\s*latitude\s*│\s*41\.2 is outside Iran", output);
        Assert.Matches(@"│\s*5\s*│\s*Z-4\s*│\s*mineral\s*│.*gold", output);

        var (cleanExit, cleanOutput) = await CliAsync(["upload", clean, "--province", "zanjan", "--key", key, "--wait"]);
        Assert.Equal(ExitCodes.AllWentThrough, cleanExit);
        Assert.Contains("rows 1, accepted 1, rejected 0", cleanOutput);

        var blob = Regex.Match(cleanOutput, @"as (zanjan/\S+)").Groups[1].Value;
        var (statusExit, statusOutput) = await CliAsync(["status", blob]);
        Assert.Equal(0, statusExit);
        Assert.Contains("accepted 1", statusOutput);

        // The rows to fix of the mixed file, as xlsx and csv, and the template: what a clerk gets from the command.
        var mixedBlob = Regex.Match(output, @"as (zanjan/\S+)").Groups[1].Value;
        var rowsToFix = Path.Combine(folder.FullName, "fix.xlsx");
        var (fixExit, fixOutput) = await CliAsync(["status", mixedBlob, "--errors-out", rowsToFix]);
        Assert.Equal(ExitCodes.RowsRejected, fixExit);
        Assert.Contains("2 row(s) to fix written", fixOutput);
        using (var reader = Domain.Reading.SurveyReader.Open(File.OpenRead(rowsToFix), "fix.xlsx", new Domain.Reading.SurveyLimits()))
            Assert.Equal(["Z-3", "Z-4"], reader.ReadRows().Select(row => row[Domain.Column.MineId]));
        var (csvExit, _) = await CliAsync(["status", mixedBlob, "--errors-out", Path.Combine(folder.FullName, "fix.csv")]);
        Assert.Equal(ExitCodes.RowsRejected, csvExit);
        Assert.Contains("Z-4", await File.ReadAllTextAsync(Path.Combine(folder.FullName, "fix.csv")));
        // The command writes the server's file as it is: the same formula-safe CSV (SafeExportsTests opens that one).
        var mixedId = (await PipelineFixture.WaitForSurveyAsync(fixture.Http, mixedBlob)).GetProperty("id").GetString();
        Assert.Equal(await fixture.Http.GetByteArrayAsync($"/api/surveys/{mixedId}/errors.csv"), await File.ReadAllBytesAsync(Path.Combine(folder.FullName, "fix.csv")));
        var templateFile = Path.Combine(folder.FullName, "template.xlsx");
        Assert.Equal(0, (await CliAsync(["template", "--out", templateFile])).Exit);
        using (var reader = Domain.Reading.SurveyReader.Open(File.OpenRead(templateFile), "template.xlsx", new Domain.Reading.SurveyLimits()))
        {
            Assert.Equal(Domain.SurveyColumns.Count, reader.ColumnsFound.Count);
            Assert.Empty(reader.ReadRows());
        }

        var (summaryExit, summaryOutput) = await CliAsync(["summary", "--province", "zanjan"]);
        Assert.Equal(0, summaryExit);
        Assert.Matches(@"mines\s*│\s*3\s", summaryOutput);

        // Sent by mistake: the province withdraws the clean file with its own key, and its one mine leaves the record.
        var (withdrawExit, withdrawOutput) = await CliAsync(["withdraw", blob, "--reason", "sent twice by mistake", "--province", "zanjan", "--key", key]);
        Assert.Equal(0, withdrawExit);
        Assert.Matches("withdraw(ing|n)", withdrawOutput);
        var withdrawn = "";
        for (var i = 0; i < 120 && !withdrawn.Contains("): withdrawn"); i++)
        {
            await Task.Delay(500);
            withdrawn = (await CliAsync(["status", blob])).Output;
        }
        Assert.Contains("Withdrawn by province zanjan", withdrawn);
        Assert.Contains("sent twice by mistake. 1 of 1 mines done: 0 restored, 1 removed, 0 untouched (withdrawn)", withdrawn);
        Assert.Matches(@"mines\s*│\s*2\s", (await CliAsync(["summary", "--province", "zanjan"])).Output);

        var (wrongExit, wrongOutput) = await CliAsync(["upload", clean, "--province", "zanjan", "--key", key[..^3] + "xyz"]);
        Assert.Equal(ExitCodes.Error, wrongExit);
        Assert.Contains("upload key was refused", wrongOutput);
        var (typeExit, typeOutput) = await CliAsync(["upload", Path.Combine(folder.FullName, "notes.txt"), "--province", "zanjan", "--key", key]);
        Assert.Equal(ExitCodes.Error, typeExit);
        Assert.Contains("does not exist", typeOutput);
    }

    [Fact]
    public async Task Watch_sends_new_and_changed_files_once_even_across_a_restart()
    {
        var key = await CreateKeyAsync("ilam");
        var folder = Directory.CreateTempSubdirectory("mineingest-watch-");
        var args = new[] { "watch", folder.FullName, "--province", "ilam", "--key", key, "--interval", "0.3" };
        async Task<string[]> UploadedAsync()
        {
            var names = new List<string>();
            await foreach (var blob in fixture.Surveys.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "ilam/", CancellationToken.None)) names.Add(blob.Name);
            return [.. names];
        }
        async Task<string> WatchUntilAsync(Func<Task<bool>> done, TimeSpan atLeast)
        {
            using var stop = new CancellationTokenSource();
            var run = CliAsync(args, stop.Token);
            var started = DateTime.UtcNow;
            while (!await done() || DateTime.UtcNow - started < atLeast)
            {
                Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), "watch did not send in time");
                await Task.Delay(200);
            }
            stop.Cancel();
            var (exit, output) = await run;
            Assert.Equal(0, exit);
            return output;
        }

        await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "ilam-1.csv"), new SurveyBuilder().Add(RowBuilder.WorkedExample("I-1", "ilam")).ToCsv());
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "notes.txt"), "not a survey");
        var first = await WatchUntilAsync(async () => (await UploadedAsync()).Length == 1, TimeSpan.FromSeconds(1));
        Assert.Contains("Sent ilam-1.csv", first);

        // Restarted: nothing new is sent, even after several looks at the folder; the log says what became of the file
        // sent, from its events (in this run or the first, whichever was looking when they came).
        await PipelineFixture.WaitForSurveyAsync(fixture.Http, (await UploadedAsync())[0]);
        var second = await WatchUntilAsync(() => Task.FromResult(true), TimeSpan.FromSeconds(2));
        Assert.Contains("1 file(s) already sent", second);
        Assert.Matches(@"survey\.completed  ilam/\S+ilam-1\.csv: completed, rows 1, accepted 1, rejected 0", first + second);
        Assert.Single(await UploadedAsync());

        // A copy of the same content under another name is not sent; a changed file is.
        File.Copy(Path.Combine(folder.FullName, "ilam-1.csv"), Path.Combine(folder.FullName, "ilam-copy.csv"));
        await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "ilam-1.csv"),
            new SurveyBuilder().Add(RowBuilder.WorkedExample("I-1", "ilam")).Add(RowBuilder.WorkedExample("I-2", "ilam")).ToCsv());
        var third = await WatchUntilAsync(async () => (await UploadedAsync()).Length == 2, TimeSpan.FromSeconds(2));
        Assert.DoesNotContain("ilam-copy.csv", third);
        Assert.Equal(2, (await UploadedAsync()).Length);
        var report = await PipelineFixture.WaitForSurveyAsync(fixture.Http, (await UploadedAsync()).Order().Last());
        Assert.Equal(2, report.GetProperty("accepted").GetInt32());
    }
}
