using BenchmarkDotNet.Attributes;
using MineIngest.Domain.Photos;
using MineIngest.TestData;

namespace MineIngest.Benchmarks;

/// <summary>
/// What one photo costs the app: a field form's photo (already 1600 px) and cameras' originals of 12 and 24
/// megapixels, each decoded, turned upright, made at most 1600 px, and written again without metadata.
/// Usage: dotnet bench/MineIngest.Benchmarks/bin/Release/net10.0/MineIngest.Benchmarks.dll --filter *Photo*
/// </summary>
public class PhotoBenchmarks
{
    [Params("1600x1200", "4000x3000", "6000x4000")]
    public string Size { get; set; } = "";

    private byte[] _photo = [];

    [GlobalSetup]
    public void Setup()
    {
        var parts = Size.Split('x').Select(int.Parse).ToArray();
        _photo = PhotoBuilder.CameraJpeg(parts[0], parts[1]);
    }

    [Benchmark]
    public int Clean() => PhotoCleaner.Clean(new MemoryStream(_photo, writable: false), new PhotoLimits()).Photo!.Jpeg.Length;
}
