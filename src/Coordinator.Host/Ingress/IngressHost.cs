using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Cluster;
using Confluent.Kafka;
using Coordinator.Actors.Cases;
using Coordinator.Kafka.Configuration;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.Sharding;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Sql.Postgres;
using Coordinator.Persistence.Sql.Sqlite;
using Coordinator.Workflows.Definitions;
using Coordinator.Workflows.Guards;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Coordinator.Host.Ingress;

/// <summary>
/// Runs the node's Kafka ingress: one case region per topic the workflow definitions trigger on,
/// shards placed where Kafka assigns their partition, and the sharded ingress graph; with the
/// embedded default, an in-process broker holding those topics. Started after the actor system
/// (Akka.Hosting's service comes first) and stopped before it, so a SIGTERM finishes what is in
/// flight, commits and hands the shards off before the node leaves the cluster.
/// </summary>
internal sealed class IngressHost(
    IServiceProvider services,
    IOptions<IngressHostOptions> hostOptions,
    IOptions<JournalOptions> journalOptions,
    IConfiguration configuration,
    TimeProvider time,
    ILoggerFactory loggerFactory,
    ILogger<IngressHost> logger) : IHostedService, IAsyncDisposable
{
    private EmbeddedKafka? _broker;
    private readonly CancellationTokenSource _stopping = new();
    private NpgsqlDataSource? _deadLetterOwner;
    private Task? _supervision;
    private int _restarts;
    private int _disposed;

    /// <summary>The ingress; null when disabled or not started yet.</summary>
    public KafkaShardingIngress? Ingress { get; private set; }

    /// <summary>The consumed topics with their regions.</summary>
    public IReadOnlyList<RecordTopic> Topics { get; private set; } = [];

    /// <summary>Bootstrap servers in use (the embedded broker's, when it runs).</summary>
    public string? BootstrapServers { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = hostOptions.Value;
        if (!options.Enabled)
        {
            return;
        }

        var triggers = LoadTriggers(options.WorkflowsPath);
        var system = services.GetRequiredService<ActorSystem>(); // resolved here: options are validated before the actor system is made
        var kafka = new KafkaOptions();
        configuration.GetSection(KafkaOptions.Section).Bind(kafka);
        foreach (var topic in triggers.Select(t => t.Topic).Distinct(StringComparer.Ordinal).Where(t => !kafka.Topics.Contains(t)))
        {
            kafka.Topics.Add(topic);
        }

        if (string.IsNullOrWhiteSpace(kafka.BootstrapServers) && options.EmbeddedBroker)
        {
            _broker = new EmbeddedKafka(logger: logger);
            foreach (var topic in kafka.Topics)
            {
                _broker.CreateTopic(topic, options.EmbeddedPartitions);
            }

            kafka.BootstrapServers = _broker.BootstrapServers;
            foreach (var (name, value) in EmbeddedKafka.ConsumerSettings)
            {
                kafka.Client.TryAdd(name, value);
            }
        }

        var errors = kafka.Validate();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(KafkaOptions.Section, typeof(KafkaOptions), errors);
        }

        BootstrapServers = kafka.BootstrapServers;
        var settings = configuration.GetSection($"{KafkaOptions.Section}:Ingress").Get<IngressSettings>() ?? new IngressSettings();
        var sharding = configuration.GetSection($"{KafkaOptions.Section}:Sharding").Get<RecordShardingSettings>() ?? new RecordShardingSettings();
        var contracts = new RecordContracts();
        foreach (var (type, version) in triggers.Select(t => (t.EventType, t.EventVersion)).Distinct())
        {
            contracts.Register(type, version, IngressHostJson.Default.JsonElement);
        }

        await WaitUntilUpAsync(system, cancellationToken).ConfigureAwait(false);
        RecordIngress.Register(system, contracts, time);
        var partitions = PartitionCounts(kafka);
        Topics = [.. kafka.Topics.Select(topic => new RecordTopic(topic, $"case-{topic}", RecordSharding.StartRegion(system, $"case-{topic}", id => CaseEntity.Props(topic, id), partitions[topic], sharding)))];
        var deadLetters = DeadLetters(journalOptions.Value);
        await deadLetters.InitializeAsync(cancellationToken).ConfigureAwait(false);
        KafkaShardingIngress Create() => new(system, kafka, settings, Topics, deadLetters, loggerFactory);
        Ingress = Create();
        Ingress.Start();
        _supervision = SuperviseAsync(Create);

        // On SIGTERM, Akka's coordinated shutdown may start before the host stops its services:
        // the ingress stops first (finish in flight, commit, hand the shards off), while the
        // regions still run, before sharding and the cluster shut down.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "stop-kafka-ingress", async () =>
        {
            await StopIngressAsync().ConfigureAwait(false);
            return Akka.Done.Instance;
        });
        logger.IngressStarted(string.Join(", ", Topics.Select(t => $"{t.Topic} ({partitions[t.Topic]} partitions)")), kafka.BootstrapServers, _broker is not null);
    }

    public Task StopAsync(CancellationToken cancellationToken) => StopIngressAsync().WaitAsync(cancellationToken);

    /// <summary>How many times the ingress was started again after it stopped or failed on its own.</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    private async Task StopIngressAsync()
    {
        try
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return; // disposed: stopped already
        }

        if (_supervision is { } supervision)
        {
            await supervision.ConfigureAwait(false);
        }

        if (Ingress is { } ingress)
        {
            await ingress.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Restarts the ingress when it stops or fails without being asked to (a fatal consumer
    /// error, a fault in the graph), with backoff from 1 s to 30 s (reset after a minute of
    /// running): meanwhile readiness reports it down. The new consumer joins the group, so the
    /// partitions are read again from their committed watermarks.
    /// </summary>
    private async Task SuperviseAsync(Func<KafkaShardingIngress> create)
    {
        var delay = TimeSpan.FromSeconds(1);
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            var ingress = Ingress!;
            var started = time.GetTimestamp();
            try
            {
                await ingress.Completion.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.IngressFailed(ex);
            }

            if (time.GetElapsedTime(started) > TimeSpan.FromMinutes(1))
            {
                delay = TimeSpan.FromSeconds(1);
            }

            logger.IngressRestarting(delay);
            try
            {
                await Task.Delay(delay, time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await ingress.DisposeAsync().ConfigureAwait(false);
            Ingress = create();
            Ingress.Start();
            Interlocked.Increment(ref _restarts);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The container disposes it twice: as the singleton and as the hosted service it resolves.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (Ingress is { } ingress)
        {
            await ingress.DisposeAsync().ConfigureAwait(false);
        }

        if (_deadLetterOwner is not null)
        {
            await _deadLetterOwner.DisposeAsync().ConfigureAwait(false);
        }

        _broker?.Dispose();
        _stopping.Dispose();
    }

    private static List<TriggerDefinition> LoadTriggers(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new OptionsValidationException(IngressHostOptions.Section, typeof(IngressHostOptions), [$"{IngressHostOptions.Section}:WorkflowsPath is '{folder}', which is not a folder (from {Directory.GetCurrentDirectory()}); point it at the workflow definitions, or set {IngressHostOptions.Section}:Enabled to false."]);
        }

        var catalogPath = Path.Combine(folder, WorkflowLoader.CatalogFileName);
        var catalog = File.Exists(catalogPath) ? WorkflowLoader.LoadCatalog(catalogPath, File.ReadAllText(catalogPath), out var catalogErrors) : WorkflowCatalog.Create([], []);
        var files = Directory.EnumerateFiles(folder, "*.yaml").Where(f => !string.Equals(Path.GetFileName(f), WorkflowLoader.CatalogFileName, StringComparison.Ordinal)).Select(f => (f, File.ReadAllText(f)));
        var result = WorkflowLoader.Load(files, catalog, new GuardOptions().ToGuardRails());
        if (!result.IsValid)
        {
            throw new OptionsValidationException(IngressHostOptions.Section, typeof(IngressHostOptions), [.. result.Errors.Select(e => e.ToString())]);
        }

        return [.. result.Definitions.Select(d => d.Trigger)];
    }

    private static async Task WaitUntilUpAsync(ActorSystem system, CancellationToken cancellationToken)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
    }

    private static Dictionary<string, int> PartitionCounts(KafkaOptions kafka)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var topic in kafka.Topics)
        {
            var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(30)).Topics.SingleOrDefault(t => t.Topic == topic);
            if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0)
            {
                throw new InvalidOperationException($"Topic '{topic}' (a workflow trigger's) does not exist on {kafka.BootstrapServers} ({metadata?.Error.Reason ?? "no metadata"}); create it with the number of partitions the case keys are spread over.");
            }

            counts[topic] = metadata.Partitions.Count;
        }

        return counts;
    }

    private IDeadLetterStore DeadLetters(JournalOptions journal)
    {
        switch (journal.Provider)
        {
            case "postgres" or "postgresql" or "akka-sql" when journal.PostgresConnectionString is { Length: > 0 } connection:
                var dataSource = NpgsqlDataSource.Create(connection);
                _deadLetterOwner = dataSource;
                return new PostgresDeadLetterStore(dataSource, new PostgresOptions { Schema = journal.PostgresSchema });
            case "sqlite":
                return new SqliteDeadLetterStore(new SqliteStorage(journal.SqlitePath));
            default:
                return new MemoryDeadLetterStore();
        }
    }
}

[JsonSerializable(typeof(JsonElement))]
internal sealed partial class IngressHostJson : JsonSerializerContext;

/// <summary>
/// Ready while the Kafka ingress runs and can record dead letters; unready when it stopped or
/// failed, or its dead-letter store is failing (consumption waits on it); degraded (still
/// ready) once a dead letter was refused for its data and is recorded only in the error log.
/// </summary>
internal sealed class IngressHealthCheck(IngressHost host, IOptions<IngressHostOptions> options) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        static Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult Result(bool healthy, string description)
            => healthy ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy(description) : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy(description);

        if (!options.Value.Enabled)
        {
            return Task.FromResult(Result(true, "The Kafka ingress is disabled (Coordinator:Ingress:Enabled = false)."));
        }

        return Task.FromResult(host.Ingress switch
        {
            null => Result(false, "The Kafka ingress has not started yet."),
            { Completion.IsFaulted: true } failed => Result(false, $"The Kafka ingress failed: {failed.Completion.Exception!.GetBaseException().Message}"),
            { Completion.IsCompleted: true } => Result(false, "The Kafka ingress has stopped."),
            { DeadLettersFailing: true } => Result(false, "The dead-letter store is failing: poison records wait (and hold their partitions' commits) until it answers again."),
            { DeadLettersUnwritable: > 0 } unwritable => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Degraded($"Consuming {unwritable.Assignment.Count} partition(s), but {unwritable.DeadLettersUnwritable} dead letter(s) were refused for their data even in reduced form and are recorded only in the error log (event 3014: position, reason, raw bytes); replay them from there."),
            var ingress => Result(true, $"Consuming {ingress.Assignment.Count} partition(s); {ingress.InFlight} record(s) in flight."),
        });
    }
}
