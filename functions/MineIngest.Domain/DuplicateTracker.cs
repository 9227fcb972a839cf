using MineIngest.Domain.Reading;

namespace MineIngest.Domain;

/// <summary>Remembers the first row of each mine in a file, so a later row can be rejected as "duplicate of row N".</summary>
public sealed class DuplicateTracker(ReferenceData reference)
{
    private readonly Dictionary<(string Province, string MineId), int> _firstRow = new();

    /// <summary>The row that first named this row's mine, or null when this row is the first.</summary>
    public int? Check(SurveyRow row)
    {
        if (SurveyText.IsBlank(row[Column.MineId])) return null;
        var province = reference.FindProvince(row[Column.Province])?.Slug ?? TextFold.Key(row[Column.Province]);
        var key = (province, Mine.KeyOf(row[Column.MineId]!));
        if (_firstRow.TryGetValue(key, out var first)) return first;
        _firstRow[key] = row.RowNumber;
        return null;
    }
}
