using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using MineIngest.Domain;
using MineIngest.Domain.Reading;
using MineIngest.Domain.Writing;
using MineIngest.Pipeline.Access;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Records;
using MineIngest.TestData;
using Xunit.Abstractions;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// A province sends, as csv and as xlsx, rows whose mine ids, then whose names, counties and notes, are several hundred
/// hostile texts (<see cref="HostileStrings"/>), to the local host run as ./run.sh runs it. Once the report says
/// completed, each row is checked once: no row failed; every accepted mine answers at its address (mine, history,
/// solution read and written) built as clients build it; every stored text equals the written one trimmed, or the row
/// was rejected saying why; the rows to fix give every rejected row back as written.
/// </summary>
public sealed class HostileTextTests(ITestOutputHelper output) : IDisposable
{
    private readonly Azurite _azurite = new();

    public static TheoryData<string, string> Formats() => new() { { "csv", "kerman" }, { "xlsx", "yazd" } };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Every_hostile_text_is_kept_as_written_or_refused_with_a_reason_and_every_accepted_mine_opens(string format, string province)
    {
        var url = $"http://127.0.0.1:{_azurite.HostPort()}";
        using var host = LocalHostProcess.Start(_azurite, url);
        var texts = HostileStrings.All;
        var survey = new SurveyBuilder();
        foreach (var text in texts) survey.Add(RowBuilder.WorkedExample(text, province).Set("mine_name", $"Name {survey.Rows.Count}"));
        foreach (var text in texts)
            survey.Add(RowBuilder.WorkedExample($"H-{survey.Rows.Count}", province).Set("mine_name", text).Set("county", text).Set("notes", text));
        // What each row holds, in order (row n of the sheet is written[n - 2]); UTF-8 cannot hold half a character, so a csv holds U+FFFD there.
        var written = survey.Rows.Select(r => r.ToSurveyRow(0))
            .Select(r => format == "csv" ? new SurveyRow(0, r.Values.Select(v => v is null ? null : Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(v))).ToArray()) : r)
            .ToList();

        var blob = $"{province}/hostile.{format}";
        var container = new BlobContainerClient(_azurite.ConnectionString, "surveys");
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(format == "csv" ? survey.ToCsv() : survey.ToXlsx()));
        var report = await PipelineFixture.WaitForSurveyAsync(host.Http, blob, timeout: TimeSpan.FromSeconds(180));

        Assert.Equal("completed", report.GetProperty("status").GetString());
        Assert.Equal(written.Count, report.GetProperty("rows").GetInt32());
        Assert.Equal(0, report.GetProperty("failed").GetInt32());
        var reasons = report.GetProperty("errors").EnumerateArray()
            .GroupBy(e => e.GetProperty("row").GetInt32()).ToDictionary(g => g.Key, g => g.Select(e => e.GetProperty("message").GetString()!).ToList());
        Assert.Equal(report.GetProperty("rejected").GetInt32(), reasons.Count);
        output.WriteLine($"{format}: {written.Count} rows, {report.GetProperty("accepted").GetInt32()} accepted, {reasons.Count} rejected");

        var writerKey = (await new ProvinceKeyStore(StorageClients.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection([new("AzureWebJobsStorage", _azurite.ConnectionString)]).Build()), ReferenceData.Default, TimeProvider.System)
            .CreateAsync(ProvinceKeyStore.OfficeScope, CancellationToken.None)).Key;
        var checkedIds = 0;
        var rejectedRows = new List<(int Row, SurveyRow Written)>();
        for (var i = 0; i < written.Count; i++)
        {
            var row = i + 2;
            if (reasons.ContainsKey(row))
            {
                rejectedRows.Add((row, written[i]));
                continue;
            }
            // Written, trimmed; a leading apostrophe before a formula sign is the exports' guard, taken off as documented.
            string? Expected(Column column) => SurveyText.Trimmed(written[i][column] is { } w ? SpreadsheetText.FromSheet(w) : null);
            var mineId = Expected(Column.MineId)!;
            var path = $"/api/mines/{province}/{Uri.EscapeDataString(mineId)}";
            var mine = await host.Http.GetAsync(path);
            Assert.True(mine.StatusCode == HttpStatusCode.OK, $"row {row}: {HostileStrings.Show(mineId)} answered {(int)mine.StatusCode} at {path}");
            var dto = await mine.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(mineId, dto.GetProperty("mineId").GetString());
            Assert.Equal(Expected(Column.MineName), dto.GetProperty("name").GetString());
            Assert.Equal(Expected(Column.County), dto.GetProperty("county").GetString());
            if (i < texts.Count)
            {
                checkedIds++;
                Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync($"{path}/history")).StatusCode);
                using var put = new HttpRequestMessage(HttpMethod.Put, $"{path}/solution")
                {
                    Content = JsonContent.Create(new { text = "Lease a crusher", state = "proposed" }),
                    Headers = { { OfficeApi.WriterKeyHeader, writerKey } },
                };
                Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(put)).StatusCode);
                var solution = await host.Http.GetFromJsonAsync<JsonElement>($"{path}/solution");
                Assert.Equal(mineId, solution.GetProperty("mineId").GetString());
                Assert.True(solution.GetProperty("current").ValueKind == JsonValueKind.Object, $"row {row}: the solution of {HostileStrings.Show(mineId)} was not read back");
                Assert.Equal("Lease a crusher", solution.GetProperty("current").GetProperty("text").GetString());
            }
        }
        output.WriteLine($"{checkedIds} accepted hostile ids opened at mine, history and solution");

        // The same rows again as a later upload: every mine is rewritten in place (a batch update names each key).
        await container.GetBlobClient($"{province}/hostile-again.{format}").UploadAsync(BinaryData.FromBytes(format == "csv" ? survey.ToCsv() : survey.ToXlsx()));
        var again = await PipelineFixture.WaitForSurveyAsync(host.Http, $"{province}/hostile-again.{format}", timeout: TimeSpan.FromSeconds(180));
        Assert.Equal((report.GetProperty("accepted").GetInt32(), 0), (again.GetProperty("accepted").GetInt32(), again.GetProperty("failed").GetInt32()));
        var summary = await PipelineFixture.GetJsonAsync(host.Http, $"/api/summary?province={province}");
        Assert.Equal(report.GetProperty("accepted").GetInt32(), summary.GetProperty("mines").GetInt32());
        Assert.True(checkedIds > texts.Count / 2, $"only {checkedIds} of {texts.Count} hostile ids accepted");

        // The rows to fix, both formats: each rejected row back with every value as written.
        var id = report.GetProperty("id").GetString();
        foreach (var fix in new[] { "xlsx", "csv" })
        {
            var file = await host.Http.GetByteArrayAsync($"/api/surveys/{id}/errors.{fix}");
            using var reader = SurveyReader.Open(new MemoryStream(file), $"fix.{fix}", new SurveyLimits());
            var back = reader.ReadRows().ToList();
            Assert.Equal(rejectedRows.Count, back.Count);
            for (var r = 0; r < back.Count; r++)
                foreach (var column in new[] { Column.MineId, Column.MineName, Column.County, Column.Notes })
                {
                    var expected = rejectedRows[r].Written[column] is { } w && !string.IsNullOrWhiteSpace(w) ? SpreadsheetText.FromSheet(w) : null;
                    if (fix == "csv" && expected is not null) expected = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(expected)); // as UTF-8 holds it
                    Assert.True(expected == back[r][column],
                        $"{fix}, row {rejectedRows[r].Row}, {column}: wrote {HostileStrings.Show(expected ?? "(none)")}, got {HostileStrings.Show(back[r][column] ?? "(none)")}");
                }
        }
    }

    public void Dispose() => _azurite.Dispose();
}
