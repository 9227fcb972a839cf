using MineIngest.Domain;
using Microsoft.AspNetCore.Http;

namespace MineIngest.Pipeline.Api;

/// <summary>Query values every route reads alike: province and mineral by slug or either name, periods in either calendar.</summary>
internal static class QueryValues
{
    public static string? Province(ReferenceData reference, IQueryCollection query, Dictionary<string, string[]> errors)
    {
        if (query["province"].ToString() is not { Length: > 0 } text) return null;
        var slug = reference.FindProvince(text)?.Slug;
        if (slug is null) errors["province"] = [$"\"{text}\" is not a province of Iran."];
        return slug;
    }

    public static string? Mineral(ReferenceData reference, IQueryCollection query, Dictionary<string, string[]> errors)
    {
        if (query["mineral"].ToString() is not { Length: > 0 } text) return null;
        var slug = reference.FindMineral(text)?.Slug;
        if (slug is null) errors["mineral"] = [$"\"{text}\" is not a known mineral."];
        return slug;
    }

    public static (string? From, string? To) Period(IQueryCollection query, Dictionary<string, string[]> errors)
    {
        var from = ApiResults.DateField("from", query["from"].ToString(), errors);
        var to = ApiResults.DateField("to", query["to"].ToString(), errors);
        if (from is not null && to is not null && string.CompareOrdinal(from, to) > 0)
            errors["from"] = [$"from ({from}) is after to ({to})."];
        return (from, to);
    }
}
