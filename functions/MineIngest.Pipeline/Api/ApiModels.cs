using System.Text.Json;
using System.Text.Json.Serialization;
using MineIngest.Domain;
using MineIngest.Pipeline.Office;
using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.Api;

public sealed record TierCounts(
    [property: JsonPropertyName("A")] int A, [property: JsonPropertyName("B")] int B, [property: JsonPropertyName("C")] int C);

public sealed record StatusCounts(int Idle, int Reviving, int Revived, int Active);

public sealed record ProvinceGroup(string Province, int Mines, int Revived, long JobsCreated, TierCounts ByTier);

public sealed record MineralGroup(string Mineral, int Mines, int Revived, long JobsCreated, TierCounts ByTier);

/// <summary>Mines by main problem; mines whose survey gave none are under "unspecified".</summary>
public sealed record ProblemGroup(string Problem, int Mines, long JobsPotential, double InvestmentBnRial);

public sealed record Summary(
    string? Province, string? Mineral, string? From, string? To, int Mines, int Provinces, TierCounts ByTier, StatusCounts ByStatus,
    long JobsPotential, int Revived, long JobsCreated, IReadOnlyList<ProvinceGroup> ByProvince, IReadOnlyList<MineralGroup> ByMineral, DateTime? AsOf,
    IReadOnlyList<ProblemGroup> ByProblem, double InvestmentNeededBnRial, int? CommitteeMeetings = null, int? MinesWithAgreement = null);

public sealed record Components(double Resource, double Grade, double Access, double Jobs, double Cost, double Solvability)
{
    /// <summary>The components as the API shows them, to four decimals.</summary>
    public static Components Rounded(double resource, double grade, double access, double jobs, double cost, double solvability) =>
        new(R(resource), R(grade), R(access), R(jobs), R(cost), R(solvability));

    private static double R(double component) => Math.Round(component, 4, MidpointRounding.AwayFromZero);
}

public sealed record MineDto(
    string Province, string MineId, string Name, string? County, string Mineral, string Status, double Latitude, double Longitude,
    double ReserveTonnes, double? GradePct, double? RoadKm, double? PowerKm, int JobsPotential, int? JobsCreated,
    double? InvestmentBnRial, int? IdleSince, string? Problem, string SurveyDate, string? RevivedOn, double Score, string Tier,
    Components Components, IReadOnlyList<string> Warnings, string SurveyId, int Row)
{
    public static MineDto From(MineEntity m) => new(
        m.PartitionKey, m.MineId, m.Name, m.County, m.Mineral, m.Status, m.Latitude, m.Longitude, m.ReserveTonnes, m.GradePct,
        m.RoadKm, m.PowerKm, m.JobsPotential, m.JobsCreated, m.InvestmentBnRial, m.IdleSince, m.Problem, m.SurveyDate, m.RevivedOn,
        m.Score, m.Tier,
        Components.Rounded(m.Resource, m.Grade, m.Access, m.Jobs, m.Cost, m.Solvability),
        JsonSerializer.Deserialize<string[]>(m.Warnings) ?? [], m.SurveyId, m.Row);
}

/// <param name="AsOf">When the newest mine in the view was written (the summary's asOf).</param>
public sealed record MinePage(IReadOnlyList<MineDto> Items, string? Continuation, DateTime? AsOf);

/// <param name="Field">The column's key; <paramref name="FieldName"/> and <paramref name="FieldNameFa"/> its English and Persian headers.</param>
public sealed record SurveyErrorDto(int Row, string? MineId, string? Field, string Message, string MessageFa, string? FieldName, string? FieldNameFa)
{
    private static readonly Dictionary<string, SurveyColumn> ColumnsByKey = SurveyColumns.All.ToDictionary(c => c.Key);

    public static SurveyErrorDto From(int row, string? mineId, string field, string message, string messageFa)
    {
        var column = ColumnsByKey.GetValueOrDefault(field);
        return new(row, mineId, field.Length == 0 ? null : field, message, messageFa, column?.English, column?.Persian);
    }
}

public sealed record SurveyDto(
    string Id, string Blob, string Province, DateTime ReceivedAt, string Status, int Rows, int Accepted, int Rejected,
    int Failed, int Pending, string? Error, string? ErrorFa, IReadOnlyList<SurveyErrorDto>? Errors,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<SurveyErrorDto>? Warnings = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] WithdrawalDto? Withdrawal = null)
{
    /// <summary>Who was given the upload link the file came with (a person, a province's system or a key); absent for a file put into storage otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? UploadedBy { get; init; }

    public static SurveyDto From(SurveyEntity s, IReadOnlyList<SurveyErrorDto>? errors, IReadOnlyList<SurveyErrorDto>? warnings = null, WithdrawalDto? withdrawal = null)
    {
        var pending = s.RowsPending();
        var status = s.Stage switch
        {
            _ when s.WithdrawnAt is not null => "withdrawn",
            _ when s.WithdrawRequestedAt is not null => "withdrawing",
            SurveyStage.Rejected => "rejected",
            SurveyStage.Reading => "processing",
            _ => pending > 0 ? "processing" : "completed",
        };
        return new SurveyDto(s.RowKey, s.Blob, s.Folder, s.ReceivedAt.UtcDateTime, status, s.Stage == SurveyStage.Rejected ? 0 : s.Rows,
            s.Accepted, s.Rejected, s.Failed, pending, s.Error, s.ErrorFa, errors, warnings, withdrawal);
    }
}

public sealed record SurveyList(IReadOnlyList<SurveyDto> Items);

/// <param name="MaxFileBytes">The largest survey file (<c>Survey:Limits:MaxFileBytes</c>).</param>
/// <param name="Types">The file name endings a survey may have.</param>
public sealed record UploadLimitsDto(long MaxFileBytes, IReadOnlyList<string> Types, FieldLimitsDto Field);

/// <summary>What the field form checks on the phone beside the contract's rules: the position's accuracy, photos per mine and their size.</summary>
public sealed record FieldLimitsDto(int AccuracyWarningMeters, int PhotosPerMine, int PhotoLongestSide);

/// <summary>A mine's photo: its survey and number there, its size, and where the office downloads it (relative to /api/).</summary>
public sealed record PhotoDto(string Name, string Survey, int Number, int Width, int Height, long Bytes, DateTimeOffset StoredAt, string Href)
{
    public PhotoDto(Field.StoredPhoto p, string province, string mineId)
        : this(p.Name, p.Survey, p.Number, p.Width, p.Height, p.Bytes, p.StoredAt,
            $"mines/{Uri.EscapeDataString(province)}/{Uri.EscapeDataString(mineId)}/photos/{Uri.EscapeDataString(p.Name)}") { }
}

public sealed record PhotoListDto(IReadOnlyList<PhotoDto> Photos);

/// <param name="Reason">Why the survey is withdrawn: kept with it and with every mine it wrote.</param>
public sealed record WithdrawRequest(string? Reason);

/// <summary>Rows to check, as the upload page holds them: each row's number in its survey and its values by column key.</summary>
public sealed record RowsToCheck(IReadOnlyList<RowToCheck>? Rows);

public sealed record RowToCheck(int Row, Dictionary<string, string?>? Values);

/// <summary>What survey validation says of one row: accepted (perhaps with warnings), or its reasons, as a survey's report gives them.</summary>
public sealed record CheckedRow(int Row, string? MineId, bool Accepted, IReadOnlyList<SurveyErrorDto> Errors, IReadOnlyList<SurveyErrorDto> Warnings);

public sealed record CheckedRows(IReadOnlyList<CheckedRow> Rows);
