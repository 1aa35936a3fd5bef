using System.Text;
using Confluent.Kafka;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.IngressNode;
using Coordinator.Kafka.Tests.Ingress;

namespace Coordinator.Kafka.Tests.Sharding;

/// <summary>
/// A dead-letter store that is down does not stop consumption: poison records wait (holding
/// their partitions' commits), good records go on, the node stays in its consumer group, its
/// readiness says the store is failing, and once the store answers everything is recorded.
/// A letter the store refuses for its data (not an outage) does not hold its partition for
/// ever: it is written reduced, or, refused even so, logged with its position and raw bytes and
/// counted, and the partition moves on.
/// </summary>
public sealed class DeadLetterOutageTests
{
    private const string Topic = "ledger";

    [Fact]
    public async Task DeadLetterStoreDownForThirtySeconds_UnderLoad_GoodRecordsFlow_TheNodeStaysInTheGroup_ThenEverythingIsRecorded()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 2);
        await using var stores = Stores.Create("sqlite");
        var deadLetters = new OutageDeadLetterStore(stores.DeadLetters);
        var work = new Workload(Topic, keys: 50);
        using (var producer = Ledger.Producer(kafka))
        {
            for (var batch = 0; batch < 10; batch++)
            {
                work.Publish(producer, batch * 200, 200);
                producer.Produce(Topic, new Message<string, byte[]> { Key = $"acct-{batch}", Value = Encoding.UTF8.GetBytes($"{{not json {batch}") });
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        deadLetters.Down = true;
        await using var node = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 2), ClusterStores.Kafka(kafka, "outage", Topic), deadLetters);
        await Eventually.TrueAsync(() => node.Ingress.DeadLettersFailing, "the ingress to report the dead-letter store failing", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => node.Metrics.Applied == 2_000, "every good record applied while the store is down", TimeSpan.FromSeconds(60));

        // Well past the session timeout (6 s): the consume thread kept polling, so the node kept
        // its partitions; nothing was handed off, and no poison record was committed unrecorded.
        await Task.Delay(TimeSpan.FromSeconds(30));
        Assert.Equal(2, node.Ingress.Assignment.Count);
        Assert.Equal(0, node.Metrics.HandOffs);
        Assert.True(node.Ingress.DeadLettersFailing);
        Assert.All(Ledger.Committed(kafka, "outage", Topic, 2), committed => Assert.True(committed < 1_005, $"committed {committed}: past a poison record not yet recorded"));
        Assert.Empty(await stores.DeadLetters.ListAsync());

        deadLetters.Down = false;
        await Ledger.WaitCommittedToEndAsync(kafka, "outage", Topic, 2, TimeSpan.FromSeconds(60));
        Assert.False(node.Ingress.DeadLettersFailing);
        var letters = await stores.DeadLetters.ListAsync();
        Assert.Equal(10, letters.Count);
        Assert.All(letters, l => Assert.Equal(DeadLetterReason.Undecodable, l.Reason));
        await work.AssertExactAsync(node);
        Assert.True(deadLetters.Refused > 0);
    }

    /// <summary>
    /// The dead letters go to a real PostgreSQL database in LATIN1, which cannot hold a Cyrillic
    /// key (SQLSTATE 22P05), and whose table has a CHECK no letter with the bytes DE AD BE EF in
    /// its value passes (SQLSTATE 23514), reduced or not.
    /// </summary>
    [Fact]
    public async Task LettersTheStoreRefusesForTheirData_AreReducedOrLoggedAndCounted_AndThePartitionsKeepFlowing()
    {
        await using var stores = Stores.Create("postgres");
        await using var latin1 = await Latin1Database.CreateAsync();
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 2);
        var deadLetters = new Coordinator.Persistence.Sql.Postgres.PostgresDeadLetterStore(latin1.DataSource);
        await deadLetters.InitializeAsync();
        await latin1.ExecuteAsync("ALTER TABLE coordinator.dead_letters ADD CONSTRAINT no_dead_beef CHECK (position('\\xdeadbeef'::bytea in record_value) = 0)");

        var work = new Workload(Topic, keys: 50);
        DeliveryResult<string, byte[]> untranslatable, unstorable;
        using (var producer = Ledger.Producer(kafka))
        {
            work.Publish(producer, 0, 500);
            untranslatable = await producer.ProduceAsync(Topic, new Message<string, byte[]> { Key = "acct-д", Value = Encoding.UTF8.GetBytes("{not json д") });
            unstorable = await producer.ProduceAsync(Topic, new Message<string, byte[]> { Key = "acct-7", Value = [(byte)'{', 0xDE, 0xAD, 0xBE, 0xEF] });
            work.Publish(producer, 500, 500);
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var log = new LogCapture();
        using var loggers = log.Factory();
        await using var node = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 2), ClusterStores.Kafka(kafka, "refused", Topic), deadLetters, loggerFactory: loggers);

        // Every later record is applied and committed: neither letter holds its partition.
        await AppliedAndCommittedToEndAsync(node, kafka, "refused", 2, 1_000);
        await work.AssertExactAsync(node);
        Assert.Equal(2, node.Metrics.DeadLettered);
        Assert.False(node.Ingress.DeadLettersFailing);

        // The untranslatable letter is stored reduced: key as bytes only, detail naming the refusal.
        var letter = Assert.Single(await deadLetters.ListAsync());
        Assert.Equal((Topic, untranslatable.Partition.Value, untranslatable.Offset.Value, DeadLetterReason.Undecodable), (letter.Topic, letter.Partition, letter.Offset, letter.Reason));
        Assert.Null(letter.Key);
        Assert.Equal(Encoding.UTF8.GetBytes("acct-д"), letter.RawKey);
        Assert.Equal(untranslatable.Message.Value, letter.Value);
        Assert.Contains("SQLSTATE 22P05", letter.Detail, StringComparison.Ordinal);
        Assert.Equal(1, node.Metrics.DeadLettersReduced);

        // The letter refused even reduced is recorded by its error log entry and its count.
        Assert.Equal(1, node.Metrics.DeadLettersUnwritable);
        var entry = Assert.Single(log.WithEvent(3014));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, entry.Level);
        Assert.Contains($"{Topic}/{unstorable.Partition.Value}@{unstorable.Offset.Value}", entry.Message, StringComparison.Ordinal);
        Assert.Contains("SQLSTATE 23514", entry.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToBase64String(unstorable.Message.Value), entry.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes("acct-7")), entry.Message, StringComparison.Ordinal);
    }

    /// <summary>The dead-letter table is gone (renamed away) for a while under load: poison records wait, holding their partitions' commits, then all are recorded in full.</summary>
    [Fact]
    public async Task DeadLetterTableUnavailable_HoldsThePartitions_ThenEverythingIsRecordedInFull()
    {
        await using var stores = Stores.Create("postgres");
        await stores.DeadLetters.InitializeAsync();
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 2);
        var work = new Workload(Topic, keys: 50);
        var poison = new List<DeliveryResult<string, byte[]>>();
        using (var producer = Ledger.Producer(kafka))
        {
            for (var batch = 0; batch < 4; batch++)
            {
                work.Publish(producer, batch * 200, 200);
                poison.Add(await producer.ProduceAsync(Topic, new Message<string, byte[]> { Key = $"acct-{batch}", Value = Encoding.UTF8.GetBytes($"{{not json {batch}") }));
            }

            work.Publish(producer, 800, 200);
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        await Execute($"ALTER TABLE {stores.Schema}.dead_letters RENAME TO dead_letters_away");
        var log = new LogCapture();
        using var loggers = log.Factory();
        await using var node = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 2), ClusterStores.Kafka(kafka, "unavailable", Topic), stores.DeadLetters, loggerFactory: loggers);
        await Eventually.TrueAsync(() => node.Ingress.DeadLettersFailing, "the ingress to report the dead-letter store failing", Patience);
        await Eventually.TrueAsync(() => node.Metrics.Applied == 1_000, "every good record applied while the table is away", Patience);
        var refused = log.WithEvent(3008).Count;
        await Eventually.TrueAsync(() => log.WithEvent(3008).Count >= refused + 5, "five more refused attempts while the table is away", Patience);
        Assert.All(log.WithEvent(3008), e => Assert.Contains("Infrastructure failure", e.Message, StringComparison.Ordinal));

        // Not taken for a data error: nothing reduced or given up, no commit past a waiting letter.
        Assert.True(node.Ingress.DeadLettersFailing);
        Assert.Equal((0, 0), (node.Metrics.DeadLettersReduced, node.Metrics.DeadLettersUnwritable));
        var committed = Ledger.Committed(kafka, "unavailable", Topic, 2);
        for (var partition = 0; partition < 2; partition++)
        {
            var first = poison.Where(p => p.Partition.Value == partition).Select(p => p.Offset.Value).DefaultIfEmpty(long.MaxValue).Min();
            Assert.True(committed[partition] <= first, $"partition {partition} committed {committed[partition]}: past the waiting letter at {first}");
        }

        await Execute($"ALTER TABLE {stores.Schema}.dead_letters_away RENAME TO dead_letters");
        await Ledger.WaitCommittedToEndAsync(kafka, "unavailable", Topic, 2, Patience);
        Assert.False(node.Ingress.DeadLettersFailing);
        var letters = await stores.DeadLetters.ListAsync();
        Assert.Equal(poison.Select(p => (p.Partition.Value, p.Offset.Value)).Order(), letters.Select(l => (l.Partition, l.Offset)).Order());
        Assert.All(letters, l => Assert.NotNull(l.Key));
        Assert.Equal((0, 0), (node.Metrics.DeadLettersReduced, node.Metrics.DeadLettersUnwritable));
        await work.AssertExactAsync(node);
    }

    /// <summary>A letter the dead-letter topic refuses for good (larger than the producer's message.max.bytes) is in the store, logged and counted as unwritable there, and its partition moves on.</summary>
    [Fact]
    public async Task ALetterTheDeadLetterTopicRefuses_IsStoredLoggedAndCounted_AndThePartitionKeepsFlowing()
    {
        await using var stores = Stores.Create("postgres");
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 1);
        kafka.CreateTopic("ledger.dead-letters", partitions: 1);
        var work = new Workload(Topic, keys: 20);
        DeliveryResult<string, byte[]> large;
        using (var producer = Ledger.Producer(kafka))
        {
            work.Publish(producer, 0, 100);
            large = await producer.ProduceAsync(Topic, new Message<string, byte[]> { Key = "acct-1", Value = Encoding.UTF8.GetBytes("{not json " + new string('x', 5_000)) });
            work.Publish(producer, 100, 100);
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var options = ClusterStores.Kafka(kafka, "topic-refuses", Topic);
        options.Client["message.max.bytes"] = "2000"; // the dead-letter producer refuses the large letter: MsgSizeTooLarge, a data error
        var log = new LogCapture();
        using var loggers = log.Factory();
        await using var node = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 1), options, stores.DeadLetters, new IngressSettings { DeadLetterTopic = "ledger.dead-letters" }, loggerFactory: loggers);
        await AppliedAndCommittedToEndAsync(node, kafka, "topic-refuses", 1, 200);
        await work.AssertExactAsync(node);

        var letter = Assert.Single(await stores.DeadLetters.ListAsync());
        Assert.Equal((large.Offset.Value, "acct-1"), (letter.Offset, letter.Key));
        Assert.Equal(large.Message.Value, letter.Value);
        Assert.Equal((0, 1), (node.Metrics.DeadLettersReduced, node.Metrics.DeadLettersUnwritable));
        var entry = Assert.Single(log.WithEvent(3014));
        Assert.Contains($"{Topic}/0@{large.Offset.Value}", entry.Message, StringComparison.Ordinal);
        Assert.Contains("dead-letter topic 'ledger.dead-letters'", entry.Message, StringComparison.Ordinal);
        Assert.False(node.Ingress.DeadLettersFailing);
    }

    private static TimeSpan Patience => TimeSpan.FromSeconds(120);

    /// <summary>Waits until <paramref name="applied"/> records are applied and every partition is committed to its end; a letter still waiting would make a graceful stop wait too, so on failure the ingress is aborted.</summary>
    private static async Task AppliedAndCommittedToEndAsync(ClusterLedgerNode node, EmbeddedKafka kafka, string group, int partitions, long applied)
    {
        try
        {
            await Eventually.TrueAsync(() => node.Metrics.Applied == applied, $"{applied} records applied", Patience);
            await Ledger.WaitCommittedToEndAsync(kafka, group, Topic, partitions, TimeSpan.FromSeconds(60));
        }
        catch
        {
            await node.Ingress.AbortAsync().ContinueWith(static _ => { }, TaskScheduler.Default);
            throw;
        }
    }

    private static async Task Execute(string sql)
    {
        await using var command = Stores.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A PostgreSQL database in LATIN1 of its own, dropped afterwards.</summary>
    private sealed class Latin1Database : IAsyncDisposable
    {
        private readonly string _name;

        private Latin1Database(string name, Npgsql.NpgsqlDataSource dataSource)
        {
            _name = name;
            DataSource = dataSource;
        }

        public Npgsql.NpgsqlDataSource DataSource { get; }

        public static async Task<Latin1Database> CreateAsync()
        {
            var name = $"latin1_{Environment.ProcessId}_{Guid.NewGuid():N}"[..40];
            await Execute($"CREATE DATABASE {name} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
            var connection = new Npgsql.NpgsqlConnectionStringBuilder(TestPostgres.ConnectionString) { Database = name };
            return new Latin1Database(name, Npgsql.NpgsqlDataSource.Create(connection.ConnectionString));
        }

        public async Task ExecuteAsync(string sql)
        {
            await using var command = DataSource.CreateCommand(sql);
            await command.ExecuteNonQueryAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await DataSource.DisposeAsync();
            await Execute($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
        }
    }

    /// <summary>A dead-letter store that refuses writes while <see cref="Down"/>, as an unreachable database would.</summary>
    private sealed class OutageDeadLetterStore(IDeadLetterStore inner) : IDeadLetterStore
    {
        private int _refused;

        public volatile bool Down;

        public int Refused => Volatile.Read(ref _refused);

        public Task InitializeAsync(CancellationToken cancellationToken = default) => inner.InitializeAsync(cancellationToken);

        public Task AddAsync(DeadLetterRecord record, CancellationToken cancellationToken = default)
        {
            if (Down)
            {
                Interlocked.Increment(ref _refused);
                throw new IOException("injected: the dead-letter database is unreachable");
            }

            return inner.AddAsync(record, cancellationToken);
        }

        public Task<IReadOnlyList<DeadLetterRecord>> ListAsync(int max = 1_000, CancellationToken cancellationToken = default) => inner.ListAsync(max, cancellationToken);
    }
}
