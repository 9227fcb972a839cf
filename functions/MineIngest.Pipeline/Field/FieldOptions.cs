using System.ComponentModel.DataAnnotations;

namespace MineIngest.Pipeline.Field;

/// <summary>The field form's settings, bound from the "Field" section; the form reads them from GET /api/upload/limits.</summary>
public sealed class FieldOptions
{
    public const string Section = "Field";

    /// <summary>The blob container of the surveyors' photos: {province}/{mine}/{survey}-{n}.jpg.</summary>
    public const string PhotosContainer = "field-photos";

    /// <summary>A phone's position less accurate than this (metres) is shown with a warning; it is still kept.</summary>
    [Range(1, 10_000)]
    public int AccuracyWarningMeters { get; set; } = 50;

    /// <summary>Photos a mine may have from one survey.</summary>
    [Range(1, 20)]
    public int PhotosPerMine { get; set; } = 5;

    /// <summary>The longest side of a stored photo (pixels): the phone makes photos this small, and the app any larger one it is sent.</summary>
    [Range(320, 8000)]
    public int PhotoLongestSide { get; set; } = 1600;

    /// <summary>The most pixels (millions) a sent picture may hold; it is refused before it is decoded beyond that.</summary>
    [Range(1, 100)]
    public int PhotoMaxMegapixels { get; set; } = 25;
}
