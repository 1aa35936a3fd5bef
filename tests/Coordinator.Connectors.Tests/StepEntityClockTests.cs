using System.Text.Json;
using System.Text.Json.Nodes;
using Coordinator.Connectors.Steps;
using Coordinator.Contracts;
using Coordinator.Kafka.Ingress;

namespace Coordinator.Connectors.Tests;

/// <summary>
/// A step entity's fold takes time from its events, never from the clock: recovered under a clock
/// set days later, it shows the times it had, so replay gives the same state.
/// </summary>
public sealed class StepEntityClockTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Original = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly EventTypeRegistry Registry = new EventTypeRegistry().AddIngress().AddConnectors().AddSteps();
    private readonly MemoryJournalStore _journal = new();
    private readonly ManualTimeProvider _time = new(Original.AddDays(2)); // recovery happens two days later
    private ActorSystem _system = null!;

    public async Task InitializeAsync()
    {
        _system = ActorSystem.Create("steps-clock", new ActorSystemSettings { TimeProvider = _time });
        await PersistenceExtension.StartAsync(_system, new PersistenceSettings { Journal = _journal, SnapshotStore = new MemorySnapshotStore(), Registry = Registry });
        IngressExtension.Register(_system, Orders.Contracts());
        ConnectorsExtension.Start(_system, new Dictionary<string, IConnector> { ["payments"] = new SilentConnector() });
    }

    public async Task DisposeAsync() => await _system.Terminate();

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
