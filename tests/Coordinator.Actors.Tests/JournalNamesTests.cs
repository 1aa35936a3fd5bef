using System.Text;
using System.Text.Json.Nodes;
using Coordinator.Actors.Cases;
using Coordinator.Actors.Steps;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Actors.Tests;

/// <summary>
/// The names the step entities' and cases' events and messages are journaled and sent under.
/// They are stored in every journal row and crossed between nodes of different versions, so they
/// must not follow the CLR types when those move between assemblies or namespaces: these tests
/// pin them, and read stored JSON back under them.
/// </summary>
public sealed class JournalNamesTests
{
    private static readonly EventTypeRegistry Registry = new EventTypeRegistry().AddStepMessages().AddCases();

    [Theory]
    [InlineData(typeof(StepSucceeded), "V1.StepSucceeded")]
    [InlineData(typeof(StepParked), "V1.StepParked")]
    [InlineData(typeof(StepResolved), "V1.StepResolved")]
    [InlineData(typeof(GetSteps), "V1.GetSteps")]
    [InlineData(typeof(StepsView), "V1.StepsView")]
    [InlineData(typeof(RetryStep), "V1.RetryStep")]
    [InlineData(typeof(SkipStep), "V1.SkipStep")]
    [InlineData(typeof(CancelStep), "V1.CancelStep")]
    [InlineData(typeof(ResolveStepManually), "V1.ResolveStepManually")]
    [InlineData(typeof(StepCommandAccepted), "V1.StepCommandAccepted")]
    [InlineData(typeof(StepCommandRejected), "V1.StepCommandRejected")]
    [InlineData(typeof(StepNeedsAttention), "V1.StepNeedsAttention")]
    [InlineData(typeof(StepReleased), "V1.StepReleased")]
    [InlineData(typeof(GetCase), "V1.GetCase")]
    [InlineData(typeof(CaseSummary), "V1.CaseSummary")]
    public void A_type_keeps_its_stable_name(Type type, string name) => Assert.Equal(name, Registry.NameOf(type));

    [Fact]
    public void A_stored_step_success_reads_back_under_its_name()
    {
        // As a journal row written before the step entities moved into Coordinator.Actors holds it.
        const string stored = """{"Step":"charge","IdempotencyKey":"order-7/e-1/charge","Status":201,"Output":{"chargeId":"ch_1"},"Verified":true,"Attempts":2,"At":"2026-11-30T10:00:00+00:00"}""";

        var read = Assert.IsType<StepSucceeded>(Registry.Deserialize("V1.StepSucceeded", Encoding.UTF8.GetBytes(stored)));

        Assert.Equal("order-7/e-1/charge", read.IdempotencyKey);
        Assert.Equal(201, read.Status);
        Assert.True(read.Verified);
        Assert.Equal(2, read.Attempts);
        Assert.Equal("ch_1", read.Output["chargeId"]!.GetValue<string>());
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero), read.At);
    }

    [Fact]
    public void A_parked_step_round_trips_with_its_failure()
    {
        var parked = new StepParked("charge", "order-7/e-1/charge", "payments", "charge", new JsonObject { ["amount"] = 12 }, new StepFailure(FailureClass.Data, "card_declined", "declined", "ask for another card", 422), DateTimeOffset.UnixEpoch);

        var serialized = Registry.Serialize(parked);
        var read = Assert.IsType<StepParked>(Registry.Deserialize(serialized.TypeName, serialized.Payload));

        Assert.Equal("V1.StepParked", serialized.TypeName);
        Assert.Equal(parked.Failure, read.Failure);
        Assert.Equal(12, read.Input["amount"]!.GetValue<int>());
    }
}
