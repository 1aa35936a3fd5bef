namespace Coordinator.Kafka.Sharding;

/// <summary>
/// Kafka's default partitioner for keyed records (the Java client's, and librdkafka's
/// <c>murmur2</c>/<c>murmur2_random</c>): <c>(murmur2(key) &amp; 0x7fffffff) % partitions</c>.
/// A shard is the partition of its entities' keys, so a node that owns a partition owns exactly
/// the entities whose records arrive on it.
/// </summary>
public static class Murmur2Partitioner
{
    private const uint Seed = 0x9747b28c;
    private const uint M = 0x5bd1e995;
    private const int R = 24;

    /// <summary>The partition Kafka places a record with <paramref name="key"/> in.</summary>
    public static int Partition(ReadOnlySpan<byte> key, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        return (int)((Hash(key) & 0x7fffffff) % (uint)partitions);
    }

    /// <summary>Kafka's murmur2 of <paramref name="data"/> (seed 0x9747b28c), as the Java client computes it.</summary>
    public static uint Hash(ReadOnlySpan<byte> data)
    {
        var length = data.Length;
        var h = Seed ^ (uint)length;
        var i = 0;
        for (; i + 4 <= length; i += 4)
        {
            var k = (uint)(data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
            k *= M;
            k ^= k >> R;
            k *= M;
            h *= M;
            h ^= k;
        }

        switch (length - i)
        {
            case 3:
                h ^= (uint)data[i + 2] << 16;
                h ^= (uint)data[i + 1] << 8;
                h ^= data[i];
                h *= M;
                break;
            case 2:
                h ^= (uint)data[i + 1] << 8;
                h ^= data[i];
                h *= M;
                break;
            case 1:
                h ^= data[i];
                h *= M;
                break;
        }

        h ^= h >> 13;
        h *= M;
        h ^= h >> 15;
        return h;
    }
}
