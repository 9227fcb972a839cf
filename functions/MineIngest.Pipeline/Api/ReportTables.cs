using System.Globalization;
using MineIngest.Domain;
using MineIngest.Pipeline.Office;

namespace MineIngest.Pipeline.Api;

/// <summary>A cell of a report table: a number, or a text in both languages (the same text when it has no translation).</summary>
/// <param name="AsWritten">Text a person wrote (a mine's name or id, an investor): shown as written in both languages, its
/// digits never turned into Persian ones.</param>
public sealed record ReportCell(double? Number, string English, string Persian, bool AsWritten = false)
{
    public static ReportCell Of(double number) => new(number, "", "");
    public static ReportCell Text(string text) => new(null, text, text, AsWritten: true);
    public static ReportCell Named(NamedValue named) => new(null, named.English, named.Persian);

    /// <summary>The value as the workbook holds it and the page's <c>data-v</c> carries it: the number, or "Persian - English".</summary>
    public string Value => Number is { } n ? n.ToString("R", CultureInfo.InvariantCulture)
        : ReferenceData.Bilingual(Persian, English);
}

/// <summary>One table of the report: its id, title and headers in both languages, its rows.</summary>
public sealed record ReportTable(string Id, string English, string Persian, IReadOnlyList<(string English, string Persian)> Headers, IReadOnlyList<IReadOnlyList<ReportCell>> Rows);

/// <summary>The report's tables, made once for the page and the workbook alike (so the two always agree).</summary>
public static class ReportTables
{
    public static IReadOnlyList<ReportTable> Of(ProgressReport r, ReferenceData reference)
    {
        ReportCell N(double n) => ReportCell.Of(n);
        ReportCell Province(string slug) => reference.FindProvince(slug) is { } p ? new ReportCell(null, p.English, p.Persian) : ReportCell.Text(slug);
        ReportCell Mineral(string slug) => reference.FindMineral(slug) is { } m ? new ReportCell(null, m.English, m.Persian) : ReportCell.Text(slug);
        ReportCell Problem(string slug) => reference.FindProblem(slug) is { } p ? new ReportCell(null, p.English, p.Persian) : ReportCell.Text(slug);
        ReportCell Date(string iso) => SurveyValues.TryParseDate(iso, out var d) ? new ReportCell(null, $"{SurveyValues.ToJalali(d)} ({iso})", $"{SurveyValues.ToJalali(d)} ({iso})") : ReportCell.Text(iso);
        (string, string)[] SolutionHeaders = [("Solutions proposed", "راه‌حل پیشنهاد شده"), ("agreed", "توافق شده"), ("in progress", "در حال انجام"), ("done", "انجام شده")];
        ReportCell[] Solutions(SolutionCounts s) => [N(s.Proposed), N(s.Agreed), N(s.InProgress), N(s.Done)];

        var comparison = new ReportTable("comparison", "This period against the one before", "این دوره در برابر دوره پیش",
            [("Figure", "شاخص"), (r.Period.English, r.Period.Persian), (r.Period.Previous.English, r.Period.Previous.Persian), ("Change", "تغییر")],
            [
                Compare("Mines revived", "معادن احیا شده", r.This.Revived, r.Before.Revived),
                Compare("Jobs created", "اشتغال ایجاد شده", r.This.JobsCreated, r.Before.JobsCreated),
                Compare("Committee meetings", "جلسه‌های کمیته", r.This.CommitteeMeetings ?? 0, r.Before.CommitteeMeetings ?? 0),
                Compare("Mines with an agreement signed", "معادن با قرارداد امضا شده", r.This.MinesWithAgreement ?? 0, r.Before.MinesWithAgreement ?? 0),
            ]);
        var provinces = new ReportTable("provinces", "By province", "به تفکیک استان",
            [("Province", "استان"), ("Mines", "معادن"), ("Tier A", "رده الف"), ("Tier B", "رده ب"), ("Tier C", "رده ج"), ("Revived in the period", "احیا شده در دوره"),
             ("Jobs created in the period", "اشتغال ایجاد شده در دوره"), ("Committee meetings", "جلسه‌های کمیته"), .. SolutionHeaders],
            [.. r.ByProvince.Select(p => (IReadOnlyList<ReportCell>)[Province(p.Province), N(p.Mines), N(p.Tiers.A), N(p.Tiers.B), N(p.Tiers.C), N(p.Revived),
                N(p.JobsCreated), N(p.Meetings), .. Solutions(p.Solutions)])]);
        var minerals = new ReportTable("minerals", "By mineral", "به تفکیک ماده معدنی",
            [("Mineral", "ماده معدنی"), ("Mines", "معادن"), ("Tier A", "رده الف"), ("Tier B", "رده ب"), ("Tier C", "رده ج"), ("Revived in the period", "احیا شده در دوره"),
             ("Jobs created in the period", "اشتغال ایجاد شده در دوره")],
            [.. r.ByMineral.Select(m => (IReadOnlyList<ReportCell>)[Mineral(m.Mineral), N(m.Mines), N(m.Tiers.A), N(m.Tiers.B), N(m.Tiers.C), N(m.Revived), N(m.JobsCreated)])]);
        var problems = new ReportTable("problems", "Problems diagnosed and solutions", "مشکلات تشخیص داده شده و راه‌حل‌ها",
            [("Main problem", "مشکل اصلی"), ("Mines diagnosed", "معادن"), ("With a solution recorded", "با راه‌حل ثبت شده"), .. SolutionHeaders],
            [.. r.ByProblem.Select(p => (IReadOnlyList<ReportCell>)[Problem(p.Problem), N(p.Diagnosed), N(p.Solutions.Total), .. Solutions(p.Solutions)])]);
        var revived = new ReportTable("revived", "Mines revived in the period", "معادن احیا شده در دوره",
            [("Province", "استان"), ("Mine ID", "کد معدن"), ("Mine", "نام معدن"), ("Mineral", "ماده معدنی"), ("Revived on", "تاریخ احیا"), ("Jobs created", "اشتغال ایجاد شده")],
            [.. r.Revived.Select(m => (IReadOnlyList<ReportCell>)[Province(m.Province), ReportCell.Text(m.MineId), ReportCell.Text(m.Name), Mineral(m.Mineral), Date(m.RevivedOn), N(m.JobsCreated)])]);
        var meetings = new ReportTable("meetings", "Committee meetings of the period", "جلسه‌های کمیته در دوره",
            [("Date", "تاریخ"), ("Province", "استان"), ("Investors", "سرمایه‌گذاران"), ("Mines and outcomes", "معادن و نتیجه‌ها")],
            [.. r.Meetings.Select(c => (IReadOnlyList<ReportCell>)[Date(c.Date), c.Province == "national" ? new ReportCell(null, "National", "ملی") : Province(c.Province),
                ReportCell.Text(string.Join(", ", c.Investors)),
                new ReportCell(null, string.Join("; ", c.Mines.Select(m => $"{m.MineId}: {reference.Named("committee-outcome", m.Outcome).English}")),
                    string.Join("؛ ", c.Mines.Select(m => $"{m.MineId}: {reference.Named("committee-outcome", m.Outcome).Persian}")), AsWritten: true)])]);
        return [comparison, provinces, minerals, problems, revived, meetings];
    }

    private static IReadOnlyList<ReportCell> Compare(string english, string persian, double now, double before) =>
        [new ReportCell(null, english, persian), ReportCell.Of(now), ReportCell.Of(before), ReportCell.Of(now - before)];
}
