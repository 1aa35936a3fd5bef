using Akka.Actor;
using Akka.Persistence;
using Xunit.Abstractions;

namespace Coordinator.Persistence.Akka.Tests;

/// <summary>
/// What every snapshot store must do, modelled on the Akka.Persistence TCK's
/// <c>SnapshotStoreSpec</c> (our own code): none found, latest by sequence number and by time,
/// deleting one and deleting by criteria, and saving over an existing one.
/// </summary>
public abstract class SnapshotStoreContract<TBinding> : PluginTestKit<TBinding>
    where TBinding : PluginBinding, new()
{
    private const string Pid = "s-1";
    private readonly List<SnapshotMetadata> _saved = [];

    protected SnapshotStoreContract(ITestOutputHelper output)
        : base(output)
    {
    }

    private IActorRef Store => global::Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);

    [Fact]
    public async Task Load_NoSnapshot_ReturnsNone()
    {
        var probe = CreateTestProbe();
        Store.Tell(new LoadSnapshot("never-saved", SnapshotSelectionCriteria.Latest, long.MaxValue), probe.Ref);
        var result = await probe.ExpectMsgAsync<LoadSnapshotResult>();
        Assert.Null(result.Snapshot);
        Assert.Equal(long.MaxValue, result.ToSequenceNr);
    }

    [Fact]
    public async Task Load_Latest_IsTheHighestSequenceNr()
    {
        await SaveFiveAsync();
        var result = await LoadAsync(SnapshotSelectionCriteria.Latest);
        Assert.Equal(5, result.Snapshot!.Metadata.SequenceNr);
        Assert.Equal(new CounterSnapshot(5, 5), result.Snapshot.Snapshot);
    }

    [Fact]
    public async Task Load_UpToSequenceNr_IsTheLatestAtOrBelow()
    {
        await SaveFiveAsync();
        var result = await LoadAsync(new SnapshotSelectionCriteria(3));
        Assert.Equal(3, result.Snapshot!.Metadata.SequenceNr);
        Assert.Equal(new CounterSnapshot(3, 3), result.Snapshot.Snapshot);
    }

    [Fact]
    public async Task Load_UpToTimestamp_IsTheLatestTakenBeforeIt()
    {
        await SaveFiveAsync();
        var result = await LoadAsync(new SnapshotSelectionCriteria(long.MaxValue, _saved[2].Timestamp));
        Assert.Equal(3, result.Snapshot!.Metadata.SequenceNr);
    }

    [Fact]
    public async Task Delete_One_LoadsTheOneBefore()
    {
        await SaveFiveAsync();
        var probe = CreateTestProbe();
        var latest = (await LoadAsync(SnapshotSelectionCriteria.Latest)).Snapshot!.Metadata;
        Store.Tell(new DeleteSnapshot(latest), probe.Ref);
        await probe.ExpectMsgAsync<DeleteSnapshotSuccess>();
        Assert.Equal(4, (await LoadAsync(SnapshotSelectionCriteria.Latest)).Snapshot!.Metadata.SequenceNr);
    }

    [Fact]
    public async Task Delete_ByCriteria_RemovesEveryMatch()
    {
        await SaveFiveAsync();
        var probe = CreateTestProbe();
        Store.Tell(new DeleteSnapshots(Pid, new SnapshotSelectionCriteria(3)), probe.Ref);
        await probe.ExpectMsgAsync<DeleteSnapshotsSuccess>();
        Assert.Null((await LoadAsync(new SnapshotSelectionCriteria(3))).Snapshot);
        Assert.Equal(5, (await LoadAsync(SnapshotSelectionCriteria.Latest)).Snapshot!.Metadata.SequenceNr);
    }

    [Fact]
    public async Task Save_AtSameSequenceNr_Replaces()
    {
        await SaveFiveAsync();
        var probe = CreateTestProbe();
        Store.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 5, DateTime.UtcNow), new CounterSnapshot(50, 5)), probe.Ref);
        await probe.ExpectMsgAsync<SaveSnapshotSuccess>();
        Assert.Equal(new CounterSnapshot(50, 5), (await LoadAsync(SnapshotSelectionCriteria.Latest)).Snapshot!.Snapshot);
    }

    private async Task SaveFiveAsync()
    {
        var probe = CreateTestProbe();
        var start = DateTime.UtcNow.AddMinutes(-10);
        for (var i = 1; i <= 5; i++)
        {
            // A second apart, so time criteria have room on every store's precision.
            var metadata = new SnapshotMetadata(Pid, i, start.AddSeconds(i));
            Store.Tell(new SaveSnapshot(metadata, new CounterSnapshot(i, i)), probe.Ref);
            _saved.Add((await probe.ExpectMsgAsync<SaveSnapshotSuccess>()).Metadata);
        }
    }

    private async Task<LoadSnapshotResult> LoadAsync(SnapshotSelectionCriteria criteria)
    {
        var probe = CreateTestProbe();
        Store.Tell(new LoadSnapshot(Pid, criteria, long.MaxValue), probe.Ref);
        return await probe.ExpectMsgAsync<LoadSnapshotResult>();
    }
}

public sealed class OurPostgresSnapshotStore(ITestOutputHelper output) : SnapshotStoreContract<OurPostgresBinding>(output);

public sealed class OurSqliteSnapshotStore(ITestOutputHelper output) : SnapshotStoreContract<OurSqliteBinding>(output);

public sealed class AkkaSqlPostgresSnapshotStore(ITestOutputHelper output) : SnapshotStoreContract<AkkaSqlPostgresBinding>(output);

public sealed class AkkaMemorySnapshotStore(ITestOutputHelper output) : SnapshotStoreContract<AkkaMemoryBinding>(output);
