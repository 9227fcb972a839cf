using MineIngest.TestData;

namespace MineIngest.Domain.Tests;

public class ValidationTests
{
    private static readonly DateOnly Today = new(2026, 11, 26);
    private readonly RowValidator _validator = new(ReferenceData.Default);

    private RowOutcome Validate(RowBuilder row, string? folder = null, int? duplicateOf = null)
    {
        return _validator.Validate(row.ToSurveyRow(7), new ValidationContext(folder, Today), duplicateOf);
    }

    private void AssertRejected(RowBuilder row, string field, string messagePart, string? folder = null)
    {
        var outcome = Validate(row, folder);
        Assert.False(outcome.Accepted);
        Assert.Contains(outcome.Errors, e => e.Field == field && e.Message.Contains(messagePart, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Worked_example_is_accepted_without_warnings()
    {
        var outcome = Validate(RowBuilder.WorkedExample());
        Assert.True(outcome.Accepted);
        Assert.Empty(outcome.Mine!.Warnings);
        Assert.Equal("kerman", outcome.Mine.Province);
        Assert.Equal(new DateOnly(2020, 5, 10), outcome.Mine.SurveyDate);
    }

    [Theory]
    [InlineData("mine_id")]
    [InlineData("mine_name")]
    [InlineData("province")]
    [InlineData("mineral")]
    [InlineData("status")]
    [InlineData("latitude")]
    [InlineData("longitude")]
    [InlineData("reserve_tonnes")]
    [InlineData("grade_pct")]
    [InlineData("jobs_potential")]
    [InlineData("survey_date")]
    public void Missing_required_value(string key) => AssertRejected(RowBuilder.WorkedExample().Set(key, null), key, "missing");

    [Fact]
    public void Grade_is_not_required_for_construction_stone() =>
        Assert.True(Validate(RowBuilder.WorkedExample().Set("mineral", "سنگ ساختمانی").Set("grade_pct", null)).Accepted);

    [Theory]
    [InlineData("latitude", "north")]
    [InlineData("reserve_tonnes", "lots")]
    [InlineData("grade_pct", "high")]
    [InlineData("road_km", "far")]
    [InlineData("jobs_potential", "x")]
    public void Wrong_type(string key, string value) => AssertRejected(RowBuilder.WorkedExample().Set(key, value), key, "is not a number");

    [Theory]
    [InlineData("province", "Atlantis", "not a province")]
    [InlineData("mineral", "gold", "not a known mineral")]
    [InlineData("status", "closed", "not a known status")]
    [InlineData("problem", "weather", "not a known main problem")]
    public void Unknown_names(string key, string value, string message) =>
        AssertRejected(RowBuilder.WorkedExample().Set(key, value), key, message);

    [Fact]
    public void Latitude_outside_Iran_uses_the_contract_message() =>
        AssertRejected(RowBuilder.WorkedExample().Set("latitude", 41.2), "latitude", "41.2 is outside Iran (25.0 to 39.8)");

    [Fact]
    public void Longitude_outside_Iran() =>
        AssertRejected(RowBuilder.WorkedExample().Set("longitude", 70), "longitude", "70 is outside Iran (44.0 to 63.4)");

    [Theory]
    [InlineData("reserve_tonnes", -1, "0 or more")]
    [InlineData("road_km", -1, "0 or more")]
    [InlineData("power_km", -2, "0 or more")]
    [InlineData("investment_bn_rial", -5, "0 or more")]
    [InlineData("jobs_created", -1, "0 or more")]
    [InlineData("grade_pct", 120, "between 0 and 100")]
    [InlineData("jobs_potential", 2.5, "whole number")]
    [InlineData("idle_since", 95, "must be a year")]
    [InlineData("idle_since", 1750, "must be a year")]
    public void Out_of_range(string key, double value, string message) =>
        AssertRejected(RowBuilder.WorkedExample().Set(key, value), key, message);

    [Fact]
    public void Invalid_date() => AssertRejected(RowBuilder.WorkedExample().Set("survey_date", "1399-13-01"), "survey_date", "not a valid date");

    [Fact]
    public void Future_date() =>
        AssertRejected(RowBuilder.WorkedExample().Set("survey_date", new DateOnly(2026, 11, 27)), "survey_date", "2026-11-27 is in the future");

    [Fact]
    public void Future_revival_date() =>
        AssertRejected(RowBuilder.WorkedExample().Set("status", "revived").Set("revived_on", "1406/01/01"), "revived_on", "in the future");

    [Fact]
    public void Revived_without_revival_date() =>
        AssertRejected(RowBuilder.WorkedExample().Set("status", "احیا شده"), "revived_on", "revival date is missing");

    [Fact]
    public void Province_must_match_the_folder()
    {
        AssertRejected(RowBuilder.WorkedExample().Set("province", "Yazd"), "province", "does not match the folder \"kerman\"", folder: "kerman");
        Assert.True(Validate(RowBuilder.WorkedExample().Set("province", "Yazd")).Accepted); // national/ takes any province
    }

    [Fact]
    public void Duplicate_names_the_first_row()
    {
        var outcome = Validate(RowBuilder.WorkedExample(), duplicateOf: 3);
        Assert.Contains(outcome.Errors, e => e.Field == "mine_id" && e.Message.StartsWith("duplicate of row 3"));
    }

    [Fact]
    public void Every_reason_is_reported()
    {
        var outcome = Validate(RowBuilder.WorkedExample().Set("latitude", 50).Set("mineral", "gold").Set("mine_name", null));
        Assert.Equal(["mine_name", "mineral", "latitude"], outcome.Errors.Select(e => e.Field).ToArray());
    }

    [Fact]
    public void Warning_grade_below_cutoff()
    {
        var outcome = Validate(RowBuilder.WorkedExample().Set("grade_pct", 15));
        Assert.True(outcome.Accepted);
        Assert.Contains(outcome.Mine!.Warnings, w => w.Message.Contains("below the cut-off for Chromite (20% Cr2O3)") && w.MessageFa.Contains("کرومیت"));
    }

    [Fact]
    public void Warning_jobs_created_above_potential()
    {
        var outcome = Validate(RowBuilder.WorkedExample().Set("status", "revived").Set("revived_on", "1402/05/01").Set("jobs_created", 30));
        Assert.True(outcome.Accepted);
        Assert.Equal(["Jobs created (30) is greater than potential jobs (20)."], outcome.Mine!.Warnings.Select(w => w.Message));
        Assert.Equal(["اشتغال ایجاد شده (30) بیشتر از اشتغال بالقوه (20) است."], outcome.Mine!.Warnings.Select(w => w.MessageFa));
        Assert.Equal(new DateOnly(2023, 7, 23), outcome.Mine.RevivedOn);
    }

    [Fact]
    public void Duplicate_tracker_keys_by_province_and_folded_mine_id()
    {
        var tracker = new DuplicateTracker(ReferenceData.Default);
        string?[] Row(string id, string province) { var v = new string?[SurveyColumns.Count]; v[0] = id; v[2] = province; return v; }
        Assert.Null(tracker.Check(new SurveyRow(2, Row("CHR-1", "kerman"))));
        Assert.Null(tracker.Check(new SurveyRow(3, Row("CHR-1", "yazd"))));
        Assert.Equal(2, tracker.Check(new SurveyRow(4, Row(" chr-1 ", "کرمان"))));
    }
}
