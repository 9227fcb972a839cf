using System.Globalization;
using MineIngest.Domain;
using MineIngest.Domain.Writing;
using SpreadCheetah;
using SpreadCheetah.Styling;
using SpreadCheetah.Worksheets;
using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline.Office;

/// <summary>
/// The investor list for the committee's papers: tier A and B mines whose main problem is one capital can
/// solve (financial, equipment, market), in ranking order, with the investment needed, potential jobs and the last
/// committee outcome. Headers in Persian and English.
/// </summary>
public static class InvestorList
{
    public static readonly IReadOnlyList<string> Problems = ["financial", "equipment", "market"];

    public static readonly IReadOnlyList<string> Headers =
    [
        "رتبه - Rank", "استان - Province", "کد معدن - Mine ID", "نام معدن - Mine name", "ماده معدنی - Mineral", "رده - Tier", "امتیاز - Score",
        "مشکل اصلی - Main problem", "سرمایه مورد نیاز (میلیارد ریال) - Investment needed (bn IRR)", "اشتغال بالقوه - Potential jobs",
        "آخرین نتیجه کمیته - Last committee outcome", "تاریخ آن کمیته - Its committee date",
    ];

    public sealed record Row(int Rank, MineEntity Mine, CommitteeMine? LastOutcome, string? LastDate);

    public static List<Row> Select(MineSnapshot snapshot, IReadOnlyList<CommitteeDto> committees, string? province, string? mineral, string? tier)
    {
        // The newest meeting's outcome for each mine; meetings are compared by date, then by id for a stable answer.
        var last = new Dictionary<(string, string), (CommitteeMine Outcome, string Date)>();
        foreach (var meeting in committees.OrderBy(c => c.Date, StringComparer.Ordinal).ThenBy(c => c.Id, StringComparer.Ordinal))
            foreach (var m in meeting.Mines) last[(m.Province, MineEntity.KeyFor(m.MineId))] = (m, meeting.Date);
        return snapshot.Ranked
            .Where(m => m.Tier is "A" or "B" && (tier is null || m.Tier == tier) && m.Problem is { } p && Problems.Contains(p)
                        && (province is null || m.PartitionKey == province) && (mineral is null || m.Mineral == mineral))
            .Select((m, i) => last.TryGetValue((m.PartitionKey, m.RowKey), out var o) ? new Row(i + 1, m, o.Outcome, o.Date) : new Row(i + 1, m, null, null))
            .ToList();
    }

    private static string?[] Cells(Row row, ReferenceData reference)
    {
        var m = row.Mine;
        var province = reference.ProvinceBySlug(m.PartitionKey);
        var mineral = reference.MineralBySlug(m.Mineral);
        var problem = reference.FindProblem(m.Problem);
        return
        [
            row.Rank.ToString(CultureInfo.InvariantCulture), ReferenceData.Bilingual(province.Persian, province.English), m.MineId, m.Name, ReferenceData.Bilingual(mineral.Persian, mineral.English),
            m.Tier, m.Score.ToString("0.0", CultureInfo.InvariantCulture), problem is null ? m.Problem : ReferenceData.Bilingual(problem.Persian, problem.English),
            m.InvestmentBnRial?.ToString("0.##", CultureInfo.InvariantCulture), m.JobsPotential.ToString(CultureInfo.InvariantCulture),
            row.LastOutcome is { } last ? reference.Both("committee-outcome", last.Outcome) : null, row.LastDate,
        ];
    }

    public static async Task<byte[]> XlsxAsync(IReadOnlyList<Row> rows, ReferenceData reference, CancellationToken ct)
    {
        using var output = new MemoryStream();
        await using (var book = await Spreadsheet.CreateNewAsync(output, cancellationToken: ct))
        {
            var bold = book.AddStyle(new Style { Font = { Bold = true } });
            var options = new WorksheetOptions { FrozenRows = 1 };
            for (var i = 1; i <= Headers.Count; i++) options.Column(i).Width = i is 4 or 9 or 11 ? 30 : 18;
            await book.StartWorksheetAsync("سرمایه‌گذاری - Investor list", options, ct);
            await book.AddRowAsync(Headers.Select(h => new StyledCell(h, bold)).ToArray(), ct);
            foreach (var row in rows)
            {
                var cells = Cells(row, reference);
                await book.AddRowAsync(cells.Select((c, i) => i switch
                {
                    0 => new Cell(row.Rank), 6 => new Cell(Math.Round(row.Mine.Score, 1)), 8 when row.Mine.InvestmentBnRial is { } inv => new Cell(inv),
                    9 => new Cell(row.Mine.JobsPotential), _ => new Cell(XlsxText.Escape(c ?? "")),
                }).ToArray(), ct);
            }
            await book.FinishAsync(ct);
        }
        return output.ToArray();
    }

    public static Task<byte[]> CsvAsync(IReadOnlyList<Row> rows, ReferenceData reference, CancellationToken ct) =>
        CsvExport.ToBytesAsync(Headers, rows.Select(row => Cells(row, reference)), ct);
}
