namespace Coordinator.Actors.Core;

/// <summary>A keyed timer fired; delivered only if <see cref="Generation"/> is still current.</summary>
internal sealed class TimerFired(object key, int generation, object message) : AutoReceivedMessage
{
    public object Key { get; } = key;

    public int Generation { get; } = generation;

    public object Message { get; } = message;
}

/// <summary>The receive-timeout timer fired; the cell checks whether the actor really was idle.</summary>
internal sealed class ReceiveTimeoutTick : AutoReceivedMessage, INotInfluenceReceiveTimeout
{
    public static readonly ReceiveTimeoutTick Instance = new();
}
