namespace Coordinator.Contracts;

/// <summary>
/// The three lanes every failure is sorted into. The lane decides what the system does next,
/// so a failure's class is part of its type, never guessed from its message.
/// </summary>
public enum FailureClass
{
    /// <summary>Likely to succeed if tried again: timeouts, 5xx, 429, refused connections. Retried with backoff.</summary>
    Transient = 1,

    /// <summary>Will fail the same way until a human fixes the input: validation errors, contract violations. The entity is parked for review.</summary>
    Data = 2,

    /// <summary>A dependency is down: circuit open, persistent connection or auth failure. The connector is circuit-broken and its actions are queued.</summary>
    Infrastructure = 3,
}
