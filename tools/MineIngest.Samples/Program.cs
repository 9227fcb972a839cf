// Writes the sample surveys under samples/ (and, with a row count, a large generated survey for benchmarks).
// Usage: dotnet run --project tools/MineIngest.Samples -- OUTPUT_DIR [ROWS]
using System.Globalization;
using System.Text;
using MineIngest.Domain;
using MineIngest.TestData;

var output = args.Length > 0 ? args[0] : "samples";
Directory.CreateDirectory(output);
Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

if (args.Length > 1)
{
    var rows = int.Parse(args[1], CultureInfo.InvariantCulture);
    var big = Generated.Survey(rows, "national");
    File.WriteAllBytes(Path.Combine(output, $"national-{rows}.xlsx"), big.ToXlsx());
    File.WriteAllBytes(Path.Combine(output, $"national-{rows}.csv"), big.ToCsv());
    if (rows <= 65_000) File.WriteAllBytes(Path.Combine(output, $"national-{rows}.xls"), big.ToXls());
    return;
}

// Kerman, spring 1399: Persian headers under a title row, Jalali dates, one row with mistakes.
var kerman = new SurveyBuilder { Language = HeaderLanguage.Persian, DateText = SurveyValues.ToJalali };
kerman.TitleRows.Add("بازدید معادن کوچک مقیاس استان کرمان - بهار ۱۳۹۹");
kerman.Add(RowBuilder.WorkedExample("CHR-0012"))
    .Add(RowBuilder.WorkedExample("CHR-0019").Set("grade_pct", 18).Set("reserve_tonnes", 40_000).Set("problem", "equipment"))
    .Add(RowBuilder.WorkedExample("MN-0007").Set("mineral", "manganese").Set("grade_pct", 30).Set("status", "revived")
        .Set("revived_on", new DateOnly(2020, 6, 1)).Set("jobs_created", 15).Set("jobs_potential", 25))
    .Add(RowBuilder.WorkedExample("CU-0003").Set("mineral", "copper").Set("grade_pct", 1.1).Set("reserve_tonnes", 2_000_000)
        .Set("jobs_potential", 45).Set("investment_bn_rial", 300).Set("problem", "none"))
    .Add(RowBuilder.WorkedExample("CHR-0031").Set("latitude", 41.2).Set("mineral", "طلا"));
File.WriteAllBytes(Path.Combine(output, "kerman-1399-spring.xlsx"), kerman.ToXlsx());

// Yazd 2021: English headers, CSV in UTF-8.
var yazd = new SurveyBuilder()
    .Add(RowBuilder.WorkedExample("FE-0101", "yazd").Set("mineral", "iron-ore").Set("grade_pct", 52).Set("reserve_tonnes", 3_000_000)
        .Set("latitude", 31.9).Set("longitude", 54.4).Set("jobs_potential", 40).Set("status", "revived")
        .Set("revived_on", new DateOnly(2021, 4, 12)).Set("jobs_created", 32).Set("survey_date", new DateOnly(2021, 5, 2)))
    .Add(RowBuilder.WorkedExample("ST-0044", "yazd").Set("mineral", "construction-stone").Set("grade_pct", null)
        .Set("latitude", 31.7).Set("longitude", 54.1).Set("survey_date", new DateOnly(2021, 5, 2)));
File.WriteAllBytes(Path.Combine(output, "yazd-2021.csv"), yazd.ToCsv());

// National office, 1400: Excel 97-2003, mines of three provinces.
var national = new SurveyBuilder()
    .Add(RowBuilder.WorkedExample("DO-0001", "fars").Set("mineral", "dolomite").Set("grade_pct", 19).Set("latitude", 29.6).Set("longitude", 52.5))
    .Add(RowBuilder.WorkedExample("HE-0005", "hormozgan").Set("mineral", "hematite").Set("grade_pct", 58).Set("latitude", 27.2).Set("longitude", 56.3)
        .Set("status", "reviving"))
    .Add(RowBuilder.WorkedExample("CHR-0200", "sistan-and-baluchestan").Set("latitude", 29.5).Set("longitude", 60.9).Set("problem", "legal"));
File.WriteAllBytes(Path.Combine(output, "national-1400.xls"), national.ToXls());

