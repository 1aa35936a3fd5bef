using Coordinator.Contracts;

namespace Coordinator.Connectors.Tests;

/// <summary>Idempotency keys are injective in their parts and stay readable when no part needs escaping.</summary>
public sealed class IdempotencyKeyTests
{
    [Fact]
    public void Compose_PartsThatShareASlashJoin_GiveDistinctKeys()
    {
        Assert.NotEqual(IdempotencyKey.Compose("a/b", "c", "charge"), IdempotencyKey.Compose("a", "b/c", "charge"));
        Assert.NotEqual(IdempotencyKey.Compose("a#2", "c", "charge"), IdempotencyKey.Compose("a", "c", "charge", 2));
        Assert.NotEqual(IdempotencyKey.Compose("a%2Fb", "c", "charge"), IdempotencyKey.Compose("a/b", "c", "charge"));
        Assert.NotEqual(ConnectorRequest.KeyFor("a/b", "c"), ConnectorRequest.KeyFor("a", "b/c"));
    }

    [Fact]
    public void Compose_PlainParts_ReadAsBefore()
    {
        Assert.Equal("o-1/placed-1/charge", IdempotencyKey.Compose("o-1", "placed-1", "charge"));
        Assert.Equal("o-1/placed-1/charge#2", IdempotencyKey.Compose("o-1", "placed-1", "charge", 2));
        Assert.Equal(ConnectorRequest.KeyFor("o-1", "placed-1/charge"), IdempotencyKey.Compose("o-1", "placed-1", "charge"));
    }

    [Theory]
    [InlineData("a/b", "c", "charge", 1)]
    [InlineData("a", "b/c", "charge", 3)]
    [InlineData("100%#/", "%2F#", "x.y", 2)]
    [InlineData("", "", "s", 1)]
    public void TryParse_AComposedKey_GivesBackItsParts(string entity, string eventId, string step, int revision)
    {
        Assert.True(IdempotencyKey.TryParse(IdempotencyKey.Compose(entity, eventId, step, revision), out var parts));
        Assert.Equal((entity, eventId, step, revision), parts);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a/b/c/d")]
    [InlineData("a/b/c#1")]
    [InlineData("a/b/c#x")]
    [InlineData("a%2/b/c")]
    public void TryParse_NotAComposedKey_IsFalse(string key) => Assert.False(IdempotencyKey.TryParse(key, out _));
}
