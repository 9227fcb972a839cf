namespace MineIngest.Domain.Tests;

/// <summary>The report's periods as the programme office names them, and the periods they are compared with.</summary>
public sealed class ReportPeriodTests
{
    private static readonly DateOnly Today = new(2026, 11, 30);

    [Theory]
    [InlineData("1399", "2020-03-20", "2021-03-20", "2019-03-21", "2020-03-19")]
    [InlineData("1399-Q1", "2020-03-20", "2020-06-20", "2019-12-22", "2020-03-19")]
    [InlineData("1399-q4", "2020-12-21", "2021-03-20", "2020-09-22", "2020-12-20")]
    [InlineData("1399-H2", "2020-09-22", "2021-03-20", "2020-03-20", "2020-09-21")]
    [InlineData("1399-F5", "2020-03-20", "2020-08-21", "2019-03-21", "2019-08-22")]
    [InlineData("۱۳۹۹-۰۵", "2020-07-22", "2020-08-21", "2020-06-21", "2020-07-21")]
    [InlineData("1399-01", "2020-03-20", "2020-04-19", "2020-02-20", "2020-03-19")]
    public void A_named_period_has_its_gregorian_ends_and_is_compared_with_the_named_one_before(string name, string from, string to, string beforeFrom, string beforeTo)
    {
        var period = ReportPeriod.Parse(name, null, null, null, Today, out var problem)!;
        Assert.Null(problem);
        Assert.Equal((from, to), (period.FromIso, period.ToIso));
        Assert.Equal((beforeFrom, beforeTo), (period.Previous.FromIso, period.Previous.ToIso));
    }

    [Fact]
    public void Dates_in_either_calendar_are_compared_with_as_many_days_just_before()
    {
        var jalali = ReportPeriod.Parse(null, null, "1399-01-01", "1399-05-31", Today, out _)!;
        var gregorian = ReportPeriod.Parse(null, null, "2020-03-20", "2020-08-21", Today, out _)!;
        Assert.Equal((jalali.From, jalali.To), (gregorian.From, gregorian.To));
        Assert.Equal(("2019-10-17", "2020-03-19"), (jalali.Previous.FromIso, jalali.Previous.ToIso));
        Assert.Equal("1399/01/01 تا 1399/05/31", jalali.Persian);
        Assert.Equal("2026-11-30", ReportPeriod.Parse(null, null, "1399-01-01", null, Today, out _)!.ToIso);
    }

    [Theory]
    [InlineData("1399-Q5", null, null)]
    [InlineData("1399-F12", null, null)]
    [InlineData("99-Q1", null, null)]
    [InlineData(null, "1399-13", null)]
    [InlineData(null, null, "yesterday")]
    public void Anything_else_is_refused_with_a_reason(string? period, string? month, string? from)
    {
        Assert.Null(ReportPeriod.Parse(period, month, from, null, Today, out var problem));
        Assert.NotNull(problem);
    }
}
