using MineIngest.Domain.Photos;
using MineIngest.TestData;

namespace MineIngest.Domain.Tests;

/// <summary>A sent picture made into the stored photo, and damaged pictures answered with a reason, never an exception.</summary>
public sealed class PhotoCleanerTests
{
    [Fact]
    public void A_camera_photo_is_made_smaller_upright_and_without_metadata()
    {
        var (photo, problem) = PhotoCleaner.Clean(new MemoryStream(PhotoBuilder.CameraJpeg(2400, 3200)), new PhotoLimits());
        Assert.Null(problem);
        Assert.Equal((1200, 1600, true), (photo!.Width, photo.Height, photo.MadeSmaller));
        Assert.Equal((1200, 1600, false), PhotoBuilder.Inspect(photo.Jpeg));
    }

    [Fact]
    public void A_photo_within_the_limit_keeps_its_size()
    {
        var (photo, _) = PhotoCleaner.Clean(new MemoryStream(PhotoBuilder.CameraJpeg(1600, 900)), new PhotoLimits());
        Assert.Equal((1600, 900, false), (photo!.Width, photo.Height, photo.MadeSmaller));
        Assert.False(PhotoBuilder.Inspect(photo.Jpeg).HasMetadata);
    }

    /// <summary>Truncated and bit-flipped pictures (300 of them, from a fixed seed): each is a photo within the limit or a reason.</summary>
    [Fact]
    public void Damaged_pictures_get_a_photo_or_a_reason_and_never_an_exception()
    {
        var original = PhotoBuilder.CameraJpeg(800, 600);
        var random = new Random(41);
        var (photos, reasons) = (0, 0);
        for (var i = 0; i < 300; i++)
        {
            var damaged = i % 2 == 0 ? original[..random.Next(2, original.Length)] : (byte[])original.Clone();
            if (i % 2 == 1) for (var k = 0; k < 1 + random.Next(20); k++) damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            var (photo, problem) = PhotoCleaner.Clean(new MemoryStream(damaged), new PhotoLimits());
            Assert.True((photo is null) != (problem is null), $"case {i}");
            if (photo is not null) { Assert.True(Math.Max(photo.Width, photo.Height) <= 1600); photos++; } else reasons++;
        }
        Assert.True(reasons > 0, "no damaged picture was refused");
    }
}
