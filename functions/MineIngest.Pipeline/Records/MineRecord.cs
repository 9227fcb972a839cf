using System.Text;
using System.Buffers;
using System.Text.Json;
using MineIngest.Domain;

namespace MineIngest.Pipeline.Records;

/// <summary>
/// A mine's fields as one JSON array, in a fixed order after a format number: [1, mineId, name, county, mineral, status,
/// latitude, longitude, reserveTonnes, gradePct, roadKm, powerKm, jobsPotential, jobsCreated, investmentBnRial, idleSince,
/// problem, surveyDate, revivedOn, score, tier, resource, grade, access, jobs, cost, solvability, [warnings], surveyId, row,
/// surveyReceivedAt (UTC ticks), scoredWith]. Numbers are written in their shortest round-trip form.
/// </summary>
public static class MineRecord
{
    public const int Format = 1;

    public static string Write(MineEntity m)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        Write(m, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The stored form as UTF-8 into <paramref name="buffer"/>, without making a string of it (the view's snapshot writes 100,000).</summary>
    public static void Write(MineEntity m, IBufferWriter<byte> buffer)
    {
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            w.WriteNumberValue(Format);
            w.WriteStringValue(m.MineId);
            w.WriteStringValue(m.Name);
            Text(w, m.County);
            w.WriteStringValue(m.Mineral);
            w.WriteStringValue(m.Status);
            w.WriteNumberValue(m.Latitude);
            w.WriteNumberValue(m.Longitude);
            w.WriteNumberValue(m.ReserveTonnes);
            Number(w, m.GradePct);
            Number(w, m.RoadKm);
            Number(w, m.PowerKm);
            w.WriteNumberValue(m.JobsPotential);
            Number(w, m.JobsCreated);
            Number(w, m.InvestmentBnRial);
            Number(w, m.IdleSince);
            Text(w, m.Problem);
            w.WriteStringValue(m.SurveyDate);
            Text(w, m.RevivedOn);
            w.WriteNumberValue(m.Score);
            w.WriteStringValue(m.Tier);
            w.WriteNumberValue(m.Resource);
            w.WriteNumberValue(m.Grade);
            w.WriteNumberValue(m.Access);
            w.WriteNumberValue(m.Jobs);
            w.WriteNumberValue(m.Cost);
            w.WriteNumberValue(m.Solvability);
            w.WriteRawValue(string.IsNullOrEmpty(m.Warnings) ? "[]" : m.Warnings);
            w.WriteStringValue(m.SurveyId);
            w.WriteNumberValue(m.Row);
            w.WriteNumberValue(m.SurveyReceivedAt.UtcTicks);
            Text(w, m.ScoredWith);
            w.WriteEndArray();
        }
    }

    public static void Read(string data, MineEntity m)
    {
        using var document = JsonDocument.Parse(data);
        var a = document.RootElement;
        if (a.ValueKind != JsonValueKind.Array || a.GetArrayLength() < 32 || a[0].GetInt32() != Format)
            throw new FormatException($"Mine {m.PartitionKey}/{m.RowKey}: stored data of an unknown format.");
        m.MineId = a[1].GetString()!;
        m.Name = a[2].GetString()!;
        m.County = Shared(a[3]);
        m.Mineral = Shared(a[4])!;
        m.Status = Shared(a[5])!;
        m.Latitude = a[6].GetDouble();
        m.Longitude = a[7].GetDouble();
        m.ReserveTonnes = a[8].GetDouble();
        m.GradePct = NullableDouble(a[9]);
        m.RoadKm = NullableDouble(a[10]);
        m.PowerKm = NullableDouble(a[11]);
        m.JobsPotential = a[12].GetInt32();
        m.JobsCreated = NullableInt(a[13]);
        m.InvestmentBnRial = NullableDouble(a[14]);
        m.IdleSince = NullableInt(a[15]);
        m.Problem = Shared(a[16]);
        m.SurveyDate = Shared(a[17])!;
        m.RevivedOn = Shared(a[18]);
        m.Score = a[19].GetDouble();
        m.Tier = Shared(a[20])!;
        m.Resource = a[21].GetDouble();
        m.Grade = a[22].GetDouble();
        m.Access = a[23].GetDouble();
        m.Jobs = a[24].GetDouble();
        m.Cost = a[25].GetDouble();
        m.Solvability = a[26].GetDouble();
        m.Warnings = a[27].GetArrayLength() == 0 ? "[]" : a[27].GetRawText();
        m.SurveyId = Shared(a[28])!;
        m.Row = a[29].GetInt32();
        m.SurveyReceivedAt = new DateTimeOffset(a[30].GetInt64(), TimeSpan.Zero);
        m.ScoredWith = Shared(a[31]);
    }

    /// <summary>
    /// Values that 100,000 mines share (province, mineral, status, tier, problem, county, dates, survey and settings
    /// ids): one string each instead of one per mine, for the API's view, which holds every mine. Bounded by what
    /// surveys contain (names of the reference lists, dates, surveys).
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Pool = new(StringComparer.Ordinal);

    private static int _pooled;

    // Counted by hand: ConcurrentDictionary.Count takes every lock of the dictionary.
    internal static string Share(string value)
    {
        if (Volatile.Read(ref _pooled) >= 200_000) return value;
        var shared = Pool.GetOrAdd(value, value);
        if (ReferenceEquals(shared, value)) Interlocked.Increment(ref _pooled);
        return shared;
    }

    private static string? Shared(JsonElement e) => e.GetString() is { } text ? Share(text) : null;

    private static void Text(Utf8JsonWriter w, string? value)
    {
        if (value is null) w.WriteNullValue(); else w.WriteStringValue(value);
    }

    private static void Number(Utf8JsonWriter w, double? value)
    {
        if (value is { } v) w.WriteNumberValue(v); else w.WriteNullValue();
    }

    private static void Number(Utf8JsonWriter w, int? value)
    {
        if (value is { } v) w.WriteNumberValue(v); else w.WriteNullValue();
    }

    private static double? NullableDouble(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble();
    private static int? NullableInt(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetInt32();
}
