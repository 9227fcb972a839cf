using System.Diagnostics;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using MineIngest.Domain.Writing;
using MineIngest.TestData;

namespace MineIngest.Domain.Tests;

/// <summary>The survey template: it reads back as a header without rows, and filled in, as the mines written.</summary>
public class TemplateTests
{
    private static async Task<byte[]> TemplateAsync()
    {
        using var output = new MemoryStream();
        await SurveyTemplate.WriteAsync(output, ReferenceData.Default, CancellationToken.None);
        return output.ToArray();
    }

    [Fact]
    public async Task The_template_reads_as_the_header_and_no_rows()
    {
        using var reader = SurveyReader.Open(new MemoryStream(await TemplateAsync()), SurveyTemplate.FileName, new SurveyLimits());
        Assert.Equal(SurveyColumns.Count, reader.ColumnsFound.Count);
        Assert.Equal(SurveyColumns.All.Select(c => c.Persian), reader.Headers.Select(h => h.Text));
        Assert.Empty(reader.ReadRows());
    }

    [Fact]
    public async Task The_filled_template_reads_to_the_mines_written_in_it()
    {
        var rows = new[]
        {
            RowBuilder.WorkedExample("CHR-1"),
            RowBuilder.WorkedExample("MN-2").Set("mineral", "منگنز").Set("grade_pct", 28.5).Set("province", "کرمان").Set("status", "احیا شده")
                .Set("revived_on", "1403-02-20").Set("jobs_created", 12),
            RowBuilder.WorkedExample("ST-3").Set("mineral", "سنگ ساختمانی").Set("grade_pct", null).Set("problem", null),
        };
        var filled = TemplateFiller.Fill(await TemplateAsync(), rows);

        using var reader = SurveyReader.Open(new MemoryStream(filled), "kerman.xlsx", new SurveyLimits());
        var validator = new RowValidator(ReferenceData.Default);
        var outcomes = reader.ReadRows().Select(r => validator.Validate(r, new ValidationContext("kerman", new DateOnly(2026, 11, 26)))).ToList();
        Assert.Equal([3, 4, 5], outcomes.Select(o => o.RowNumber));
        Assert.All(outcomes, o => Assert.True(o.Accepted, string.Join("; ", o.Errors.Select(e => e.Message))));
        Assert.Equal(["CHR-1", "MN-2", "ST-3"], outcomes.Select(o => o.Mine!.MineId));
        Assert.Equal(["chromite", "manganese", "construction-stone"], outcomes.Select(o => o.Mine!.Mineral));
        Assert.Equal("revived", outcomes[1].Mine!.Status);
        Assert.Equal(new DateOnly(2024, 5, 9), outcomes[1].Mine!.RevivedOn);
    }

    [Fact]
    public async Task The_template_has_drop_downs_checks_hints_a_frozen_header_and_a_guide()
    {
        using var document = SpreadsheetDocument.Open(new MemoryStream(await TemplateAsync()), isEditable: false);
        var book = document.WorkbookPart!;
        var sheets = book.Workbook.Sheets!.Elements<Sheet>().ToList();
        Assert.Equal([SurveyTemplate.SurveySheet, SurveyTemplate.GuideSheet, SurveyTemplate.ListsSheet], sheets.Select(s => s.Name!.Value));
        Assert.Equal(SheetStateValues.Hidden, sheets[2].State!.Value);

        var survey = ((WorksheetPart)book.GetPartById(sheets[0].Id!)).Worksheet;
        var validations = survey.Descendants<DataValidation>().ToList();
        Assert.Equal(SurveyColumns.Count, validations.Count);
        Assert.All(validations, v => Assert.False(string.IsNullOrEmpty(v.Prompt?.Value)));
        var lists = validations.Where(v => v.Type?.Value == DataValidationValues.List).ToList();
        Assert.Equal(["C3:C5002", "E3:E5002", "F3:F5002", "Q3:Q5002"], lists.Select(v => v.SequenceOfReferences!.InnerText).Order());
        Assert.Contains(lists, v => v.Formula1!.Text.Contains("$A$1:$A$31"));
        Assert.Contains(validations, v => v.SequenceOfReferences!.InnerText == "G3:G5002" && v.Type!.Value == DataValidationValues.Decimal);
        var pane = survey.Descendants<Pane>().Single();
        Assert.Equal(2d, pane.VerticalSplit!.Value);

        var listSheet = ((WorksheetPart)book.GetPartById(sheets[2].Id!)).Worksheet;
        // One column per list; the provinces (31) are the longest.
        Assert.Equal(ReferenceData.Default.Provinces.Count, listSheet.Descendants<Row>().Count());
        var guideRows = ((WorksheetPart)book.GetPartById(sheets[1].Id!)).Worksheet.Descendants<Row>().Count();
        Assert.True(guideRows > SurveyColumns.Count);
    }

    [Fact]
    public async Task LibreOffice_opens_the_template()
    {
        var folder = Directory.CreateTempSubdirectory("template-");
        try
        {
            var path = Path.Combine(folder.FullName, SurveyTemplate.FileName);
            await File.WriteAllBytesAsync(path, await TemplateAsync());
            var start = new ProcessStartInfo("soffice", ["--headless", $"-env:UserInstallation=file://{folder.FullName}/profile", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", folder.FullName, path])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var process = Process.Start(start) ?? throw new InvalidOperationException("soffice did not start");
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
            Assert.True(process.ExitCode == 0, output);
            var csv = await File.ReadAllLinesAsync(Path.ChangeExtension(path, ".csv"));
            Assert.Contains("کد معدن", csv[0]);
            Assert.Contains("Mine ID", csv[1]);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
