using Akka.Actor;
using Coordinator.Persistence.Hosting;
using Xunit.Abstractions;

namespace Coordinator.Persistence.Akka.Tests;

/// <summary>A test kit whose actor system runs on one plugin binding, made fresh for each test.</summary>
public abstract class PluginTestKit<TBinding> : global::Akka.TestKit.Xunit2.TestKit
    where TBinding : PluginBinding, new()
{
    protected PluginTestKit(ITestOutputHelper output, string? extraHocon = null)
        : this(new TBinding(), output, extraHocon)
    {
    }

    private PluginTestKit(TBinding binding, ITestOutputHelper output, string? extraHocon)
        : base(binding.Setup(extraHocon), null, output)
    {
        Binding = binding;
        Sys.StartScheduler();
    }

    protected TBinding Binding { get; }

    protected async Task StopAsync(IActorRef actor)
    {
        var probe = CreateTestProbe();
        probe.Watch(actor);
        actor.Tell(PoisonPill.Instance);
        await probe.ExpectTerminatedAsync(actor);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        Binding.Dispose();
    }
}
