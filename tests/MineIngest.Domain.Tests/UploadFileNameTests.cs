namespace MineIngest.Domain.Tests;

public sealed class UploadFileNameTests
{
    [Theory]
    [InlineData("kerman-1403.xlsx", "kerman-1403.xlsx")]
    [InlineData("Survey 1403 (final).XLSX", "Survey-1403-final.xlsx")]
    [InlineData("../../etc/passwd.csv", "passwd.csv")]
    [InlineData(@"C:\Surveys\yazd.Csv", "yazd.csv")]
    [InlineData("گزارش معادن کرمان.xls", "گزارش-معادن-کرمان.xls")]
    [InlineData("???.csv", "survey.csv")]
    [InlineData(".hidden.xlsx", "hidden.xlsx")]
    [InlineData("a%2Fb?x=1#.csv", "a-2Fb-x-1.csv")]
    public void Cleans_names_to_one_safe_segment(string given, string expected)
    {
        Assert.True(UploadFileNames.TryClean(given, out var cleaned, out var error), error?.English);
        Assert.Equal(expected, cleaned);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("report.pdf")]
    [InlineData("survey.xlsx.exe")]
    [InlineData("noextension")]
    [InlineData("folder/")]
    public void Refuses_what_is_not_a_survey_file(string? given)
    {
        Assert.False(UploadFileNames.TryClean(given, out _, out var error));
        Assert.NotEmpty(error!.English);
        Assert.NotEmpty(error.Persian);
    }

    [Fact]
    public void Long_names_are_cut_and_blob_names_carry_time_and_tag()
    {
        Assert.True(UploadFileNames.TryClean(new string('x', 300) + ".csv", out var cleaned, out _));
        Assert.Equal(84, cleaned.Length);
        var blob = UploadFileNames.BlobName("kerman", "a.xlsx", new DateTimeOffset(2026, 11, 26, 10, 5, 9, TimeSpan.FromHours(3.5)), "1f2e");
        Assert.Equal("kerman/20261126-063509-1f2e-a.xlsx", blob);
    }
}
