using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using System.Text;
using System.Text.Json;
using DocumentFormat.OpenXml.Packaging;
using MineIngest.Domain;
using MineIngest.Domain.Reading;
using MineIngest.Domain.Writing;
using MineIngest.TestData;
using OpenXmlCell = DocumentFormat.OpenXml.Spreadsheet.Cell;
using OpenXmlRow = DocumentFormat.OpenXml.Spreadsheet.Row;

using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Ingestion;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Tests;

/// <summary>The rows-to-fix workbook: only the rejected rows, as written, under the file's own header, with reasons.</summary>
[Collection(PipelineCollection.Name)]
public sealed class RowsToFixTests(PipelineFixture fixture)
{
    /// <summary>A province no other test of the shared fixture writes to, so their figures stay theirs.</summary>
    private const string Province = "golestan";

    /// <summary>Five rows, two wrong: row 3 (the second) lies outside Iran, row 5 (the fourth) names no known mineral.</summary>
    private static SurveyBuilder SurveyWithTwoBadRows(string prefix, HeaderLanguage language) => new SurveyBuilder { Language = language }
        .Add(RowBuilder.WorkedExample($"{prefix}-1", Province))
        .Add(RowBuilder.WorkedExample($"{prefix}-2", Province).Set("latitude", 41.2))
        .Add(RowBuilder.WorkedExample($"{prefix}-3", Province))
        .Add(RowBuilder.WorkedExample($"{prefix}-4", Province).Set("mineral", "kryptonite"))
        .Add(RowBuilder.WorkedExample($"{prefix}-5", Province));

    [Theory]
    [InlineData("xlsx", HeaderLanguage.Persian)]
    [InlineData("xls", HeaderLanguage.English)]
    [InlineData("csv", HeaderLanguage.Persian)]
    public async Task Rows_to_fix_hold_only_the_rejected_rows_as_written_and_fixed_they_add_exactly_those_mines(string format, HeaderLanguage language)
    {
        var prefix = $"FIX{format.ToUpperInvariant()}";
        var survey = SurveyWithTwoBadRows(prefix, language);
        var source = format switch { "xlsx" => survey.ToXlsx(), "xls" => survey.ToXls(), _ => survey.ToCsv() };
        var blob = $"{Province}/rows-to-fix-{format}.{format}";
        await fixture.UploadAsync(blob, source);
        var report = await PipelineFixture.WaitForSurveyAsync(fixture.Http, blob);
        Assert.Equal(2, report.GetProperty("rejected").GetInt32());
        var id = report.GetProperty("id").GetString();
        var expectedHeader = SurveyColumns.All.Select(c => language == HeaderLanguage.Persian ? c.Persian : c.English).ToList();

        // xlsx: the file's header, the two rows with their values, the reasons, and the cells at fault highlighted.
        var workbook = await fixture.Http.GetByteArrayAsync($"/api/surveys/{id}/errors.xlsx");
        using (var reader = SurveyReader.Open(new MemoryStream(workbook), "rows.xlsx", new SurveyLimits()))
        {
            Assert.Equal(expectedHeader, reader.Headers.Select(h => h.Text));
            var rows = reader.ReadRows().ToList();
            Assert.Equal([$"{prefix}-2", $"{prefix}-4"], rows.Select(r => r[Column.MineId]));
            Assert.Equal("41.2", rows[0][Column.Latitude]);
            Assert.Equal("kryptonite", rows[1][Column.Mineral]);
            Assert.Equal("Sabzevaran", rows[1][Column.County]);
        }
        using (var document = SpreadsheetDocument.Open(new MemoryStream(workbook), isEditable: false))
        {
            var sheet = document.WorkbookPart!.WorksheetParts.Single().Worksheet;
            var rows = sheet.Descendants<OpenXmlRow>().Select(r => r.Elements<OpenXmlCell>().ToList()).ToList();
            Assert.Equal(RowsToFix.ReasonsHeader, rows[0][^1].InnerText);
            var reasons = rows[1][^1].InnerText;
            Assert.Contains("بیرون از ایران", reasons);
            Assert.Contains("outside Iran", reasons);
            Assert.Contains("ردیف 3", reasons);
            int Style(OpenXmlCell c) => (int)(c.StyleIndex?.Value ?? 0);
            var latitude = (int)Column.Latitude;
            Assert.NotEqual(Style(rows[1][latitude - 1]), Style(rows[1][latitude]));   // the latitude cell of the first bad row
            Assert.Equal(Style(rows[2][latitude - 1]), Style(rows[2][latitude]));      // not of the second, whose mineral is at fault
            Assert.NotEqual(Style(rows[2][(int)Column.Mineral - 1]), Style(rows[2][(int)Column.Mineral]));
        }

        // csv: UTF-8 with BOM, same header plus the reasons, the same two rows.
        var csv = await fixture.Http.GetByteArrayAsync($"/api/surveys/{id}/errors.csv");
        Assert.Equal([0xEF, 0xBB, 0xBF], csv[..3]);
        using (var reader = SurveyReader.Open(new MemoryStream(csv), "rows.csv", new SurveyLimits()))
        {
            Assert.Equal(expectedHeader, reader.Headers.Select(h => h.Text));
            Assert.Equal([$"{prefix}-2", $"{prefix}-4"], reader.ReadRows().Select(r => r[Column.MineId]));
        }
        Assert.Contains(RowsToFix.ReasonsHeader, Encoding.UTF8.GetString(csv).Split('\n')[0]);

        // Corrected and sent again: exactly those two mines are added.
        var (fixedBook, changed) = WorkbookEditor.ReplaceCells(workbook, new Dictionary<string, string> { ["41.2"] = "29.5", ["kryptonite"] = "chromite" });
        Assert.Equal(2, changed);
        await fixture.UploadAsync($"{Province}/rows-to-fix-{format}-fixed.xlsx", fixedBook);
        var second = await PipelineFixture.WaitForSurveyAsync(fixture.Http, $"{Province}/rows-to-fix-{format}-fixed.xlsx");
        Assert.Equal((2, 2, 0, 0), (second.GetProperty("rows").GetInt32(), second.GetProperty("accepted").GetInt32(),
            second.GetProperty("rejected").GetInt32(), second.GetProperty("failed").GetInt32()));
        var mine = await PipelineFixture.GetJsonAsync(fixture.Http, $"/api/mines/{Province}/{prefix}-2");
        Assert.Equal(29.5, mine.GetProperty("latitude").GetDouble());
    }

    [Fact]
    public async Task A_row_that_failed_inside_the_pipeline_is_a_row_to_fix_with_its_reason()
    {
        var blob = $"{Province}/rows-to-fix-failed.csv";
        await fixture.UploadAsync(blob, new SurveyBuilder().Add(RowBuilder.WorkedExample("FIXOK-1", Province)).Add(RowBuilder.WorkedExample("FAULT-FIX-2", Province))
            .Add(RowBuilder.WorkedExample("FIXBAD-3", Province).Set("latitude", 99)).ToCsv());
        var report = await PipelineFixture.WaitForSurveyAsync(fixture.Http, blob);
        Assert.Equal((1, 1, 1), (report.GetProperty("accepted").GetInt32(), report.GetProperty("rejected").GetInt32(), report.GetProperty("failed").GetInt32()));
        var csv = Encoding.UTF8.GetString(await fixture.Http.GetByteArrayAsync($"/api/surveys/{report.GetProperty("id").GetString()}/errors.csv"));
        var lines = csv.TrimStart('\uFEFF').Split("\r\n".ToCharArray(), StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("FAULT-FIX-2,", lines.Single(l => l.StartsWith("FAULT-FIX-2,")));
        Assert.Contains(ClerkMessages.RowFailed().Persian, csv);
        Assert.Contains("FIXBAD-3,", csv);
        Assert.DoesNotContain("FIXOK-1", csv);
    }

    [Fact]
    public async Task A_survey_without_rejected_rows_gives_the_header_alone_and_unknown_formats_and_surveys_are_404()
    {
        var blob = $"{Province}/rows-to-fix-none.csv";
        await fixture.UploadAsync(blob, new SurveyBuilder().Add(RowBuilder.WorkedExample("NOFIX-1", Province)).ToCsv());
        var report = await PipelineFixture.WaitForSurveyAsync(fixture.Http, blob);
        var id = report.GetProperty("id").GetString();
        var csv = Encoding.UTF8.GetString(await fixture.Http.GetByteArrayAsync($"/api/surveys/{id}/errors.csv")).TrimStart('\uFEFF');
        Assert.Single(csv.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Http.GetAsync($"/api/surveys/{id}/errors.pdf")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Http.GetAsync("/api/surveys/nosuchsurvey/errors.xlsx")).StatusCode);
    }

    [Fact]
    public async Task The_template_route_serves_the_workbook_and_a_whole_file_rejection_has_its_Persian_reason()
    {
        var template = await fixture.Http.GetAsync("/api/template.xlsx");
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", template.Content.Headers.ContentType!.MediaType);
        using (var reader = SurveyReader.Open(await template.Content.ReadAsStreamAsync(), "template.xlsx", new SurveyLimits()))
            Assert.Empty(reader.ReadRows());

        await fixture.UploadAsync($"{Province}/not-a-workbook.xlsx", Encoding.UTF8.GetBytes("this is not a zip"));
        var report = await PipelineFixture.WaitForSurveyAsync(fixture.Http, $"{Province}/not-a-workbook.xlsx");
        Assert.Equal("rejected", report.GetProperty("status").GetString());
        Assert.Equal(ClerkMessages.NotAnXlsxWorkbook().Persian, report.GetProperty("errorFa").GetString());
        JsonElement errors = report.GetProperty("errors");
        Assert.Equal(0, errors.GetArrayLength());
    }

    [Fact]
    public async Task After_the_retention_the_rows_to_fix_are_gone_with_a_clear_answer_and_the_counts_stay()
    {
        var blob = $"{Province}/rows-to-fix-retention.csv";
        await fixture.UploadAsync(blob, SurveyWithTwoBadRows("KEEP", HeaderLanguage.English).ToCsv());
        var report = await PipelineFixture.WaitForSurveyAsync(fixture.Http, blob);
        var id = report.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await fixture.Http.GetAsync($"/api/surveys/{id}/errors.xlsx")).StatusCode);

        var storage = StorageClients.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection([new("AzureWebJobsStorage", fixture.Azurite.ConnectionString)]).Build());
        var options = Microsoft.Extensions.Options.Options.Create(new UploadOptions { ReportRetentionDays = 90 });
        var retention = new ReportRetention(storage, options, new ShiftedClock(TimeSpan.FromDays(89)), NullLogger<ReportRetention>.Instance);
        await retention.PurgeAsync(CancellationToken.None);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Http.GetAsync($"/api/surveys/{id}/errors.xlsx")).StatusCode); // 89 days: still kept

        retention = new ReportRetention(storage, options, new ShiftedClock(TimeSpan.FromDays(90.01)), NullLogger<ReportRetention>.Instance);
        Assert.True(await retention.PurgeAsync(CancellationToken.None) >= 1);
        var gone = await fixture.Http.GetAsync($"/api/surveys/{id}/errors.xlsx");
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        var problem = await gone.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ClerkMessages.RowsNoLongerKept().Persian, problem.GetProperty("detailFa").GetString());
        var after = await PipelineFixture.GetJsonAsync(fixture.Http, $"/api/surveys/{id}");
        Assert.Equal((5, 3, 2), (after.GetProperty("rows").GetInt32(), after.GetProperty("accepted").GetInt32(), after.GetProperty("rejected").GetInt32()));
        Assert.Equal(0, after.GetProperty("errors").GetArrayLength());
        Assert.Equal(0, await retention.PurgeAsync(CancellationToken.None)); // once only
    }

    private sealed class ShiftedClock(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + ahead;
    }
}
