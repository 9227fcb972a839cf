using MineIngest.Domain.Reading;
using MineIngest.Domain.Writing;
using MineIngest.TestData;

namespace MineIngest.Domain.Tests;

/// <summary>Text is kept as written or refused with a reason: trimming, characters that cannot be shown, ids a web address cannot carry.</summary>
public class TextAsWrittenTests
{
    private static readonly DateOnly Today = new(2026, 11, 26);
    private readonly RowValidator _validator = new(ReferenceData.Default);

    private RowOutcome Validate(RowBuilder row) => _validator.Validate(row.ToSurveyRow(7), new ValidationContext("kerman", Today));

    [Theory]
    [InlineData("\uFEFF")]
    [InlineData("\u200B\u200C")]
    [InlineData(" \u200E\u200F ")]
    [InlineData("\u2066\u2069")]
    public void A_required_value_of_invisible_marks_only_is_missing(string invisible)
    {
        var outcome = Validate(RowBuilder.WorkedExample().Set("mine_name", invisible));
        Assert.False(outcome.Accepted);
        Assert.Contains(outcome.Errors, e => e.Field == "mine_name" && e.Message == "Mine name is missing.");
    }

    [Fact]
    public void Invisible_marks_at_the_ends_are_trimmed_as_spaces_are_and_kept_inside()
    {
        var outcome = Validate(RowBuilder.WorkedExample("\uFEFFK-1\u200F").Set("mine_name", "\u200Bمعدن\u200Cسنگ \u00A0").Set("county", "\u202Bرفسنجان\u202C"));
        Assert.True(outcome.Accepted);
        Assert.Equal("K-1", outcome.Mine!.MineId);
        Assert.Equal("معدن\u200Cسنگ", outcome.Mine.Name);
        Assert.Equal("رفسنجان", outcome.Mine.County);
        Assert.Equal(Mine.KeyOf("k-1"), Mine.KeyOf("\uFEFFK-1 "));
    }

    // Written as code points: a lone surrogate does not survive the test runner's own serialisation of a string.
    [Theory]
    [InlineData("mine_name", "a", 0x1B, "b", 2)]
    [InlineData("county", "bell", 0x07, "", 5)]
    [InlineData("notes", "back", 0x08, "space", 5)]
    [InlineData("notes", "half ", 0xD83D, "", 6)]
    [InlineData("mine_id", "tab", 0x09, "inside", 4)]
    [InlineData("mine_name", "end", 0xFFFF, "", 4)]
    public void A_character_that_cannot_be_shown_rejects_the_row_naming_the_column_and_place(string column, string before, int codePoint, string after, int position)
    {
        var outcome = Validate(RowBuilder.WorkedExample().Set(column, before + (char)codePoint + after));
        Assert.False(outcome.Accepted);
        var error = Assert.Single(outcome.Errors, e => e.Field == column);
        var code = $"U+{codePoint:X4}";
        Assert.Contains(code, error.Message);
        Assert.Contains($"character {position}", error.Message);
        Assert.Contains(code, error.MessageFa);
    }

    [Theory]
    [InlineData("notes", "line\nbreak\r\nand\ttab")]
    [InlineData("mine_name", "👩🏽‍🔧 𠜎 mine")]
    [InlineData("mine_id", "K-12/7")]
    [InlineData("mine_id", "۱۲۳/۴۵")]
    [InlineData("mine_id", "100%")]
    [InlineData("mine_id", "...")]
    public void Free_text_and_ids_that_can_be_shown_and_addressed_are_kept_exactly(string column, string text)
    {
        var outcome = Validate(RowBuilder.WorkedExample().Set(column, text));
        Assert.True(outcome.Accepted, string.Join("; ", outcome.Errors.Select(e => e.Message)));
        var kept = column switch { "notes" => outcome.Mine!.Notes, "mine_name" => outcome.Mine!.Name, _ => outcome.Mine!.MineId };
        Assert.Equal(text, kept);
    }

    [Theory]
    [InlineData(".", "only dots")]
    [InlineData("..", "only dots")]
    [InlineData("a%2Fb", "%2F")]
    [InlineData("x%2fy", "%2F")]
    public void An_id_no_web_address_can_carry_is_rejected_with_a_reason(string id, string reason)
    {
        var outcome = Validate(RowBuilder.WorkedExample(id));
        Assert.False(outcome.Accepted);
        Assert.Contains(outcome.Errors, e => e.Field == "mine_id" && e.Message.Contains(reason));
    }

    [Theory]
    [InlineData("K-12%2F7", "K-12/7")]
    [InlineData("a%2fb%2Fc", "a/b/c")]
    [InlineData("100%", "100%")]
    [InlineData("plain", "plain")]
    public void A_route_value_names_the_id_with_its_encoded_slashes_decoded(string route, string id) =>
        Assert.Equal(id, MineAddress.FromRoute(route));

    [Fact]
    public void Every_hostile_id_the_validator_accepts_survives_the_address_round_trip()
    {
        // What ASP.NET Core hands a route: the percent-encoded id decoded except for %2F.
        static string AsRouteValue(string encoded) => Uri.UnescapeDataString(encoded.Replace("%2F", "%252F", StringComparison.Ordinal));
        var accepted = 0;
        foreach (var id in HostileStrings.All)
        {
            var outcome = Validate(RowBuilder.WorkedExample(id));
            if (!outcome.Accepted) continue;
            accepted++;
            Assert.Equal(outcome.Mine!.MineId, MineAddress.FromRoute(AsRouteValue(Uri.EscapeDataString(outcome.Mine.MineId))));
        }
        Assert.True(accepted > 300, $"{accepted} accepted");
    }

    [Theory]
    [InlineData("a\u001Bb\u0008c\u0007d")]
    [InlineData("_x0041_ and _x005F_x0041_")]
    [InlineData("cr\r\nlf and \u00A0 space")]
    [InlineData("plain text, no escapes")]
    [InlineData("_x_ _xZZZZ_ _x12_")]
    public void The_xlsx_escape_gives_every_text_back(string text)
    {
        var escaped = XlsxText.Escape(text);
        Assert.DoesNotContain(escaped, c => c < 0x20 && c is not ('\t' or '\n'));
        Assert.Equal(text, XlsxText.Unescape(escaped));
    }

    [Fact]
    public void The_xlsx_escape_gives_a_lone_surrogate_back()
    {
        var text = "lone " + (char)0xD800 + " and " + (char)0xDC00;
        Assert.Equal("lone _xD800_ and _xDC00_", XlsxText.Escape(text));
        Assert.Equal(text, XlsxText.Unescape(XlsxText.Escape(text)));
    }

    [Fact]
    public void The_reader_decodes_the_escape_as_Excel_writes_it()
    {
        var survey = new SurveyBuilder().Add(RowBuilder.WorkedExample("ESC-1").Set("mine_name", "a\u001Bb").Set("county", "_x0041_").Set("notes", "bell\u0007"));
        using var reader = SurveyReader.Open(new MemoryStream(survey.ToXlsx()), "s.xlsx", new SurveyLimits());
        var row = Assert.Single(reader.ReadRows());
        Assert.Equal("a\u001Bb", row[Column.MineName]);
        Assert.Equal("_x0041_", row[Column.County]);
        Assert.Equal("bell\u0007", row[Column.Notes]);
    }
}
