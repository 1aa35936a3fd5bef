using System.Text;
using Coordinator.Actors.Events;
using Coordinator.Actors.Sharding;

namespace Coordinator.Actors.Tests.Sharding;

public sealed class ShardRegionTests() : ActorTest(manualTime: true)
{
    private const int Partitions = 8;

    private sealed record Counted(string Id, int Count, int Incarnation);

    private sealed class CounterEntity(string id, IActorRef probe, ManualResetEventSlim? holdStop = null) : UntypedActor
    {
        private static int _incarnations;
        private readonly int _incarnation = Interlocked.Increment(ref _incarnations);
        private int _count;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case int n:
                    _count += n;
                    Sender.Tell(new Counted(id, _count, _incarnation));
                    break;
                case "passivate":
                    Context.Parent.Tell(new Passivate("stop"));
                    break;
                case "stop":
                    holdStop?.Wait(TimeSpan.FromSeconds(10));
                    Context.Stop(Self);
                    break;
            }
        }

        protected override void PostStop() => probe.Tell($"stopped:{id}", null);
    }

    private IActorRef Region(TestProbe probe, ShardingSettings? settings = null)
        => Sys.ActorOf(ShardRegion.Props(id => Props.Create(() => new CounterEntity(id, probe.Ref)), new ShardEnvelopeExtractor(Partitions), settings), "cases");

    private static Task<Counted> Send(IActorRef region, string id, int n) => region.Ask<Counted>(new ShardEnvelope(id, n));

    [Fact]
    public async Task Messages_ReachTheirEntity_WhichStartsOnFirstUseAndKeepsState()
    {
        var probe = CreateProbe();
        var region = Region(probe);
        Assert.Equal(1, (await Send(region, "case-1", 1)).Count);
        Assert.Equal(3, (await Send(region, "case-1", 2)).Count);
        Assert.Equal(5, (await Send(region, "case-2", 5)).Count);
        var first = await Send(region, "case-1", 0);
        var again = await Send(region, "case-1", 0);
        Assert.Equal(first.Incarnation, again.Incarnation);
        Assert.NotNull(Sys.Resolve("/user/cases/case-1"));
    }

    [Fact]
    public async Task RegionState_GroupsEntitiesByTheirKafkaPartition()
    {
        var probe = CreateProbe();
        var region = Region(probe);
        var ids = Enumerable.Range(0, 40).Select(i => $"case-{i}").ToList();
        foreach (var id in ids)
        {
            await Send(region, id, 1);
        }

        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance);
        Assert.Equal(40, state.EntityCount);
        foreach (var shard in state.Shards)
        {
            Assert.All(shard.EntityIds, id => Assert.Equal(Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes(id), Partitions), shard.ShardId));
        }

        Assert.True(state.Shards.Count > 1);
    }

    [Fact]
    public async Task IdleEntities_ArePassivated_AndComeBackTransparently()
    {
        var probe = CreateProbe();
        var region = Region(probe, new ShardingSettings { PassivateIdleAfter = TimeSpan.FromMinutes(2) });
        var before = await Send(region, "idle", 1);
        await Send(region, "busy", 1);

        Clock.Advance(TimeSpan.FromMinutes(1.5));
        await Send(region, "busy", 1); // busy stays fresh
        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("stopped:idle", await probe.ExpectMsgAsync<string>());
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));

        var after = await Send(region, "idle", 1);
        Assert.NotEqual(before.Incarnation, after.Incarnation);
        Assert.Equal(1, after.Count); // a plain actor's state is gone; a persistent entity would recover it
    }

    [Fact]
    public async Task ActiveEntityCap_PassivatesTheLeastRecentlyUsed()
    {
        var probe = CreateProbe();
        var region = Region(probe, new ShardingSettings { MaxActiveEntities = 3, PassivateIdleAfter = null });
        await Send(region, "a", 1);
        await Send(region, "b", 1);
        await Send(region, "c", 1);
        await Send(region, "a", 1); // b is now the least recently used
        await Send(region, "d", 1);

        Assert.Equal("stopped:b", await probe.ExpectMsgAsync<string>());
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance);
        Assert.Equal(["a", "c", "d"], state.Shards.SelectMany(s => s.EntityIds).Order());
        Assert.Equal(1, (await Send(region, "b", 1)).Count); // back on demand, displacing c
        Assert.Equal("stopped:c", await probe.ExpectMsgAsync<string>());
    }

    [Fact]
    public async Task Passivate_MessagesArrivingMeanwhile_AreDeliveredToTheNextIncarnationInOrder()
    {
        using var holdStop = new ManualResetEventSlim();
        var probe = CreateProbe();
        var client = CreateProbe();
        var region = Sys.ActorOf(ShardRegion.Props(id => Props.Create(() => new CounterEntity(id, probe.Ref, holdStop)), new ShardEnvelopeExtractor(Partitions)), "cases");
        var first = await Send(region, "p", 1);
        region.Tell(new ShardEnvelope("p", "passivate"), null);
        await Eventually.TrueAsync(() => region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance).GetAwaiter().GetResult().EntityCount == 0, "the region to start passivating p");

        for (var i = 1; i <= 5; i++)
        {
            client.Send(region, new ShardEnvelope("p", i)); // p is stopping: these wait in the region
        }

        await client.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        holdStop.Set();
        Assert.Equal("stopped:p", await probe.ExpectMsgAsync<string>());
        var replies = (await client.ReceiveNAsync(5)).Cast<Counted>().ToList();
        Assert.Equal([1, 3, 6, 10, 15], replies.Select(r => r.Count));
        Assert.All(replies, r => Assert.NotEqual(first.Incarnation, r.Incarnation));
    }

    [Fact]
    public async Task MessageWithoutAnEntityId_IsADeadLetterWithAReason()
    {
        var dead = new TaskCompletionSource<DeadLetter>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = Sys.EventStream.Subscribe<DeadLetter>(d => dead.TrySetResult(d));
        var region = Region(CreateProbe());
        region.Tell("not an envelope", null);
        var letter = await dead.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("not an envelope", letter.Message);
        Assert.Contains("no entity id", letter.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandOffShard_StopsThatShardsEntitiesOnly()
    {
        var probe = CreateProbe();
        var region = Region(probe, new ShardingSettings { PassivateIdleAfter = null });
        var ids = Enumerable.Range(0, 30).Select(i => $"h-{i}").ToList();
        foreach (var id in ids)
        {
            await Send(region, id, 1);
        }

        var shard = Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes(ids[0]), Partitions);
        var inShard = ids.Where(id => Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes(id), Partitions) == shard).ToList();
        Assert.Equal(new ShardStopped(shard), await region.Ask<ShardStopped>(new HandOffShard(shard)));

        var stopped = await probe.ReceiveNAsync(inShard.Count);
        Assert.Equal(inShard.Select(id => $"stopped:{id}").Order(), stopped.Cast<string>().Order());
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance);
        Assert.DoesNotContain(state.Shards, s => s.ShardId == shard);
        Assert.Equal(30 - inShard.Count, state.EntityCount);
        Assert.Equal(new ShardStopped(99), await region.Ask<ShardStopped>(new HandOffShard(99))); // empty shard: at once
    }

    [Fact]
    public async Task EntityIds_WithAnyCharacters_AreRouted()
    {
        var region = Region(CreateProbe());
        foreach (var id in new[] { "a/b", "with space", "$dollar", "ünï#code" })
        {
            Assert.Equal(id, (await Send(region, id, 1)).Id);
        }
    }

    [Fact]
    public async Task StoppingEntity_BufferIsBounded_OverflowIsADeadLetter()
    {
        var dead = new List<DeadLetter>();
        using var _ = Sys.EventStream.Subscribe<DeadLetter>(d => { lock (dead) { dead.Add(d); } });
        using var release = new ManualResetEventSlim();
        var probe = CreateProbe();
        var region = Sys.ActorOf(ShardRegion.Props(_ => Props.Create(() => new TestActors.Gate(release, probe.Ref)), new ShardEnvelopeExtractor(Partitions), new ShardingSettings { MaxBufferedPerEntity = 2 }), "bounded");
        region.Tell(new ShardEnvelope("g", "block"), null);
        await probe.ExpectMsgAsync("blocked");
        region.Tell(new ShardEnvelope("g", "passivate-me"), null); // reaches the blocked gate's mailbox
        region.Tell(new HandOffShard(Murmur2Partitioner.Partition("g"u8, Partitions)), null); // the region starts stopping it
        await Eventually.TrueAsync(() => region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance).GetAwaiter().GetResult().EntityCount == 0, "the entity to be stopping");
        for (var i = 0; i < 4; i++)
        {
            region.Tell(new ShardEnvelope("g", i), null);
        }

        await Eventually.TrueAsync(() => { lock (dead) { return dead.Count(d => d.Reason?.Contains("MaxBufferedPerEntity", StringComparison.Ordinal) == true) == 2; } }, "two messages beyond the buffer to be dead letters");
        release.Set();
    }

    [Fact]
    public void Settings_Invalid_AreRejectedNamingTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => ShardRegion.Props(_ => Props.Create<TestActors.Echo>(), new ShardEnvelopeExtractor(1), new ShardingSettings { MaxActiveEntities = 0 }));
        Assert.Contains("MaxActiveEntities", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardEnvelopeExtractor(0));
    }
}
