using System.Text;
using MineIngest.Domain.Reading;
using MineIngest.Domain.Writing;

namespace MineIngest.Domain.Tests;

/// <summary>The one writer-side rule against formula injection, and the readers taking it off again.</summary>
public sealed class SpreadsheetTextTests
{
    [Theory]
    [InlineData("=1+1")]
    [InlineData("+cmd|' /C calc'!A0")]
    [InlineData("-2+3")]
    [InlineData("@SUM(1+1)")]
    [InlineData("\t=1")]
    [InlineData("\r=1")]
    [InlineData("-")]
    [InlineData("-Infinity")]
    public void A_formula_like_text_gets_an_apostrophe_and_reading_takes_it_off(string text)
    {
        Assert.Equal("'" + text, SpreadsheetText.ForCsv(text));
        Assert.Equal(text, SpreadsheetText.FromSheet(SpreadsheetText.ForCsv(text)));
    }

    [Theory]
    [InlineData("-12.5")]
    [InlineData("-5")]
    [InlineData("+7")]
    [InlineData("-1e5")]
    [InlineData("Chromite 12")]
    [InlineData("'quoted")]
    [InlineData("")]
    [InlineData("کرومیت")]
    public void Numbers_and_plain_text_are_written_and_read_as_they_are(string text)
    {
        Assert.Equal(text, SpreadsheetText.ForCsv(text));
        Assert.Equal(text, SpreadsheetText.FromSheet(text));
    }

    [Theory]
    [InlineData("'=x", "''=x")]
    [InlineData("''+1+1", "'''+1+1")]
    public void A_text_that_really_starts_with_apostrophes_before_a_formula_sign_reads_back_exactly(string text, string written)
    {
        Assert.Equal(written, SpreadsheetText.ForCsv(text));
        Assert.Equal(text, SpreadsheetText.FromSheet(written));
    }

    [Fact]
    public async Task A_csv_export_read_back_by_the_survey_reader_gives_the_original_values()
    {
        var header = SurveyColumns.All.Select(c => c.English).ToList();
        var values = new string?[SurveyColumns.Count];
        values[(int)Column.MineId] = "-X1";
        values[(int)Column.MineName] = "=HYPERLINK(\"http://x\",\"y\")";
        values[(int)Column.Province] = "@kerman";
        values[(int)Column.County] = "+cmd";
        values[(int)Column.JobsPotential] = "-5";
        values[(int)Column.Notes] = "line one\nline two, \"quoted\"";
        var bytes = await CsvExport.ToBytesAsync(header, [values], CancellationToken.None);
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Contains("'-X1,", text);
        Assert.Contains(",-5,", text);
        using var reader = SurveyReader.Open(new MemoryStream(bytes), "back.csv", new SurveyLimits());
        var row = Assert.Single(reader.ReadRows());
        foreach (var column in new[] { Column.MineId, Column.MineName, Column.Province, Column.County, Column.JobsPotential, Column.Notes })
            Assert.Equal(values[(int)column], row[column]);
    }
}
