using System.Diagnostics;
using System.Globalization;
using Coordinator.Contracts;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.IngressNode;
using Coordinator.Workflows.OrderNode;

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
        using (var first = ChildNode.Start(kafka, journal, _api.BaseUrl, "o-crash"))
        {
            await Eventually.TrueAsync(() => _api.Effects.Contains(key) || first.HasExited, "the charge took effect at the server", Patience);
            Assert.False(first.HasExited, $"the node exited: {first.Output}");
            first.Kill();
            Assert.DoesNotContain("V1.StepSucceeded", first.Output, StringComparison.Ordinal);
        }

        // Restarted: nobody asks the order anything; the connector's outbox sends the action again
        // under the same key, the server answers from its idempotency store, and the outcome reaches the order.
        _api.HoldAfterEffect = false;
        using (var second = ChildNode.Start(kafka, journal, _api.BaseUrl, "o-crash"))
        {
            await Eventually.TrueAsync(() => second.Output.Contains("V1.StepSucceeded", StringComparison.Ordinal) || second.HasExited, "the order journaled the charge's success", Patience);
            Assert.False(second.HasExited, $"the node exited: {second.Output}");
        }

        Assert.Equal([key], _api.Effects);
        Assert.Equal(2, _api.CallsFor(key));
    }

    /// <summary>An OrderNode process.</summary>
    private sealed class ChildNode : IDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _output = new();

        private ChildNode(Process process)
        {
            _process = process;
            _ = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    lock (_output)
                    {
                        _output.AppendLine(line);
                    }
                }
            });
            _ = Task.Run(async () =>
            {
                while (await process.StandardError.ReadLineAsync() is { } line)
                {
                    lock (_output)
                    {
                        _output.AppendLine(line);
                    }
                }
            });
        }

        public bool HasExited => _process.HasExited;

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static ChildNode Start(EmbeddedKafka kafka, string journal, string paymentsUrl, string watched)
        {
            var node = Path.Combine(AppContext.BaseDirectory, "Coordinator.Workflows.OrderNode.dll");
            var start = new ProcessStartInfo("dotnet", [node, kafka.BootstrapServers, "crash", 2.ToString(CultureInfo.InvariantCulture), journal, paymentsUrl, watched])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            return new ChildNode(Process.Start(start)!);
        }

        public void Kill()
        {
            _process.Kill(entireProcessTree: true); // SIGKILL
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Kill();
            }

            _process.Dispose();
        }
    }
}
