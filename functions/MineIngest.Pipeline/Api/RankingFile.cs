using System.Globalization;
using MineIngest.Domain;
using MineIngest.Domain.Writing;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Api;

/// <summary>The ranking as the dashboard downloads it: rank, the mine, its score and components, jobs and survey date.
/// Headers and named values "Persian - English", as the investor list writes them.</summary>
public static class RankingFile
{
    public static readonly IReadOnlyList<string> Headers =
    [
        "رتبه - Rank", "استان - Province", "کد معدن - Mine ID", "نام معدن - Mine name", "شهرستان - County", "ماده معدنی - Mineral",
        "وضعیت - Status", "امتیاز - Score", "رده - Tier", "ذخیره - Resource", "عیار - Grade", "دسترسی - Access", "اشتغال - Jobs",
        "هزینه - Cost", "حل‌پذیری - Solvability", "مشکل اصلی - Main problem", "اشتغال بالقوه - Potential jobs",
        "اشتغال ایجاد شده - Jobs created", "تاریخ بازدید - Survey date", "تاریخ بازدید (شمسی) - Survey date (Jalali)",
    ];

    public static Task<byte[]> CsvAsync(IEnumerable<MineEntity> ranked, ReferenceData reference, CancellationToken ct) =>
        CsvExport.ToBytesAsync(Headers, ranked.Select((m, i) => Cells(i + 1, m, reference)), ct);

    private static string?[] Cells(int rank, MineEntity m, ReferenceData reference)
    {
        var province = reference.ProvinceBySlug(m.PartitionKey);
        var mineral = reference.MineralBySlug(m.Mineral);
        var status = reference.FindStatus(m.Status);
        var problem = reference.FindProblem(m.Problem);
        static string N(double value) => Math.Round(value, 4, MidpointRounding.AwayFromZero).ToString("R", CultureInfo.InvariantCulture);
        return
        [
            rank.ToString(CultureInfo.InvariantCulture), ReferenceData.Bilingual(province.Persian, province.English), m.MineId, m.Name, m.County,
            ReferenceData.Bilingual(mineral.Persian, mineral.English), status is null ? m.Status : ReferenceData.Bilingual(status.Persian, status.English),
            m.Score.ToString("0.0", CultureInfo.InvariantCulture), m.Tier, N(m.Resource), N(m.Grade), N(m.Access), N(m.Jobs), N(m.Cost),
            N(m.Solvability), problem is null ? m.Problem : ReferenceData.Bilingual(problem.Persian, problem.English),
            m.JobsPotential.ToString(CultureInfo.InvariantCulture), m.JobsCreated?.ToString(CultureInfo.InvariantCulture), m.SurveyDate,
            SurveyValues.TryParseDate(m.SurveyDate, out var date) ? SurveyValues.ToJalali(date) : null,
        ];
    }
}
