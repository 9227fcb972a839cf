using MineIngest.Domain.Reading;

namespace MineIngest.Domain;

/// <summary>Where a row was uploaded, and what day it is there, for the checks that depend on them.</summary>
/// <param name="FolderProvince">The province slug of the upload folder, or null for <c>national/</c>.</param>
public sealed record ValidationContext(string? FolderProvince, DateOnly Today);

/// <summary>Validates one survey row per surveys.md, collecting every reason it is rejected.</summary>
public sealed class RowValidator(ReferenceData reference)
{
    public const double LatitudeMin = 25.0, LatitudeMax = 39.8, LongitudeMin = 44.0, LongitudeMax = 63.4;

    public RowOutcome Validate(SurveyRow row, ValidationContext context, int? duplicateOfRow = null)
    {
        var errors = new List<RowError>();
        var (mineId, name) = Identity(row, errors, duplicateOfRow);

        var province = Lookup(row, Column.Province, errors, reference.FindProvince, p => p.Slug, ClerkMessages.UnknownProvince);
        if (province is not null && context.FolderProvince is { } folder && province != folder)
        {
            errors.Add(new RowError(Key(Column.Province), ClerkMessages.ProvinceNotFolder(reference.ProvinceBySlug(province), folder)));
        }

        var mineral = Lookup(row, Column.Mineral, errors, reference.FindMineral, m => m, ClerkMessages.UnknownMineral);
        var status = Lookup(row, Column.Status, errors, reference.FindStatus, s => s.Slug, ClerkMessages.UnknownStatus);
        var problem = Lookup(row, Column.Problem, errors, reference.FindProblem, p => p.Slug, ClerkMessages.UnknownProblem);

        var latitude = InIran(row, Column.Latitude, LatitudeMin, LatitudeMax, errors);
        var longitude = InIran(row, Column.Longitude, LongitudeMin, LongitudeMax, errors);

        var reserve = AtLeastZero(row, Column.ReserveTonnes, errors);
        // Grade is required only for minerals with a grade measure; the message names the mineral so the clerk knows why.
        if (mineral is { HasGrade: true } && Text(row, Column.GradePct) is null)
            errors.Add(new RowError(Key(Column.GradePct), ClerkMessages.GradeRequired(SurveyColumns.Get(Column.GradePct), mineral)));
        var grade = Number(row, Column.GradePct, errors, required: false);
        if (grade is { } g && g is < 0 or > 100)
            errors.Add(new RowError(Key(Column.GradePct), ClerkMessages.GradeOutOfRange(SurveyColumns.Get(Column.GradePct), g)));
        var road = AtLeastZero(row, Column.RoadKm, errors, required: false);
        var power = AtLeastZero(row, Column.PowerKm, errors, required: false);
        var jobsPotential = WholeNumber(row, Column.JobsPotential, errors, required: true);
        var jobsCreated = WholeNumber(row, Column.JobsCreated, errors, required: false);
        var investment = AtLeastZero(row, Column.InvestmentBnRial, errors, required: false);
        var idleSince = Year(row, Column.IdleSince, errors);

        var surveyDate = Date(row, Column.SurveyDate, errors, context, required: true);
        var revivedOn = Date(row, Column.RevivedOn, errors, context, required: false);
        if (status == "revived" && revivedOn is null && Text(row, Column.RevivedOn) is null)
            errors.Add(new RowError(Key(Column.RevivedOn), ClerkMessages.RevivalDateMissing()));

        if (errors.Count > 0 || mineId is null || name is null || province is null || mineral is null || status is null
            || latitude is null || longitude is null || reserve is null || jobsPotential is null || surveyDate is null)
        {
            return new RowOutcome(row.RowNumber, mineId, null, errors);
        }

        var warnings = Warnings(mineral, grade, jobsPotential.Value, jobsCreated);
        var mine = new Mine
        {
            Province = province, MineId = mineId, Name = name, County = Text(row, Column.County), Mineral = mineral.Slug,
            Status = status, Latitude = latitude.Value, Longitude = longitude.Value, ReserveTonnes = reserve.Value,
            GradePct = grade, RoadKm = road, PowerKm = power, JobsPotential = jobsPotential.Value, JobsCreated = jobsCreated,
            InvestmentBnRial = investment, IdleSince = idleSince, Problem = problem, SurveyDate = surveyDate.Value,
            RevivedOn = revivedOn, Notes = Text(row, Column.Notes), Warnings = warnings,
        };
        return new RowOutcome(row.RowNumber, mineId, mine, errors);
    }

    /// <summary>The mine's id and name, each required; free text that cannot be shown as written; a row that repeats an earlier one.</summary>
    private static (string? MineId, string? Name) Identity(SurveyRow row, List<RowError> errors, int? duplicateOfRow)
    {
        var mineId = Text(row, Column.MineId);
        var name = Text(row, Column.MineName);
        if (mineId is null) Missing(errors, Column.MineId);
        else if (MineAddress.Problem(mineId) is { } unaddressable) errors.Add(new RowError(Key(Column.MineId), unaddressable));
        if (name is null) Missing(errors, Column.MineName);
        foreach (var column in FreeTextColumns) Unshowable(row, column, errors);
        if (duplicateOfRow is { } first)
            errors.Add(new RowError(Key(Column.MineId), ClerkMessages.DuplicateRow(first, mineId)));
        return (mineId, name);
    }

    /// <summary>A required coordinate within Iran's bounds.</summary>
    private static double? InIran(SurveyRow row, Column column, double min, double max, List<RowError> errors)
    {
        var value = Number(row, column, errors);
        if (value is { } v && (v < min || v > max))
            errors.Add(new RowError(Key(column), ClerkMessages.OutsideIran(SurveyColumns.Get(column), v, min, max)));
        return value;
    }

    /// <summary>What an accepted row may still be wrong about: a grade below the mineral's cut-off, more jobs created than possible.</summary>
    private static List<RowError> Warnings(Mineral mineral, double? grade, int jobsPotential, int? jobsCreated)
    {
        var warnings = new List<RowError>();
        if (grade is { } gradeValue && mineral is { HasGrade: true, CutoffPct: { } cutoff } && gradeValue < cutoff)
            warnings.Add(new RowError(Key(Column.GradePct), ClerkMessages.GradeBelowCutoff(gradeValue, mineral, cutoff)));
        if (jobsCreated is { } created && created > jobsPotential)
            warnings.Add(new RowError(Key(Column.JobsCreated), ClerkMessages.JobsCreatedAbovePotential(created, jobsPotential)));
        return warnings;
    }

    private static string Key(Column column) => SurveyColumns.Get(column).Key;

    /// <summary>The columns whose text is kept as written; the mine id is one line, the others may hold tabs and line breaks.</summary>
    private static readonly Column[] FreeTextColumns = [Column.MineId, Column.MineName, Column.County, Column.Notes];

    private static string? Text(SurveyRow row, Column column) => SurveyText.Trimmed(row[column]);

    private static void Unshowable(SurveyRow row, Column column, List<RowError> errors)
    {
        if (Text(row, column) is { } text && SurveyText.FirstUnshowable(text, singleLine: column == Column.MineId) is { } found)
            errors.Add(new RowError(Key(column), ClerkMessages.UnshowableCharacter(SurveyColumns.Get(column), found.Position, found.CodePoint)));
    }

    private static void Missing(List<RowError> errors, Column column) =>
        errors.Add(new RowError(Key(column), ClerkMessages.Missing(SurveyColumns.Get(column))));

    private static TResult? Lookup<T, TResult>(SurveyRow row, Column column, List<RowError> errors,
        Func<string, T?> find, Func<T, TResult> select, Func<string, ClerkText> unknown) where T : class where TResult : class
    {
        var text = Text(row, column);
        if (text is null)
        {
            if (SurveyColumns.Get(column).Required) Missing(errors, column);
            return null;
        }
        if (find(text) is { } found) return select(found);
        errors.Add(new RowError(Key(column), unknown(text)));
        return null;
    }

    private static double? Number(SurveyRow row, Column column, List<RowError> errors, bool? required = null)
    {
        var text = Text(row, column);
        if (text is null)
        {
            if (required ?? SurveyColumns.Get(column).Required) Missing(errors, column);
            return null;
        }
        if (SurveyValues.TryParseNumber(text, out var value)) return value;
        errors.Add(new RowError(Key(column), ClerkMessages.NotANumber(SurveyColumns.Get(column), text)));
        return null;
    }

    private static double? AtLeastZero(SurveyRow row, Column column, List<RowError> errors, bool? required = null)
    {
        var value = Number(row, column, errors, required);
        if (value is < 0)
        {
            errors.Add(new RowError(Key(column), ClerkMessages.Negative(SurveyColumns.Get(column), value.Value)));
            return null;
        }
        return value;
    }

    private static int? WholeNumber(SurveyRow row, Column column, List<RowError> errors, bool required)
    {
        var value = AtLeastZero(row, column, errors, required);
        if (value is null) return null;
        if (value != Math.Floor(value.Value) || value > int.MaxValue)
        {
            errors.Add(new RowError(Key(column), ClerkMessages.NotWholeNumber(SurveyColumns.Get(column), value.Value)));
            return null;
        }
        return (int)value.Value;
    }

    private static int? Year(SurveyRow row, Column column, List<RowError> errors)
    {
        var value = Number(row, column, errors, required: false);
        if (value is null) return null;
        if (value == Math.Floor(value.Value) && value is (>= 1300 and <= 1499) or (>= 1900 and <= 2100)) return (int)value.Value;
        errors.Add(new RowError(Key(column), ClerkMessages.NotAYear(SurveyColumns.Get(column), value.Value)));
        return null;
    }

    private static DateOnly? Date(SurveyRow row, Column column, List<RowError> errors, ValidationContext context, bool required)
    {
        var text = Text(row, column);
        if (text is null)
        {
            if (required) Missing(errors, column);
            return null;
        }
        if (!SurveyValues.TryParseDate(text, out var date))
        {
            errors.Add(new RowError(Key(column), ClerkMessages.NotADate(SurveyColumns.Get(column), text)));
            return null;
        }
        if (date > context.Today)
        {
            errors.Add(new RowError(Key(column), ClerkMessages.FutureDate(SurveyColumns.Get(column), SurveyValues.Iso(date), SurveyValues.ToJalali(date))));
            return null;
        }
        return date;
    }
}
