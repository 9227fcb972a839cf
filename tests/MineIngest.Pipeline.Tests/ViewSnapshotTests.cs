using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using MineIngest.Pipeline.View;
using MineIngest.TestData;
using Xunit.Abstractions;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// A new instance starts its view from the stored snapshot, and its first answer is as exact as any other: a snapshot
/// older than the changes that followed it is brought up to date from the change log before it answers, and one that is
/// damaged or made with other scoring settings is not used at all. Each case starts a host as ./run.sh does and asks once.
/// </summary>
public sealed class ViewSnapshotTests(ITestOutputHelper output) : IDisposable
{
    private readonly Azurite _azurite = new();

    private BlobClient Snapshot => new(_azurite.ConnectionString, PipelineOptions.ViewsContainer, ViewSnapshotStore.BlobName);

    /// <summary>A host whose view logs how it loaded; <paramref name="writeSnapshots"/> false leaves the stored snapshot as it is.</summary>
    private LocalHostProcess StartHost(bool writeSnapshots, params string[] settings) => LocalHostProcess.Start(_azurite, null,
        ["--Pipeline:ViewSnapshotSeconds=" + (writeSnapshots ? "1" : "0"), "--Logging:LogLevel:MineIngest.Pipeline.View=Information", .. settings]);

    private async Task UploadAndWaitAsync(LocalHostProcess host, string blob, SurveyBuilder survey)
    {
        var container = new BlobContainerClient(_azurite.ConnectionString, PipelineOptions.SurveysContainer);
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(survey.ToCsv()), overwrite: true);
        var report = await PipelineFixture.WaitForSurveyAsync(host.Http, blob, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal("completed", report.GetProperty("status").GetString());
    }

    /// <summary>The one question of each case: the summary, asked once of a host that has just started.</summary>
    private async Task<(int Mines, int Revived, int JobsCreated, string Log)> AskOnceAsync(params string[] settings)
    {
        using var host = StartHost(writeSnapshots: false, settings);
        JsonElement summary = default;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            // Waiting for the process to listen, not for an answer to come right: the first answer it gives is the one asserted.
            try
            {
                summary = await PipelineFixture.GetJsonAsync(host.Http, "/api/summary");
                break;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !host.HasExited)
            {
                await Task.Delay(100);
            }
        }
        Assert.False(summary.GetProperty("stale").GetBoolean());
        await Task.Delay(200); // its log lines
        var log = host.LogTail;
        output.WriteLine(string.Join('\n', log.Split('\n').Where(l => l.Contains("snapshot", StringComparison.OrdinalIgnoreCase))));
        return (summary.GetProperty("mines").GetInt32(), summary.GetProperty("byStatus").GetProperty("revived").GetInt32(),
            summary.GetProperty("jobsCreated").GetInt32(), log);
    }

    private static RowBuilder Mine(int i) => RowBuilder.WorkedExample($"SNAP-{i}", "kerman");

    [Fact]
    public async Task A_snapshot_older_than_a_change_damaged_or_of_other_scoring_settings_is_never_served_as_fresh()
    {
        // Six mines, and a snapshot of them written by the host that scored them.
        using (var first = StartHost(writeSnapshots: true))
        {
            await UploadAndWaitAsync(first, "kerman/snapshot-1.csv", new SurveyBuilder().AddMany(6, Mine));
            Assert.Equal(6, (await PipelineFixture.GetJsonAsync(first.Http, "/api/summary")).GetProperty("mines").GetInt32());
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!await Snapshot.ExistsAsync())
            {
                Assert.True(DateTime.UtcNow < deadline, "No snapshot was written:\n" + first.LogTail);
                await Task.Delay(250);
            }
            await first.KillAsync();
        }
        var stored = (await Snapshot.DownloadContentAsync()).Value;
        var storedBytes = stored.Content.ToArray();
        var storedMetadata = stored.Details.Metadata;

        // A change after the snapshot, by a host that writes none: three of the mines revived, two new ones.
        using (var second = StartHost(writeSnapshots: false))
        {
            await UploadAndWaitAsync(second, "kerman/snapshot-2.csv", new SurveyBuilder().AddMany(5, i => i < 3
                ? Mine(i).Set("status", "revived").Set("revived_on", new DateOnly(2021, 3, 1)).Set("jobs_created", 7).Set("survey_date", new DateOnly(2021, 4, 1))
                : Mine(i + 3).Set("survey_date", new DateOnly(2021, 4, 1))));
            await second.KillAsync();
        }
        Assert.Equal(storedBytes, (await Snapshot.DownloadContentAsync()).Value.Content.ToArray()); // the snapshot is now older than the change

        // A new instance starts from the older snapshot: its first answer has the change.
        var fromOlder = await AskOnceAsync();
        Assert.Contains("started from the snapshot", fromOlder.Log);
        Assert.Equal((8, 3, 21), (fromOlder.Mines, fromOlder.Revived, fromOlder.JobsCreated));

        // Damaged: one byte changed, its metadata kept.
        var damaged = (byte[])storedBytes.Clone();
        damaged[damaged.Length / 2] ^= 0x5A;
        await Snapshot.UploadAsync(BinaryData.FromBytes(damaged), new BlobUploadOptions { Metadata = storedMetadata });
        var fromDamaged = await AskOnceAsync();
        Assert.Contains("does not match its hash", fromDamaged.Log);
        Assert.DoesNotContain("started from the snapshot", fromDamaged.Log);
        Assert.Equal((8, 3, 21), (fromDamaged.Mines, fromDamaged.Revived, fromDamaged.JobsCreated));

        // Damaged so that the hash agrees (written wrong, not changed after): it does not parse, and is not used.
        var garbage = System.Security.Cryptography.RandomNumberGenerator.GetBytes(4096);
        var metadata = new Dictionary<string, string>(storedMetadata) { ["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(garbage)) };
        await Snapshot.UploadAsync(BinaryData.FromBytes(garbage), new BlobUploadOptions { Metadata = metadata });
        var fromGarbage = await AskOnceAsync();
        Assert.Contains("could not be read", fromGarbage.Log);
        Assert.Equal((8, 3, 21), (fromGarbage.Mines, fromGarbage.Revived, fromGarbage.JobsCreated));

        // Made with other scoring settings than the new instance's: not used.
        await Snapshot.UploadAsync(BinaryData.FromBytes(storedBytes), new BlobUploadOptions { Metadata = storedMetadata });
        var otherSettings = await AskOnceAsync("--Scoring:TierA=66");
        Assert.Contains("other scoring settings", otherSettings.Log);
        Assert.DoesNotContain("started from the snapshot", otherSettings.Log);
        Assert.Equal((8, 3, 21), (otherSettings.Mines, otherSettings.Revived, otherSettings.JobsCreated));

        // Of another format: not used.
        await Snapshot.UploadAsync(BinaryData.FromBytes(storedBytes),
            new BlobUploadOptions { Metadata = new Dictionary<string, string>(storedMetadata) { ["format"] = (ViewSnapshotStore.Format + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) } });
        var otherFormat = await AskOnceAsync();
        Assert.DoesNotContain("started from the snapshot", otherFormat.Log);
        Assert.Equal((8, 3, 21), (otherFormat.Mines, otherFormat.Revived, otherFormat.JobsCreated));
    }

    public void Dispose() => _azurite.Dispose();
}
