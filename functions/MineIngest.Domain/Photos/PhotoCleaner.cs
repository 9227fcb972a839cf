using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Processing;

namespace MineIngest.Domain.Photos;

/// <summary>How large a stored photo may be: its longest side (a phone's 1600 px), and the most pixels a sent picture may hold before it is decoded.</summary>
public sealed record PhotoLimits(int LongestSide = 1600, int MaxMegapixels = 25);

/// <summary>A photo as stored: a JPEG with no metadata, its size in pixels, and whether it had to be made smaller.</summary>
public sealed record CleanPhoto(byte[] Jpeg, int Width, int Height, bool MadeSmaller);

/// <summary>
/// Makes a sent picture into the photo the programme keeps: read as JPEG, PNG or WebP (nothing else), turned upright
/// as the camera recorded it, made smaller when its longest side is over the limit, and written as a new JPEG without
/// any of the camera's metadata (device, owner, time, place: EXIF, XMP, IPTC, colour profile). The phone does the same
/// before sending; this holds for any other sender too. The picture's size is read from its header first, so a small
/// file that claims a huge picture is refused before a byte of it is decoded.
/// </summary>
public static class PhotoCleaner
{
    /// <summary>
    /// The decoders allowed, and pooled memory kept small: one photo at a time needs its own pixels only
    /// (25 megapixels at most, 100 MB as 32-bit pixels).
    /// </summary>
    private static readonly Configuration Decoders = new(new JpegConfigurationModule(), new PngConfigurationModule(), new WebpConfigurationModule())
    {
        MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { MaximumPoolSizeMegabytes = 8 }),
    };

    private static readonly JpegEncoder Encoder = new() { Quality = 82 };

    /// <summary>The stored photo, or the reason in a clerk's words why what was sent (a seekable stream, read twice: header, then pixels) is not one.</summary>
    public static (CleanPhoto? Photo, ClerkText? Problem) Clean(Stream sent, PhotoLimits limits)
    {
        if (sent.Length == 0) return (null, ClerkMessages.PhotoEmpty());
        IImageInfo? info;
        try
        {
            info = Image.Identify(Decoders, sent);
        }
        catch (Exception e) when (NotAPicture(e))
        {
            return (null, ClerkMessages.PhotoNotAPicture());
        }
        if (info is null || info.Width <= 0 || info.Height <= 0) return (null, ClerkMessages.PhotoNotAPicture());
        if ((long)info.Width * info.Height > limits.MaxMegapixels * 1_000_000L) return (null, ClerkMessages.PhotoTooManyPixels(limits.MaxMegapixels));

        try
        {
            sent.Position = 0;
            using var image = Image.Load(Decoders, sent);
            image.Mutate(x => x.AutoOrient());
            var madeSmaller = Math.Max(image.Width, image.Height) > limits.LongestSide;
            if (madeSmaller)
                image.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(limits.LongestSide, limits.LongestSide), Mode = ResizeMode.Max }));
            image.Metadata.ExifProfile = null;
            image.Metadata.XmpProfile = null;
            image.Metadata.IptcProfile = null;
            image.Metadata.IccProfile = null;
            using var output = new MemoryStream();
            image.SaveAsJpeg(output, Encoder);
            return (new CleanPhoto(output.ToArray(), image.Width, image.Height, madeSmaller), null);
        }
        catch (Exception e) when (NotAPicture(e))
        {
            return (null, ClerkMessages.PhotoNotAPicture());
        }
    }

    /// <summary>
    /// A decoder's failure on what it was sent: whatever a damaged or hostile picture makes it throw (its own format
    /// errors, and an index or a cast its checks missed) is "not a picture" for the sender, never a failed request.
    /// </summary>
    private static bool NotAPicture(Exception e) => e is not (OperationCanceledException or OutOfMemoryException);
}
