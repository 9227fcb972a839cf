using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Storage.Blobs;
using MineIngest.Pipeline.Api;
using MineIngest.Pipeline.Field;
using MineIngest.TestData;

namespace MineIngest.Pipeline.Tests;

/// <summary>
/// A surveyor's photos as the app takes them, whoever sends them: made smaller past the limit, written again without
/// the camera's metadata, refused in a clerk's words when they are not a picture or claim too many pixels, kept only
/// with a mine its survey accepted. (Who may read them, route by route, is in the sign-in tests.)
/// </summary>
public sealed class PhotoTests(UploadPageFixture fixture) : IClassFixture<UploadPageFixture>
{
    private async Task<string> SurveyAsync(string blob, string mineId)
    {
        var survey = new SurveyBuilder().Add(RowBuilder.WorkedExample(mineId, "kerman")).Add(RowBuilder.WorkedExample(mineId + "-BAD", "kerman").Set("latitude", 80));
        await fixture.Surveys.CreateIfNotExistsAsync();
        await fixture.Surveys.GetBlobClient(blob).UploadAsync(BinaryData.FromBytes(survey.ToCsv()), overwrite: true);
        return (await PipelineFixture.WaitForSurveyAsync(fixture.Http, blob)).GetProperty("id").GetString()!;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PutAsync(string survey, string mineId, int number, byte[] body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/provinces/kerman/surveys/{survey}/mines/{Uri.EscapeDataString(mineId)}/photos/{number}")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("image/jpeg") } },
        };
        request.Headers.Add(ProvinceApi.ProvinceKeyHeader, key);
        using var response = await fixture.Http.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private BlobContainerClient Photos => new(fixture.Azurite.ConnectionString, FieldOptions.PhotosContainer);

    [Fact]
    public async Task A_camera_photo_is_made_smaller_and_stored_without_the_cameras_details()
    {
        var survey = await SurveyAsync("kerman/photos-large.csv", "PH-LARGE");
        var original = PhotoBuilder.CameraJpeg(3000, 2000);
        Assert.True(PhotoBuilder.Inspect(original).HasMetadata);

        var (status, body) = await PutAsync(survey, "PH-LARGE", 1, original, fixture.KermanKey);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal((1600, 1067), (body.GetProperty("width").GetInt32(), body.GetProperty("height").GetInt32()));
        var stored = new List<byte[]>();
        await foreach (var item in Photos.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, PhotoStore.MineFolder("kerman", "PH-LARGE"), default))
            stored.Add((await Photos.GetBlobClient(item.Name).DownloadContentAsync()).Value.Content.ToArray());
        var jpeg = Assert.Single(stored);
        var (width, height, hasMetadata) = PhotoBuilder.Inspect(jpeg);
        Assert.Equal((1600, 1067, false), (width, height, hasMetadata));
        var text = System.Text.Encoding.ASCII.GetString(jpeg);
        Assert.DoesNotContain(PhotoBuilder.CameraMake, text);
        Assert.DoesNotContain("Exif", text);

        // The office reads it, and the mine's history shows it with its survey.
        var history = await PipelineFixture.GetJsonAsync(fixture.Http, "/api/mines/kerman/PH-LARGE/history");
        var photo = Assert.Single(history.GetProperty("versions")[0].GetProperty("photos").EnumerateArray());
        Assert.Equal(survey, photo.GetProperty("survey").GetString());
        var download = await fixture.Http.GetAsync("/api/" + photo.GetProperty("href").GetString());
        Assert.Equal("image/jpeg", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(jpeg, await download.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task What_is_not_a_photo_is_refused_with_a_reason_and_nothing_is_stored()
    {
        var survey = await SurveyAsync("kerman/photos-refused.csv", "PH-REFUSED");
        var random = new byte[20_000];
        new Random(7).NextBytes(random);
        var cases = new (string What, byte[] Body, string Words)[]
        {
            ("random bytes", random, "not a photo"),
            ("a CSV named as a photo", new SurveyBuilder().Add(RowBuilder.WorkedExample("X", "kerman")).ToCsv(), "not a photo"),
            ("a PNG claiming 20,000 x 20,000 pixels", PhotoBuilder.PngClaiming(20_000, 20_000), "25 million pixels"),
            ("nothing", [], "empty"),
        };
        foreach (var (what, body, words) in cases)
        {
            var (status, answer) = await PutAsync(survey, "PH-REFUSED", 1, body, fixture.KermanKey);
            Assert.True(status == HttpStatusCode.UnsupportedMediaType, $"{what}: {status}");
            Assert.Contains(words, answer.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(answer.GetProperty("detailFa").GetString()), what);
        }

        // A photo of a mine the survey rejected, a number past the limit, a survey of no such id: refused, each with its reason.
        var photo = PhotoBuilder.CameraJpeg(800, 600);
        var rejected = await PutAsync(survey, "PH-REFUSED-BAD", 1, photo, fixture.KermanKey);
        Assert.Equal(HttpStatusCode.Conflict, rejected.Status);
        Assert.Contains("was not accepted", rejected.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await PutAsync(survey, "PH-REFUSED", 6, photo, fixture.KermanKey)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await PutAsync("no-such-survey", "PH-REFUSED", 1, photo, fixture.KermanKey)).Status);

        await foreach (var _ in Photos.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "kerman/", default))
            if (_.Name.StartsWith(PhotoStore.MineFolder("kerman", "PH-REFUSED"), StringComparison.Ordinal)) Assert.Fail($"stored: {_.Name}");
    }
}
