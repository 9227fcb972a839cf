using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Microsoft.Extensions.Configuration;
using MineIngest.Domain;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Records;
using MineIngest.TestData;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// A round whose figures are the programme's own: 510 mines in 31 provinces, 42 revived in the first five months of 1399,
/// 300 jobs created in its first quarter, eleven committee meetings in the period (and some outside it), solutions recorded.
/// </summary>
public sealed class ReportFixture : IAsyncLifetime
{
    public Azurite Azurite { get; } = new();
    public LocalHostProcess Host { get; private set; } = null!;
    public HttpClient Http => Host.Http;
    public static IReadOnlyList<Province> Provinces => ReferenceData.Default.Provinces;

    public async Task InitializeAsync()
    {
        Host = LocalHostProcess.Start(Azurite);
        var survey = new SurveyBuilder().AddMany(510, i =>
        {
            var row = RowBuilder.WorkedExample($"R-{i:D3}", Provinces[i % 31].Slug).Set("survey_date", new DateOnly(2020, 9, 1))
                .Set("problem", i % 5 == 4 ? "none" : i % 5 == 3 ? "legal" : "financial");
            // 30 revived in the first quarter of 1399 with 10 jobs each; 12 in Tir and Mordad with 5; 8 in 1398 with 20.
            if (i < 30) row.Set("status", "revived").Set("revived_on", new DateOnly(2020, 4, 10)).Set("jobs_created", 10);
            else if (i < 42) row.Set("status", "revived").Set("revived_on", new DateOnly(2020, 7, 15)).Set("jobs_created", 5);
            else if (i < 50) row.Set("status", "revived").Set("revived_on", new DateOnly(2019, 5, 1)).Set("jobs_created", 20);
            return row;
        });
        var container = new BlobContainerClient(Azurite.ConnectionString, PipelineOptions.SurveysContainer);
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient("national/round-1399.csv").UploadAsync(BinaryData.FromBytes(survey.ToCsv()));
        var report = await PipelineFixture.WaitForSurveyAsync(Http, "national/round-1399.csv", timeout: TimeSpan.FromSeconds(120));
        Assert.Equal(510, report.GetProperty("accepted").GetInt32());

        var keys = new ProvinceKeyStore(StorageClients.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection([new("AzureWebJobsStorage", Azurite.ConnectionString)]).Build()), ReferenceData.Default, TimeProvider.System);
        var writer = (await keys.CreateAsync(ProvinceKeyStore.OfficeScope, CancellationToken.None)).Key;
        // Eleven meetings in the first five months of 1399, one before and one after them.
        string[] dates = ["1399-01-20", "1399-01-28", "1399-02-05", "1399-02-10", "1399-02-25", "1399-03-04", "1399-03-18", "1399-04-02", "1399-04-21", "1399-05-09", "1399-05-30",
            "1398-10-01", "1399-07-01"];
        for (var m = 0; m < dates.Length; m++)
        {
            using var post = new HttpRequestMessage(HttpMethod.Post, "/api/committees")
            {
                Content = JsonContent.Create(new { date = dates[m], province = Provinces[m].Slug, investors = new[] { $"Investor {m}" },
                    mines = new[] { new { mineId = $"R-{m:D3}", outcome = m < 4 ? "agreement-signed" : "interested" } } }),
            };
            post.Headers.Add(OfficeApi.WriterKeyHeader, writer);
            Assert.Equal(HttpStatusCode.Created, (await Http.SendAsync(post)).StatusCode);
        }
        string[] states = ["proposed", "agreed", "in-progress", "done", "done", "agreed", "proposed"];
        for (var s = 0; s < states.Length; s++)
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/mines/{Provinces[s].Slug}/R-{s:D3}/solution")
            {
                Content = JsonContent.Create(new { text = "Lease equipment through the provincial fund", state = states[s] }),
            };
            put.Headers.Add(OfficeApi.WriterKeyHeader, writer);
            Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(put)).StatusCode);
        }
    }

    public Task DisposeAsync()
    {
        Host.Dispose();
        Azurite.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The progress report: the page a person prints, the workbook, the same figures as the API.</summary>
public sealed partial class ReportTests(ReportFixture fixture) : IClassFixture<ReportFixture>
{
    private static string Fa(string text) => ReportPage.PersianDigits(text);

    /// <summary>The page's tables as their cells' values (data-v), by table id.</summary>
    private static Dictionary<string, List<List<string>>> Tables(string html) =>
        TableRegex().Matches(html).ToDictionary(t => t.Groups["id"].Value, t => RowRegex().Matches(t.Groups["body"].Value)
            .Select(r => CellRegex().Matches(r.Value).Select(c => WebUtility.HtmlDecode(c.Groups["v"].Value)).ToList()).Where(r => r.Count > 0).ToList());

    private static string Lead(string html) => WebUtility.HtmlDecode(Regex.Replace(LeadRegex().Match(html).Groups["text"].Value, "</?bdi[^>]*>", ""));

    [Fact]
    public async Task The_lead_and_the_tables_state_the_round_s_figures_in_persian_digits_for_a_named_period_and_the_same_gregorian_dates()
    {
        var named = await fixture.Http.GetStringAsync("/api/report?period=1399-F5");
        var dated = await fixture.Http.GetStringAsync("/api/report?from=2020-03-20&to=2020-08-21");
        var quarter = await fixture.Http.GetStringAsync("/api/report?period=1399-Q1");
        foreach (var page in new[] { named, dated })
        {
            var lead = Lead(page);
            Assert.Contains($"{Fa("510")} معدن در {Fa("31")} استان شناسایی و اولویت‌بندی شده‌اند", lead);
            Assert.Contains($"{Fa("42")} معدن احیا شد و {Fa("360")} شغل ایجاد شد", lead);
            Assert.Contains($"{Fa("11")} جلسه کمیته فنی مشترک با سرمایه‌گذاران برگزار شد و برای {Fa("4")} معدن قرارداد امضا شد", lead);
            // Problems: 408 of the 510 name one other than "none"; solutions were recorded for 7 mines, 6 of them diagnosed.
            Assert.Contains($"مشکلات {Fa("408")} معدن تشخیص داده شده و برای {Fa("6")} معدن راه‌حل ارائه شده است", lead);
            var tables = Tables(page);
            Assert.Equal(31, tables["provinces"].Count);
            Assert.Equal(42, tables["provinces"].Sum(r => int.Parse(r[5])));
            Assert.Equal(360, tables["provinces"].Sum(r => int.Parse(r[6])));
            Assert.Equal(42, tables["revived"].Count);
            Assert.Equal(11, tables["meetings"].Count);
        }
        // Revived: this period, the one compared with, the change. The first five months of 1398 for the named period
        // (the 8 revived in 1398-02), the same number of days just before for dates.
        Assert.Equal(["42", "8", "34"], Tables(named)["comparison"][0][1..]);
        Assert.Equal(["42", "0", "42"], Tables(dated)["comparison"][0][1..]);
        Assert.Contains("۵ ماه نخست ۱۳۹۹", named);
        Assert.Contains($"در فصل اول {Fa("1399")} {Fa("30")} معدن احیا شد و {Fa("300")} شغل ایجاد شد", Lead(quarter));
        Assert.Equal(Tables(named).Where(t => t.Key != "comparison"), Tables(dated).Where(t => t.Key != "comparison"));

        // The same figures as the API's summary for the period.
        var summary = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/summary?from=1399-01-01&to=1399-05-31");
        Assert.Equal((42, 360, 11), (summary.GetProperty("revived").GetInt32(), summary.GetProperty("jobsCreated").GetInt32(), summary.GetProperty("committeeMeetings").GetInt32()));

        var english = Lead(await fixture.Http.GetStringAsync("/api/report?period=1399-F5&lang=en"));
        Assert.Contains("510 mines in 31 provinces have been identified and prioritised", english);
        Assert.Contains("In the first 5 months of 1399, 42 mines were revived and 360 jobs were created.", english);
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Http.GetAsync("/api/report?period=1399-Q5")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Http.GetAsync("/api/report?from=1399-05-31&to=1399-01-01")).StatusCode);
    }

    [Fact]
    public async Task The_workbook_s_sheets_read_back_equal_the_page_s_tables()
    {
        var tables = Tables(await fixture.Http.GetStringAsync("/api/report?period=1399-F5"));
        var workbook = await fixture.Http.GetByteArrayAsync("/api/report.xlsx?period=1399-F5");
        using var document = SpreadsheetDocument.Open(new MemoryStream(workbook), isEditable: false);
        var book = document.WorkbookPart!;
        var shared = book.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().Select(s => s.InnerText).ToList() ?? [];
        var sheets = book.Workbook.Sheets!.Elements<Sheet>().ToList();
        Assert.Equal(1 + tables.Count, sheets.Count);
        foreach (var (id, rows) in tables)
        {
            var sheet = sheets.Single(s => s.Name!.Value!.EndsWith(id, StringComparison.Ordinal) || s.Name!.Value == id);
            var part = (WorksheetPart)book.GetPartById(sheet.Id!);
            var read = part.Worksheet.Descendants<Row>().Skip(1).Select(r => r.Elements<Cell>().Select(c =>
                c.DataType?.Value == CellValues.SharedString ? shared[int.Parse(c.CellValue!.Text)]
                : c.DataType?.Value == CellValues.InlineString ? c.InlineString!.InnerText : c.CellValue?.Text ?? "").ToList()).ToList();
            Assert.Equal(rows, read);
        }
        Assert.DoesNotContain("<f>", Encoding.UTF8.GetString(new ZipArchive(new MemoryStream(workbook)).Entries
            .Where(e => e.FullName.StartsWith("xl/worksheets/", StringComparison.Ordinal)).SelectMany(e => { using var s = e.Open(); using var m = new MemoryStream(); s.CopyTo(m); return m.ToArray(); }).ToArray()));
    }

    [Fact]
    public async Task The_command_writes_the_report_as_a_workbook_and_as_the_page()
    {
        var folder = Directory.CreateTempSubdirectory("report-cli-");
        try
        {
            var output = new StringWriter();
            var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
            {
                Ansi = Spectre.Console.AnsiSupport.No, Interactive = Spectre.Console.InteractionSupport.No, Out = new Spectre.Console.AnsiConsoleOutput(output),
            });
            var api = fixture.Host.Url + "/api";
            var workbook = Path.Combine(folder.FullName, "report.xlsx");
            Assert.Equal(0, await Cli.CliApp.RunAsync(["report", "--from", "1399-01-01", "--to", "1399-05-31", "--out", workbook, "--api", api], console, _ => null, CancellationToken.None));
            Assert.Equal(await fixture.Http.GetByteArrayAsync("/api/report.xlsx?from=1399-01-01&to=1399-05-31").ContinueWith(t => t.Result.Length), new FileInfo(workbook).Length);
            var page = Path.Combine(folder.FullName, "report.html");
            Assert.Equal(0, await Cli.CliApp.RunAsync(["report", "--period", "1399-F5", "--province", "alborz", "--out", page, "--api", api], console, _ => null, CancellationToken.None));
            var lead = Lead(await File.ReadAllTextAsync(page));
            Assert.StartsWith("در استان البرز، ", lead);
            Assert.Contains($"{Fa("17")} معدن در {Fa("1")} استان", lead);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_page_printed_to_pdf_holds_the_lead_s_figures_and_every_province_s_row()
    {
        var folder = Directory.CreateTempSubdirectory("report-pdf-");
        try
        {
            foreach (var (lang, query) in new[] { ("fa", ""), ("en", "&lang=en") })
            {
                var pdf = Path.Combine(folder.FullName, $"report-{lang}.pdf");
                await RunAsync(DashboardFixture.Chromium, ["--headless", "--no-sandbox", "--disable-gpu", $"--user-data-dir={folder.FullName}/profile-{lang}",
                    "--no-pdf-header-footer", $"--print-to-pdf={pdf}", $"{fixture.Host.Url}/api/report?period=1399-F5{query}"]);
                // -layout: in its reading-order mode pdftotext drops letters where lines of a paragraph meet.
                await RunAsync("pdftotext", ["-layout", pdf, pdf + ".txt"]);
                var text = (await File.ReadAllTextAsync(pdf + ".txt")).Normalize(NormalizationForm.FormKC);
                if (lang == "en")
                {
                    // Compared without white space: the extractor spaces words as it measures them.
                    var packed = Regex.Replace(text, @"\s+", "");
                    Assert.Contains("510minesin31provinces", packed);
                    Assert.True(packed.Contains("42mineswererevivedand360jobswerecreated"), packed[..600]);
                    foreach (var province in ReportFixture.Provinces) Assert.Contains(Regex.Replace(province.English, @"\s+", ""), packed);
                }
                else
                {
                    // Right-to-left lines come out of a PDF in either reading order: each figure is looked for both ways.
                    foreach (var figure in new[] { "510", "31", "42", "360", "11", "408" })
                        Assert.True(text.Contains(Fa(figure)) || text.Contains(new string(Fa(figure).Reverse().ToArray())), $"{figure} not in the Persian print: {text[..Math.Min(text.Length, 3000)]}");
                    // Letters only; Arabic and Persian forms of yeh and kaf as one, and the lam-alef ligature as the text
                    // extractor spells it (alef first), since a font may map its glyphs either way.
                    static string Letters(string s) => Regex.Replace(s, @"[^\u0600-\u06FF]", "").Replace('\u064A', '\u06CC').Replace('\u0643', '\u06A9')
                        .Replace("\u0644\u0627", "\u0627\u0644", StringComparison.Ordinal);
                    var letters = Letters(text);
                    foreach (var province in ReportFixture.Provinces)
                    {
                        var name = Letters(province.Persian);
                        Assert.True(letters.Contains(name) || letters.Contains(new string(name.Reverse().ToArray())), $"{province.Persian} not in the Persian print");
                    }
                }
            }
            // The first page, for the README.
            Directory.CreateDirectory(DashboardTests.ArtefactFolder);
            await RunAsync(DashboardFixture.Chromium, ["--headless", "--no-sandbox", "--disable-gpu", $"--user-data-dir={folder.FullName}/profile-shot",
                "--window-size=1000,1400", "--hide-scrollbars", $"--screenshot={Path.Combine(DashboardTests.ArtefactFolder, "report.png")}",
                $"{fixture.Host.Url}/api/report?period=1399-F5"]);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task RunAsync(string command, string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        Assert.True(process.ExitCode == 0, $"{command} failed: {await output}{error}");
    }

    [GeneratedRegex("""<table data-testid="table-(?<id>[a-z]+)">(?<body>.*?)</table>""", RegexOptions.Singleline)]
    private static partial Regex TableRegex();

    [GeneratedRegex("<tr>.*?</tr>", RegexOptions.Singleline)]
    private static partial Regex RowRegex();

    [GeneratedRegex("""<td[^>]* data-v="(?<v>[^"]*)">""")]
    private static partial Regex CellRegex();

    [GeneratedRegex("""<p class="lead" data-testid="lead">(?<text>.*?)</p>""", RegexOptions.Singleline)]
    private static partial Regex LeadRegex();
}
