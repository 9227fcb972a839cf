namespace MineIngest.Domain;

/// <summary>Iran's calendar day: "in the future" means after today in Iran (UTC+03:30, no daylight saving since 2022).</summary>
public static class IranClock
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(3.5);

    public static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().ToOffset(Offset).DateTime);
}
