using Akka.Pattern;
using Coordinator.TestKit;
using Xunit.Abstractions;

namespace Coordinator.Connectors.Tests;

/// <summary>
/// The connector supervisor under Akka's backoff supervisor, its journal failing a write. This
/// suite runs with <c>serialize-messages = off</c>: the journal's reply to a failed write
/// (Akka.Persistence's own <c>WriteMessageFailure</c>, inside its internal <c>Desequenced</c>)
/// carries the exception, which Akka's Newtonsoft fallback cannot rebuild, so verification would
/// drop the reply the test is about. The connectors' own messages are checked by <see cref="SupervisorTests"/>.
/// </summary>
public sealed class SupervisorRestartTests(ITestOutputHelper output) : ConnectorTestKit(output, verifySerialization: false)
{
    [Fact]
    public async Task ConnectorSupervisor_JournalWriteFails_ComesBackUnderItsBackoffSupervisor_RecoversAndServesQueuedAndNewActionsOnce()
    {
        var policy = Policy();
        policy.RestartBackoff = TimeSpan.FromMilliseconds(50);
        var connectors = ConnectorsExtension.Start(Sys, new Dictionary<string, IConnector> { ["payments"] = Payments(policy) });
        var payments = connectors.Supervisor("payments")!;
        Assert.Equal("connector-payments", payments.Path.Name);
        Assert.True((await AskAsync<ActionSucceeded>(payments, new Execute(Charge("before", 1)))).Verified);

        // The charge of 'queued' takes effect, but its outcome cannot be journaled: the persistent
        // actor stops (its state is unknown) with the action pending in its outbox.
        Journal.FailNextWriteOf("V1.ConnectorActionCompleted");
        payments.Tell(new Execute(Charge("queued", 2)), CreateTestProbe().Ref); // this caller's answer is lost with the incarnation
        await Eventually.TrueAsync(() => Journal.Failed == 1, "the completion's write to fail", Patience);

        // It comes back at the same address, recovers, runs the pending action again under its key,
        // and a caller asking again (as a step entity does) is answered.
        ActionSucceeded? queued = null;
        await Eventually.TrueAsync(async () => (queued = await TryAskAsync<ActionSucceeded>(payments, new Execute(Charge("queued", 2)))) is not null, "the supervisor to come back and answer the queued action", Patience);
        Assert.True(queued!.Verified);
        Assert.Same(payments, connectors.Supervisor("payments"));
        Assert.True((await AskAsync<BackoffSupervisor.RestartCount>(payments, BackoffSupervisor.GetRestartCount.Instance)).Count >= 1);

        // New actions are served, and each action took effect once.
        Assert.True((await AskAsync<ActionSucceeded>(payments, new Execute(Charge("after", 3)))).Verified);
        Assert.Equal(["before/charge", "queued/charge", "after/charge"], Api.Effects);
        var before = await AskAsync<ActionSucceeded>(payments, new Execute(Charge("before", 1))); // recovered outbox: no call
        Assert.Equal(1, Api.CallsFor("before/charge"));
        Assert.Equal(1, Api.CallsFor("after/charge"));
        Assert.True(before.Verified);
    }
}
