using MineIngest.Pipeline.Records;

namespace MineIngest.Pipeline.View;

/// <summary>
/// The view's mines in ranking order. A refresh merges what it changed into the order it had instead of sorting every
/// mine again: while a round is scored a refresh runs several times a second and changes a few thousand mines of
/// 100,000, and the full sort (about 1.7 million comparisons) was most of its cost, taken from the scorer's cores.
/// </summary>
public static class RankedMines
{
    /// <summary>Every mine of <paramref name="mines"/> in ranking order.</summary>
    public static MineEntity[] Sort(IReadOnlyCollection<KeyValuePair<(string, string), MineEntity>> mines)
    {
        // Not Values.ToArray(): Values copies every entry into a list first, a second large array.
        var ranked = new MineEntity[mines.Count];
        var n = 0;
        foreach (var pair in mines) ranked[n++] = pair.Value;
        Array.Sort(ranked, MineEntity.Ranking);
        return ranked;
    }

    /// <summary>
    /// <paramref name="before"/> (in ranking order) without the mines in <paramref name="gone"/> (by reference: the
    /// versions a refresh replaced or removed) and with <paramref name="added"/> (the versions it took in), in ranking
    /// order; null when <paramref name="gone"/> names a mine <paramref name="before"/> does not hold (the caller sorts).
    /// </summary>
    public static MineEntity[]? Merge(MineEntity[] before, IReadOnlySet<MineEntity> gone, IReadOnlyCollection<MineEntity> added)
    {
        var adding = added.ToArray();
        Array.Sort(adding, MineEntity.Ranking);
        var length = before.Length - gone.Count + adding.Length;
        if (length < 0) return null;
        var merged = new MineEntity[length];
        int i = 0, j = 0, n = 0;
        while (i < before.Length || j < adding.Length)
        {
            if (i < before.Length && gone.Contains(before[i]))
            {
                i++;
                continue;
            }
            if (n == length) return null;
            merged[n++] = j == adding.Length || (i < before.Length && MineEntity.Ranking.Compare(before[i], adding[j]) <= 0) ? before[i++] : adding[j++];
        }
        return n == length ? merged : null;
    }
}
