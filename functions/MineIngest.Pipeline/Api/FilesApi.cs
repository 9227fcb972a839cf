using MineIngest.Domain;
using MineIngest.Domain.Writing;
using MineIngest.Domain.Reading;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace MineIngest.Pipeline.Api;

/// <summary>The files the API hands out that hold no data: the survey template (the dashboard and upload page are <see cref="DashboardFiles"/>),
/// and the upload limits the upload page checks a file against before sending it.</summary>
public sealed class FilesApi(ReferenceData reference, IOptions<SurveyLimits> limits, IOptions<Field.FieldOptions> field)
{
    /// <summary>GET /api/upload/limits: the largest file and the accepted types, as the pipeline applies them, and the field form's settings.</summary>
    public IResult UploadLimits() =>
        Results.Json(new UploadLimitsDto(limits.Value.MaxFileBytes, [".xlsx", ".xls", ".csv"],
            new FieldLimitsDto(field.Value.AccuracyWarningMeters, field.Value.PhotosPerMine, field.Value.PhotoLongestSide)), ApiResults.Json);

    /// <summary>GET /api/template.xlsx: the survey template; the same for everyone, so made once.</summary>
    public async Task<IResult> TemplateAsync(CancellationToken ct)
    {
        var bytes = _template ??= await MakeTemplateAsync(reference, ct);
        return Results.File(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", SurveyTemplate.FileName);
    }

    private byte[]? _template;

    private static async Task<byte[]> MakeTemplateAsync(ReferenceData reference, CancellationToken ct)
    {
        using var output = new MemoryStream();
        await SurveyTemplate.WriteAsync(output, reference, ct);
        return output.ToArray();
    }
}
