using System.Text.Json;
using Azure.Data.Tables;
using MineIngest.Pipeline.Backup;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Tests;

/// <summary>The backup's line format and its cut, as pure logic: every Edm type back as written, and a mine put back as before a left-out survey.</summary>
public sealed class BackupFormatTests
{
    private static TableEntity RoundTrip(TableEntity entity)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) EntityLine.Write(writer, entity);
        return EntityLine.Read(buffer.ToArray());
    }

    [Fact]
    public void Every_edm_type_comes_back_with_its_type_and_value()
    {
        var entity = new TableEntity("kerman", "K-1/٢")
        {
            ["Text"] = "کرمان \u200c tab\tand \"quotes\"", ["Int"] = int.MinValue, ["Long"] = long.MaxValue, ["Double"] = 0.1 + 0.2,
            ["NaN"] = double.NaN, ["Whole"] = 59.0, ["Flag"] = true, ["When"] = new DateTimeOffset(2026, 12, 6, 7, 24, 58, TimeSpan.Zero).AddTicks(1234567),
            ["Id"] = Guid.Parse("7d7d5c57-0a4b-4b44-9d0e-4d0b5b9c0c11"), ["Bytes"] = new byte[] { 0, 1, 254, 255 },
        };
        var back = RoundTrip(entity);
        Assert.Equal(("kerman", "K-1/٢"), (back.PartitionKey, back.RowKey));
        foreach (var name in new[] { "Text", "Int", "Long", "Double", "Whole", "Flag", "When", "Id" })
        {
            Assert.Equal(entity[name].GetType(), back[name].GetType());
            Assert.Equal(entity[name], back[name]);
        }
        Assert.True(double.IsNaN((double)back["NaN"]));
        Assert.Equal((byte[])entity["Bytes"], (byte[])back["Bytes"]);
    }

    private static SurveyEntity Survey(string id, string stage, int rows, int accepted) =>
        new() { RowKey = id, Blob = $"kerman/{id}.csv", Folder = "kerman", Stage = stage, Rows = rows, Accepted = accepted, ReceivedAt = DateTimeOffset.UnixEpoch };

    private static MineEntity Mine(string surveyId, string date, int jobs) => new()
    {
        PartitionKey = "kerman", RowKey = "K-1", MineId = "K-1", Name = "Chromite K-1", Mineral = "chromite", Status = "idle", SurveyId = surveyId,
        SurveyDate = date, JobsPotential = jobs, Score = 50, Tier = "B", Notes = "notes of " + surveyId,
    };

    /// <summary>A mine as storage holds it after <paramref name="newer"/> replaced <paramref name="older"/>: the newer record and the older as a version property.</summary>
    private static TableEntity Stored(MineEntity newer, MineEntity? older)
    {
        var stored = new TableEntity(newer.PartitionKey, newer.RowKey) { ["Data"] = newer.Data, ["Notes"] = newer.Notes };
        if (older is not null) MineHistory.Store(stored, MineVersion.Of(older));
        return stored;
    }

    [Fact]
    public void A_mine_a_survey_in_progress_wrote_goes_back_to_its_kept_version_and_a_mine_only_it_wrote_is_left_out()
    {
        var cut = new BackupCut([Survey("done", SurveyStage.Processing, 5, 5), Survey("scoring", SurveyStage.Processing, 20_000, 700)]);
        Assert.Equal(["scoring"], cut.LeftOut.Select(s => s.Id));

        var older = Mine("done", "2020-01-01", 20);
        var replaced = cut.Mine(Stored(Mine("scoring", "2021-01-01", 90), older))!;
        var back = MineEntity.From(replaced);
        Assert.Equal(("done", "2020-01-01", 20), (back.SurveyId, back.SurveyDate, back.JobsPotential));
        Assert.Equal([("done", "2020-01-01")], MineHistory.VersionsOf(back, replaced).Select(v => (v.SurveyId, v.SurveyDate)));
        Assert.Null(back.Notes);

        // A left-out survey of an older date wrote only a version property: that goes, the mine stays as it was.
        var untouched = cut.Mine(Stored(Mine("done", "2022-01-01", 30), Mine("scoring", "2021-01-01", 90)))!;
        Assert.Equal([("done", "2022-01-01")], MineHistory.VersionsOf(MineEntity.From(untouched), untouched).Select(v => (v.SurveyId, v.SurveyDate)));
        Assert.Equal("notes of done", untouched.GetString("Notes"));

        Assert.Null(cut.Mine(Stored(Mine("scoring", "2021-01-01", 90), null)));
        var kept = Stored(Mine("done", "2020-01-01", 20), null);
        Assert.Same(kept, cut.Mine(kept));
    }

    [Fact]
    public void A_survey_in_progress_is_kept_only_as_received()
    {
        var cut = new BackupCut([Survey("scoring", SurveyStage.Processing, 20_000, 700)]);
        var stored = new TableEntity(SurveyEntity.Partition, "scoring")
        {
            ["Blob"] = "kerman/scoring.csv", ["Folder"] = "kerman", ["ReceivedAt"] = DateTimeOffset.UnixEpoch, ["BlobETag"] = "\"0x1\"",
            ["Stage"] = SurveyStage.Processing, ["Rows"] = 20_000, ["Accepted"] = 700, ["Enqueued"] = true, ["Chunks"] = 20,
        };
        var received = cut.Survey(stored);
        Assert.Equal(["Blob", "BlobETag", "Folder", "ReadAttempts", "ReceivedAt", "Stage"],
            received.Keys.Where(k => k is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag")).Order(StringComparer.Ordinal));
        Assert.Equal(SurveyStage.Reading, received.GetString("Stage"));
        var status = new TableEntity("sweep", "last") { ["Read"] = 3 };
        Assert.Same(status, cut.Survey(status));
    }
}
