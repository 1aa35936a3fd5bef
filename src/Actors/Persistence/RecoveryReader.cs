using System.Threading.Channels;

namespace Coordinator.Actors.Persistence;

/// <summary>
/// Reads recoveries for persistent actors, many entities per store query. A cold start of
/// thousands of entities (a node takes over partitions, say) would otherwise cost three round
/// trips each and queue thousands of reads on the connection pool, ahead of the journal
/// writer. Here <see cref="PersistenceSettings.RecoveryReaders"/> readers each take everything
/// waiting, up to <see cref="PersistenceSettings.MaxRecoveriesPerRead"/> entities, and answer
/// them with one snapshot query, one event query and, for entities without events, one
/// highest-sequence query. When idle a lone recovery is read at once, without waiting for company.
/// <para>
/// A failure is confined where it can be: an unreadable snapshot or event fails its own entity
/// only; a store error fails the entities of that read, which their supervisors restart.
/// </para>
/// </summary>
internal sealed class RecoveryReader : IAsyncDisposable
{
    private readonly PersistenceExtension _persistence;
    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly Task[] _readers;

    public RecoveryReader(PersistenceExtension persistence)
    {
        _persistence = persistence;
        _readers = new Task[persistence.Settings.RecoveryReaders];
        for (var i = 0; i < _readers.Length; i++)
        {
            _readers[i] = Task.Run(RunAsync);
        }
    }

    /// <summary>Queues the recovery of <paramref name="persistenceId"/>; its signals go to <paramref name="self"/> tagged with <paramref name="incarnation"/>.</summary>
    public void Recover(string persistenceId, IActorRef self, object incarnation)
    {
        if (!_requests.Writer.TryWrite(new Request(persistenceId, self, incarnation)))
        {
            self.Tell(new RecoveryFailed(incarnation, new InvalidOperationException($"Recovery of {persistenceId} refused: persistence is shutting down.")), null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await Task.WhenAll(_readers).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _requests.Reader;
        var max = _persistence.Settings.MaxRecoveriesPerRead;
        var batch = new Dictionary<string, List<Request>>(StringComparer.Ordinal);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < max && reader.TryRead(out var request))
            {
                // An actor restarted meanwhile, or a second (zombie) instance: same entity, same reads.
                if (!batch.TryGetValue(request.PersistenceId, out var waiting))
                {
                    batch[request.PersistenceId] = waiting = [];
                }

                waiting.Add(request);
            }

            if (batch.Count > 0)
            {
                await ReadAsync(batch).ConfigureAwait(false);
            }
        }
    }

    private async Task ReadAsync(Dictionary<string, List<Request>> batch)
    {
        var persistence = _persistence;
        var alive = new HashSet<string>(batch.Keys, StringComparer.Ordinal);
        var lastRead = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            var ids = batch.Keys.ToList();
            var snapshots = await persistence.SnapshotStore.LoadLatestAsync(ids).ConfigureAwait(false);
            var from = new List<ReplayFrom>(ids.Count);
            foreach (var id in ids)
            {
                var snapshot = snapshots.GetValueOrDefault(id);
                object? state;
                try
                {
                    state = snapshot is null ? null : persistence.Registry.Deserialize(snapshot.State.TypeName, snapshot.State.Payload);
                }
                catch (Exception ex)
                {
                    Fail(batch[id], ex);
                    alive.Remove(id);
                    continue;
                }

                foreach (var request in batch[id])
                {
                    request.Self.Tell(new RecoveryStarted(request.Incarnation, snapshot, state), null);
                }

                from.Add(new ReplayFrom(id, (snapshot?.SequenceNr ?? 0) + 1));
            }

            await ReplayAsync(batch, from, alive, lastRead).ConfigureAwait(false);

            // Deletion only ever removes a prefix, so when an event was read the last one read is
            // the highest; only entities with nothing left to replay need the extra query.
            var unread = alive.Where(id => !lastRead.ContainsKey(id)).ToList();
            var highest = unread.Count == 0 ? lastRead : await persistence.Journal.ReadHighestSequenceNrsAsync(unread).ConfigureAwait(false);
            foreach (var id in alive)
            {
                var nr = lastRead.TryGetValue(id, out var read) ? read : highest.GetValueOrDefault(id);
                foreach (var request in batch[id])
                {
                    request.Self.Tell(new RecoveryFinished(request.Incarnation, nr), null);
                }
            }
        }
        catch (Exception ex)
        {
            foreach (var id in alive)
            {
                Fail(batch[id], ex);
            }
        }
    }

    private async Task ReplayAsync(Dictionary<string, List<Request>> batch, List<ReplayFrom> from, HashSet<string> alive, Dictionary<string, long> lastRead)
    {
        if (from.Count == 0)
        {
            return;
        }

        var persistence = _persistence;
        var size = persistence.Settings.RecoveryBatchSize;
        string? current = null;
        var events = new List<(long, object)>(size);
        void Flush()
        {
            if (current is not null && events.Count > 0)
            {
                foreach (var request in batch[current])
                {
                    request.Self.Tell(new RecoveryReplayed(request.Incarnation, events), null);
                }

                events = new List<(long, object)>(size);
            }
        }

        await foreach (var stored in persistence.Journal.ReadEventsAsync(from).ConfigureAwait(false))
        {
            var id = stored.PersistenceId;
            if (!string.Equals(id, current, StringComparison.Ordinal))
            {
                Flush();
                current = id;
                events.Clear();
            }

            if (!alive.Contains(id))
            {
                continue; // failed earlier in this read
            }

            try
            {
                events.Add((stored.SequenceNr, persistence.Registry.Deserialize(stored.Event.TypeName, stored.Event.Payload)));
            }
            catch (Exception ex)
            {
                Fail(batch[id], ex);
                alive.Remove(id);
                lastRead.Remove(id);
                events.Clear();
                continue;
            }

            lastRead[id] = stored.SequenceNr;
            if (events.Count == size)
            {
                Flush();
            }
        }

        Flush();
    }

    private static void Fail(List<Request> requests, Exception cause)
    {
        foreach (var request in requests)
        {
            request.Self.Tell(new RecoveryFailed(request.Incarnation, cause), null);
        }
    }

    private sealed record Request(string PersistenceId, IActorRef Self, object Incarnation);
}
