namespace MineIngest.Pipeline.Records;

public static class SurveyStage
{
    public const string Reading = "reading";
    public const string Processing = "processing";
    public const string Rejected = "rejected";
}
