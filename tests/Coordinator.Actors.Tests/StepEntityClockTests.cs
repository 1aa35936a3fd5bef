using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Coordinator.Actors.Steps;
using Coordinator.Connectors;
using Coordinator.Contracts;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.Sharding;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Hosting;
using Coordinator.Persistence.Serialization;
using Coordinator.Persistence.Sql.Sqlite;
using ActorSystem = Akka.Actor.ActorSystem;
using Props = Akka.Actor.Props;

namespace Coordinator.Actors.Tests;

/// <summary>
/// A step entity's fold takes time from its events, never from the clock: recovered under a clock
/// set days later, it shows the times it had, so replay gives the same state.
/// </summary>
public sealed class StepEntityClockTests : IAsyncLifetime, IDisposable
{
    private static readonly DateTimeOffset Original = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly EventTypeRegistry Registry = Coordinator.Workflows.OrderNode.OrderNode.Registry();
    private readonly string _directory = Directory.CreateTempSubdirectory("coordinator-steps-clock-").FullName;
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time = new(Original.AddDays(2)); // recovery happens two days later
    private SqliteJournalStore _journal = null!;
    private ActorSystem _system = null!;

    public async Task InitializeAsync()
    {
        var path = Path.Combine(_directory, "journal.db");
        _journal = new SqliteJournalStore(new SqliteStorage(path));
        await _journal.InitializeAsync();
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.actor.serialize-messages = on
            akka.actor.serialization-settings.json.converters = ["Coordinator.Kafka.IngressNode.JsonNodeNewtonsoftConverter, Coordinator.Kafka.IngressNode"]
            """)
            .WithFallback(PersistenceConfig.Coordinator(new JournalLocation(JournalDatabase.Sqlite, path)));
        _system = ActorSystem.Create("steps-clock", BootstrapSetup.Create().WithConfig(config).And(CoordinatorSerialization.Setup(Registry))).StartScheduler();
        RecordIngress.Register(_system, Orders.Contracts(), _time);
        ConnectorsExtension.Start(_system, new Dictionary<string, IConnector> { ["payments"] = new SilentConnector() }, time: _time);
    }

    public async Task DisposeAsync() => await _system.Terminate();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Journals what an order's earlier incarnation wrote, at <see cref="Original"/>.</summary>
    private Task JournalAsync(params object[] events)
        => _journal.WriteAsync([.. events.Select((e, i) => new EventToWrite("order-o-1", i + 1, Registry.Serialize(e), [], new EventMetadata(Original, "node-a", null, null, Actor.System)))]);

    private static IngressApplied Placed()
        => new("orders", 0, 7, "placed-1", "order.placed", 1, JsonSerializer.SerializeToElement(new JsonObject { ["amount"] = 100, ["customer"] = "cus_1" }), Original);

    private async Task<StepView> RecoverAsync()
    {
        var order = _system.ActorOf(Props.Create(() => new OrderCase("o-1", 10_000)), "o-1");
        return (await order.Ask<StepsView>(GetSteps.Instance, TimeSpan.FromSeconds(30))).Active!;
    }

    [Fact]
    public async Task StepEntity_RecoveredUnderALaterClock_ParkedSinceIsTheOriginalTime()
    {
        var parkedAt = Original.AddMinutes(5);
        await JournalAsync(Placed(), new StepParked("charge", IdempotencyKey.Compose("o-1", "placed-1", "charge"), "payments", "charge", new JsonObject { ["amount"] = 100 }, new StepFailure(FailureClass.Data, "http-422", "customer is blocked", "correct the step's input", 422), parkedAt));

        var active = await RecoverAsync();

        Assert.Equal(StepStatus.NeedsAttention, active.Status);
        Assert.Equal(parkedAt, active.Since);
    }

    [Fact]
    public async Task StepEntity_RecoveredUnderALaterClock_RunningStepSinceIsWhenItStarted_NotTheRecoveryTime()
    {
        await JournalAsync(Placed());

        var active = await RecoverAsync();

        Assert.Equal(StepStatus.Running, active.Status);
        Assert.Equal(Original, active.Since);
    }

    /// <summary>A payments connector whose calls never answer: a recovered step stays running.</summary>
    private sealed class SilentConnector : IConnector
    {
        public string Name => "payments";

        public ConnectorPolicy Policy { get; } = new();

        public async Task<ConnectorResponse> CallAsync(ConnectorRequest request, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            throw new OperationCanceledException(cancellationToken);
        }

        public Task<bool> VerifyAsync(ConnectorRequest request, ConnectorResponse response, CancellationToken cancellationToken) => Task.FromResult(false);

        public void Dispose()
        {
        }
    }
}
