using Confluent.Kafka;
using Coordinator.Kafka.IngressNode;

namespace Coordinator.Kafka.Tests.Ingress;

/// <summary>Ledger postings published to a topic, with what each ledger must end up as.</summary>
internal sealed class Workload(string topic, int keys)
{
    public Dictionary<string, List<string>> Expected { get; } = [];

    public Dictionary<string, long> Balances { get; } = [];

    public int Count => Expected.Values.Sum(e => e.Count);

    /// <summary>Publishes postings <paramref name="from"/> to <paramref name="from"/> + <paramref name="count"/> - 1: key <c>acct-(n mod keys)</c>, id <c>e-n</c>, amount n + 1.</summary>
    public void Publish(IProducer<string, byte[]> producer, int from, int count)
    {
        for (var n = from; n < from + count; n++)
        {
            var key = $"acct-{n % keys}";
            Publish(producer, key, $"e-{n}", n + 1);
        }

        producer.Flush(TimeSpan.FromSeconds(60));
    }

    /// <summary>Publishes one posting (expected once, even when its id was published before).</summary>
    public void Publish(IProducer<string, byte[]> producer, string key, string eventId, long amount)
    {
        producer.Produce(topic, new Message<string, byte[]> { Key = key, Value = Ledger.Envelope(eventId, amount) }, report =>
        {
            if (report.Error.IsError)
            {
                throw new InvalidOperationException($"publish failed: {report.Error}");
            }
        });
        var events = Expected.TryGetValue(key, out var list) ? list : Expected[key] = [];
        if (!events.Contains(eventId))
        {
            events.Add(eventId);
            Balances[key] = Balances.GetValueOrDefault(key) + amount;
        }
    }

    /// <summary>Every sharded ledger's state is the fold of its postings, each once, in order.</summary>
    public async Task AssertExactAsync(ClusterLedgerNode node)
    {
        foreach (var (key, events) in Expected)
        {
            var state = await node.QueryAsync(key);
            Assert.True(events.SequenceEqual(state.EventIds), $"{key}: expected [{string.Join(",", events)}], applied [{string.Join(",", state.EventIds)}]");
            Assert.Equal(Balances[key], state.Balance);
        }
    }

    /// <summary>The journal holds each posting exactly once and each source offset at most once.</summary>
    public async Task AssertJournalExactAsync(IJournalStore journal)
    {
        var rows = await Ledger.ReadAppliedAsync(journal);
        var offsets = rows.GroupBy(r => (r.Applied.Partition, r.Applied.Offset)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(offsets.Count == 0, $"offsets applied twice: {string.Join(", ", offsets.Take(10))}");
        foreach (var (key, events) in Expected)
        {
            var applied = rows.Where(r => r.Row.PersistenceId == Ledger.PersistenceId(key)).OrderBy(r => r.Row.SequenceNr).Select(r => r.Applied.EventId).ToList();
            Assert.True(events.SequenceEqual(applied), $"{key}: expected [{string.Join(",", events)}], journaled [{string.Join(",", applied)}]");
        }

        Assert.Equal(Count, rows.Count);
    }
}
