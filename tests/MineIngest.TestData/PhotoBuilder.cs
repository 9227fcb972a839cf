using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace MineIngest.TestData;

/// <summary>Pictures as cameras and senders make them: a phone's JPEG with its device and position in EXIF, a PNG that claims more pixels than it holds.</summary>
public static class PhotoBuilder
{
    public const string CameraMake = "TestCam";
    public const string CameraModel = "FieldPhone 7";

    /// <summary>A JPEG of the given size, a gradient with a stripe (not one flat colour), with the camera's make, model, owner and GPS position in EXIF.</summary>
    public static byte[] CameraJpeg(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                    row[x] = new Rgb24((byte)(x * 255 / width), (byte)(y * 255 / height), (byte)(x / 40 % 2 == 0 ? 60 : 200));
            }
        });
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.Make, CameraMake);
        exif.SetValue(ExifTag.Model, CameraModel);
        exif.SetValue(ExifTag.Artist, "Surveyor Kerman 4");
        exif.SetValue(ExifTag.GPSLatitudeRef, "N");
        exif.SetValue(ExifTag.GPSLatitude, [new Rational(30), new Rational(17), new Rational(2)]);
        exif.SetValue(ExifTag.Orientation, (ushort)1);
        image.Metadata.ExifProfile = exif;
        using var output = new MemoryStream();
        image.SaveAsJpeg(output);
        return output.ToArray();
    }

    /// <summary>A PNG whose header claims width x height pixels while it holds almost nothing: a decompression bomb's first step.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // truecolour
        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(output, "IHDR", header);
        Chunk(output, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        output.Write(number);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        output.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typed));
        output.Write(number);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>The stored photo's size and whether any metadata survived (EXIF, XMP, IPTC), read back with the same decoder.</summary>
    public static (int Width, int Height, bool HasMetadata) Inspect(byte[] jpeg)
    {
        var info = Image.Identify(jpeg, out var format);
        if (info is null || format?.Name != "JPEG") throw new InvalidDataException("not a JPEG");
        var m = info.Metadata;
        return (info.Width, info.Height, m.ExifProfile is not null || m.XmpProfile is not null || m.IptcProfile is not null);
    }
}
