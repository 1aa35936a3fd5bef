using FsCheck;
using FsCheck.Xunit;

namespace Coordinator.Workflows.Tests.Engine;

public sealed class IdempotencyKeyTests
{
    [Fact]
    public void Key_SlashInInstanceOrStep_StaysDistinct()
    {
        Assert.Equal("a%2Fb/c", IdempotencyKey.For("a/b", "c"));
        Assert.Equal("a/b%2Fc", IdempotencyKey.For("a", "b/c"));
        Assert.NotEqual(IdempotencyKey.For("a%2F", "b"), IdempotencyKey.For("a/", "b"));
    }

    [Property(MaxTest = 500)]
    public bool Key_IsInjective(NonNull<string> instance, NonNull<string> step)
        => IdempotencyKey.Parse(IdempotencyKey.For(instance.Get, step.Get)) == (instance.Get, step.Get);

    [Property(MaxTest = 500)]
    public bool Key_DifferentPairs_GiveDifferentKeys(NonNull<string> a, NonNull<string> b, NonNull<string> c, NonNull<string> d)
        => (a.Get, b.Get) == (c.Get, d.Get) || IdempotencyKey.For(a.Get, b.Get) != IdempotencyKey.For(c.Get, d.Get);
}
