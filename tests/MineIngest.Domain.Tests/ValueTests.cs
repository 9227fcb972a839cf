namespace MineIngest.Domain.Tests;

public class ValueTests
{
    [Theory]
    [InlineData("1234.5", 1234.5)]
    [InlineData("1,234.5", 1234.5)]
    [InlineData("۱۲۳۴٫۵", 1234.5)]
    [InlineData("١٢٣٤٫٥", 1234.5)]
    [InlineData("۱٬۲۳۴٫۵", 1234.5)]
    [InlineData(" 32 ", 32)]
    [InlineData("45%", 45)]
    [InlineData("-3", -3)]
    public void Numbers_in_every_digit_set(string text, double expected)
    {
        Assert.True(SurveyValues.TryParseNumber(text, out var value));
        Assert.Equal(expected, value, 10);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("12a")]
    [InlineData("NaN")]
    public void Not_numbers(string text) => Assert.False(SurveyValues.TryParseNumber(text, out _));

    [Theory]
    [InlineData("2020-05-10", 2020, 5, 10)]
    [InlineData("2020/05/10", 2020, 5, 10)]
    [InlineData("2020.5.10", 2020, 5, 10)]
    [InlineData("1399-02-21", 2020, 5, 10)]
    [InlineData("1399/02/21", 2020, 5, 10)]
    [InlineData("۱۳۹۹/۰۲/۲۱", 2020, 5, 10)]
    [InlineData("١٣٩٩.٠٢.٢١", 2020, 5, 10)]
    [InlineData("1399/12/30", 2021, 3, 20)] // 1399 is a Jalali leap year
    [InlineData("2020-05-10T00:00:00", 2020, 5, 10)]
    public void Dates_in_both_calendars_and_every_digit_set(string text, int y, int m, int d)
    {
        Assert.True(SurveyValues.TryParseDate(text, out var date));
        Assert.Equal(new DateOnly(y, m, d), date);
    }

    /// <summary>The fast path for plain decimals must give the very double the general parser gives, bit for bit.</summary>
    [Fact]
    public void Plain_decimals_parse_to_the_same_double_as_the_general_parser()
    {
        var random = new Random(7);
        var texts = new List<string> { "0", "-0", "1", "0.1", "0.30000000000000004", "9007199254740992", "9007199254740993",
            "123456789012345678", "0.0000000000000000000001", "0.00000000000000000000001", "29.1234", "-45.5", "5000000", "1.", ".5", "1.2.3", "--1", "" };
        for (var i = 0; i < 20_000; i++)
        {
            var value = Math.Round((random.NextDouble() - 0.2) * Math.Pow(10, random.Next(-6, 16)), random.Next(0, 12));
            texts.Add(value.ToString("R", CultureInfo.InvariantCulture));
            texts.Add(value.ToString("F" + random.Next(0, 8), CultureInfo.InvariantCulture));
        }
        foreach (var text in texts)
        {
            var general = double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var expected);
            if (!SurveyValues.TryParsePlainDecimal(text, out var fast)) continue;
            Assert.True(general, text);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(fast));
        }
        Assert.True(SurveyValues.TryParsePlainDecimal("29.1234", out _));
        Assert.False(SurveyValues.TryParsePlainDecimal("1E5", out _));
    }

    /// <summary>A stored number text is kept as survey text only when formatting its double would write the same text.</summary>
    [Fact]
    public void Round_trip_form_is_exactly_what_formatting_writes()
    {
        var random = new Random(11);
        var texts = new List<string> { "0", "-0", "0.0001", "0.00001", "1E-05", "100", "100.0", "007", "0.5", "-0.5", "999999999999999",
            "1000000000000000", "0.1234567890123456", "12345678901234.5", "1.10", "29.1234" };
        for (var i = 0; i < 20_000; i++)
        {
            var value = (random.NextDouble() - 0.3) * Math.Pow(10, random.Next(-8, 18));
            texts.Add(value.ToString("R", CultureInfo.InvariantCulture));
            texts.Add(Math.Round(value, random.Next(0, 10)).ToString("R", CultureInfo.InvariantCulture));
            texts.Add(value.ToString("F" + random.Next(0, 6), CultureInfo.InvariantCulture));
        }
        var kept = 0;
        foreach (var text in texts)
        {
            if (!SurveyValues.IsRoundTripForm(text)) continue;
            kept++;
            Assert.Equal(double.Parse(text, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture), text);
        }
        Assert.True(kept > texts.Count / 4, $"only {kept} of {texts.Count} kept");
        Assert.True(SurveyValues.IsRoundTripForm("29.1234"));
        Assert.False(SurveyValues.IsRoundTripForm("29.10"));
    }

    [Theory]
    [InlineData("1299-01-01")]   // before the Jalali range
    [InlineData("1500-01-01")]   // between the ranges
    [InlineData("1899-12-31")]
    [InlineData("2101-01-01")]
    [InlineData("2020-13-01")]
    [InlineData("2021-02-29")]
    [InlineData("1400/12/30")]   // 1400 is not a leap year
    [InlineData("10/05/2020")]
    [InlineData("2020-05-10-01")]
    [InlineData("2020-5")]
    [InlineData("2020-123-1")]
    [InlineData("2020/05-10")]
    [InlineData("yesterday")]
    public void Invalid_dates(string text) => Assert.False(SurveyValues.TryParseDate(text, out _));

    [Fact]
    public void Jalali_form_of_a_date() => Assert.Equal("1399/02/21", SurveyValues.ToJalali(new DateOnly(2020, 5, 10)));

    [Theory]
    [InlineData("Reserve (t)", "reserve_tonnes")]
    [InlineData("  reserve   (tonnes) ", "reserve_tonnes")]
    [InlineData("ذخیره (تن)", "reserve_tonnes")]
    [InlineData("MINE ID", "mine_id")]
    [InlineData("کد معدن", "mine_id")]
    [InlineData("كد معدن", "mine_id")]            // Arabic kaf
    [InlineData("عرض\u200Cجغرافيايي", "latitude")]  // ZWNJ and Arabic yeh
    [InlineData("Grade [%]", "grade_pct")]
    [InlineData("survey_date", "survey_date")]
    public void Headers_fold(string header, string key) =>
        Assert.Equal(key, SurveyColumns.Get(SurveyColumns.MatchHeader(header)!.Value).Key);

    [Theory]
    [InlineData("Kerman", "kerman")]
    [InlineData("کرمان", "kerman")]
    [InlineData("north khorasan", "north-khorasan")]
    [InlineData("خراسان\u200Cشمالی", "north-khorasan")]
    [InlineData("كهگيلويه و بويراحمد", "kohgiluyeh-and-boyer-ahmad")]
    public void Province_names_fold(string name, string slug) => Assert.Equal(slug, ReferenceData.Default.FindProvince(name)?.Slug);

    [Fact]
    public void Reference_data_has_31_provinces_and_13_minerals()
    {
        Assert.Equal(31, ReferenceData.Default.Provinces.Count);
        Assert.Equal(13, ReferenceData.Default.Minerals.Count);
        Assert.Equal("idle", ReferenceData.Default.FindStatus("غیرفعال")?.Slug);
        Assert.Equal("equipment", ReferenceData.Default.FindProblem("ماشین آلات")?.Slug);
        Assert.Equal("legal", ReferenceData.Default.FindProblem("قانونی")?.Slug);
    }
}
