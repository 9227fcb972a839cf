using System.Reflection;
using MineIngest.Domain.Reading;
using MineIngest.TestData;

namespace MineIngest.Domain.Tests;

/// <summary>Every message a clerk can see exists in Persian too.</summary>
public class ClerkMessageTests
{
    private static readonly ReferenceData Reference = ReferenceData.Default;

    public static TheoryData<string> MessageNames() =>
        [.. typeof(ClerkMessages).GetMethods(BindingFlags.Public | BindingFlags.Static).Select(m => m.Name)];

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Each_message_has_a_Persian_form(string name)
    {
        var method = typeof(ClerkMessages).GetMethod(name)!;
        var text = (ClerkText)method.Invoke(null, method.GetParameters().Select(p => SampleOf(p.ParameterType)).ToArray())!;
        Assert.False(string.IsNullOrWhiteSpace(text.English));
        AssertPersian(text.Persian);
        Assert.NotEqual(text.English, text.Persian);
    }

    [Fact]
    public void The_catalogue_is_the_only_way_to_a_rejection_or_row_error()
    {
        // Both take a ClerkText and nothing else, so no message can be built without its Persian form.
        Assert.All(typeof(SurveyRejectedException).GetConstructors(), c => Assert.Equal(typeof(ClerkText), c.GetParameters()[0].ParameterType));
        Assert.Contains(typeof(ClerkMessages).GetMethods(), m => m.ReturnType == typeof(ClerkText));
        Assert.True(typeof(ClerkMessages).GetMethods(BindingFlags.Public | BindingFlags.Static).Length >= 30);
    }

    [Fact]
    public void A_row_wrong_in_every_way_gets_every_reason_in_Persian()
    {
        var validator = new RowValidator(Reference);
        var rows = new[]
        {
            RowBuilder.WorkedExample().Set("mine_id", null).Set("mine_name", null).Set("province", "Atlantis").Set("mineral", "kryptonite")
                .Set("status", "sleeping").Set("problem", "dragons").Set("latitude", 50).Set("longitude", "east").Set("reserve_tonnes", -1)
                .Set("jobs_potential", 2.5).Set("idle_since", 1066).Set("survey_date", "yesterday").Set("revived_on", "2030-01-01"),
            RowBuilder.WorkedExample().Set("grade_pct", null).Set("status", "revived").Set("revived_on", null).Set("province", "Yazd"),
            RowBuilder.WorkedExample().Set("grade_pct", 140).Set("survey_date", "1499-01-01"),
        };
        var errors = rows.SelectMany(r => validator.Validate(r.ToSurveyRow(5), new ValidationContext("kerman", new DateOnly(2026, 11, 26)), 3).Errors).ToList();
        Assert.True(errors.Count >= 15, $"{errors.Count} errors");
        Assert.All(errors, e => AssertPersian(e.MessageFa));
    }

    [Fact]
    public void A_file_rejection_carries_its_Persian_reason()
    {
        var ex = Assert.Throws<SurveyRejectedException>(() => SurveyReader.Open(new MemoryStream(), "x.pdf", new SurveyLimits()));
        Assert.Contains(".pdf", ex.Reason.Persian);
        AssertPersian(ex.Reason.Persian);
    }

    private static void AssertPersian(string text)
    {
        Assert.False(string.IsNullOrWhiteSpace(text));
        var letters = text.Count(char.IsLetter);
        var persian = text.Count(c => c is >= '\u0600' and <= '\u06FF' || c is >= '\uFB50' and <= '\uFEFF');
        // Names, file types and examples stay in Latin letters; the sentence itself must be Persian.
        Assert.True(persian * 2 > letters, $"Not Persian enough: {text}");
    }

    private static object SampleOf(Type type) =>
        type == typeof(string) ? "CHR-0019"
        : type == typeof(int) ? 7
        : type == typeof(long) ? 50L
        : type == typeof(double) ? 41.2
        : type == typeof(SurveyColumn) ? SurveyColumns.Get(Column.Latitude)
        : type == typeof(IReadOnlyList<SurveyColumn>) ? SurveyColumns.Required
        : type == typeof(Mineral) ? Reference.Minerals.First(m => m.HasGrade)
        : type == typeof(Province) ? Reference.Provinces[0]
        : throw new InvalidOperationException($"No sample for {type}: add one so that the new message is checked.");
}
