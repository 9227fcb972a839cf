using MineIngest.Pipeline.Records;
using MineIngest.Pipeline.View;

namespace MineIngest.Pipeline.Tests;

/// <summary>The ranking a refresh merges is the ranking a full sort gives, whatever it replaced, removed or added.</summary>
public sealed class RankedMinesTests
{
    private static MineEntity Mine(string province, int id, double score) =>
        new() { PartitionKey = province, RowKey = MineEntity.KeyFor($"M-{id}"), MineId = $"M-{id}", Score = score };

    [Theory]
    [InlineData(1, 0, 0, 0)]
    [InlineData(2, 1_000, 0, 0)]
    [InlineData(3, 1_000, 50, 0)]
    [InlineData(4, 1_000, 0, 50)]
    [InlineData(5, 1_000, 300, 200)]
    [InlineData(6, 1_000, 1_000, 0)]
    [InlineData(7, 0, 0, 20)]
    public void A_merge_equals_a_full_sort(int seed, int held, int replaced, int removed)
    {
        var random = new Random(seed);
        string[] provinces = ["kerman", "yazd", "fars"];
        var mines = new Dictionary<(string, string), MineEntity>();
        for (var i = 0; i < held; i++)
        {
            // Scores from a small set, so that ties are decided by province and id, as in the real ranking.
            var mine = Mine(provinces[random.Next(3)], i, random.Next(0, 20) * 5);
            mines[(mine.PartitionKey, mine.RowKey)] = mine;
        }
        var before = RankedMines.Sort(mines);
        var gone = new HashSet<MineEntity>(ReferenceEqualityComparer.Instance);
        var added = new List<MineEntity>();
        foreach (var key in mines.Keys.OrderBy(_ => random.Next()).Take(replaced).ToList())
        {
            gone.Add(mines[key]);
            var again = Mine(key.Item1, int.Parse(mines[key].MineId[2..]), random.Next(0, 20) * 5);
            mines[key] = again;
            added.Add(again);
        }
        foreach (var key in mines.Keys.Where(k => !added.Any(a => (a.PartitionKey, a.RowKey) == k)).OrderBy(_ => random.Next()).Take(removed).ToList())
        {
            gone.Add(mines[key]);
            mines.Remove(key);
        }
        for (var i = 0; i < removed; i++)
        {
            var mine = Mine(provinces[random.Next(3)], held + i, random.Next(0, 20) * 5);
            mines[(mine.PartitionKey, mine.RowKey)] = mine;
            added.Add(mine);
        }

        var merged = RankedMines.Merge(before, gone, added);

        Assert.NotNull(merged);
        Assert.Equal(RankedMines.Sort(mines), merged);
    }

    [Fact]
    public void A_merge_told_to_drop_a_mine_it_does_not_hold_gives_nothing_rather_than_a_wrong_ranking()
    {
        var held = new Dictionary<(string, string), MineEntity> { [("kerman", "a")] = Mine("kerman", 1, 50) };
        var stranger = Mine("yazd", 2, 60);

        Assert.Null(RankedMines.Merge(RankedMines.Sort(held), new HashSet<MineEntity>([stranger], ReferenceEqualityComparer.Instance), []));
    }
}
