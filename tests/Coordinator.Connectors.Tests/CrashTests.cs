using System.Globalization;
using Coordinator.Contracts;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.IngressNode;
using Coordinator.TestKit;

namespace Coordinator.Connectors.Tests;

/// <summary>A host that dies for real: an order node in its own process, killed with SIGKILL while its charge is in flight.</summary>
public sealed class CrashTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly string _directory = Directory.CreateTempSubdirectory("coordinator-crash-").FullName;
    private PaymentsApi _api = null!;

    public async Task InitializeAsync() => _api = await PaymentsApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task SigkillOfTheHostMidCall_ThenRestart_TheActionTakesEffectOnceAtTheServer()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Orders.Topic, partitions: 2);
        using (var producer = Ledger.Producer(kafka))
        {
            Orders.Place(producer, "o-crash", "placed-crash", 777, "cus_1");
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var key = ConnectorRequest.KeyFor("o-crash", "placed-crash/charge");
        var journal = Path.Combine(_directory, "journal.db");

        // The server takes the charge, then never answers; the host is killed while it waits.
        _api.HoldAfterEffect = true;
        using (var first = StartNode(kafka, journal, _api.BaseUrl, "o-crash"))
        {
            await Eventually.TrueAsync(() => _api.Effects.Contains(key) || first.HasExited, "the charge took effect at the server", Patience);
            Assert.False(first.HasExited, $"the node exited: {first.Output}");
            first.Kill();
            Assert.DoesNotContain("V1.StepSucceeded", first.Output, StringComparison.Ordinal);
        }

        // Restarted: nobody asks the order anything; the connector's outbox sends the action again
        // under the same key, the server answers from its idempotency store, and the outcome reaches the order.
        _api.HoldAfterEffect = false;
        using (var second = StartNode(kafka, journal, _api.BaseUrl, "o-crash"))
        {
            await Eventually.TrueAsync(() => second.Output.Contains("V1.StepSucceeded", StringComparison.Ordinal) || second.HasExited, "the order journaled the charge's success", Patience);
            Assert.False(second.HasExited, $"the node exited: {second.Output}");
        }

        Assert.Equal([key], _api.Effects);
        Assert.Equal(2, _api.CallsFor(key));
    }

    private static ChildProcess StartNode(EmbeddedKafka kafka, string journal, string paymentsUrl, string watched)
        => ChildProcess.Start("Coordinator.Workflows.OrderNode.dll", [kafka.BootstrapServers, "crash", 2.ToString(CultureInfo.InvariantCulture), journal, paymentsUrl, watched]);
}
