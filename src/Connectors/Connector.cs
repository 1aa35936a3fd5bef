using Coordinator.Contracts;

namespace Coordinator.Connectors;

/// <summary>
/// An external system's operations. A connector makes one attempt per call and classifies what
/// went wrong as a <see cref="ConnectorException"/>; retries, the circuit, the bulkhead, the
/// rate limit and the outbox are its <see cref="ConnectorSupervisor"/>'s business.
/// </summary>
public interface IConnector : IDisposable
{
    /// <summary>The name it is registered under.</summary>
    string Name { get; }

    /// <summary>How its supervisor treats it.</summary>
    ConnectorPolicy Policy { get; }

    /// <summary>One attempt of <paramref name="request"/>.</summary>
    /// <exception cref="ConnectorException">The attempt failed; its lane says what happens next.</exception>
    Task<ConnectorResponse> CallAsync(ConnectorRequest request, CancellationToken cancellationToken);

    /// <summary>Reads the effect of a successful call back. False when the operation has no read-back.</summary>
    /// <exception cref="ConnectorException">The read-back failed, or disagrees (<c>verify-mismatch</c>, a data failure).</exception>
    Task<bool> VerifyAsync(ConnectorRequest request, ConnectorResponse response, CancellationToken cancellationToken);
}

/// <summary>How a connector's supervisor protects it and its callers. Section <c>Coordinator:Connectors:{name}:Policy</c>.</summary>
public sealed class ConnectorPolicy
{
    /// <summary>Bulkhead: most calls in flight at once; more wait in the supervisor's queue. <value>Default: 8.</value></summary>
    public int MaxConcurrentCalls { get; set; } = 8;

    /// <summary>Most actions waiting for the bulkhead in memory; beyond it callers are refused (backpressure). <value>Default: 10,000.</value></summary>
    public int MaxWaiting { get; set; } = 10_000;

    /// <summary>Rate limit: most calls started per second. <value>Default: 50.</value></summary>
    public double RatePerSecond { get; set; } = 50;

    /// <summary>Per-attempt timeout. <value>Default: 10 s.</value></summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Transient failures: most attempts per action. <value>Default: 5.</value></summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Transient failures: first backoff; it doubles per attempt, with full jitter. <value>Default: 200 ms.</value></summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Transient failures: longest backoff when the system names no wait (a <c>Retry-After</c> is bounded by <see cref="MaxRetryAfter"/> instead). <value>Default: 10 s.</value></summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Transient failures: longest wait a system's <c>Retry-After</c> (seconds or an HTTP date) is
    /// honoured for; a longer one is cut to this. The action holds its bulkhead slot while it
    /// waits, so without a bound a remote system could hold every slot as long as it liked. The
    /// wait is <c>Retry-After</c> plus up to <see cref="BaseDelay"/> of jitter (so actions told the
    /// same time do not return at once), at most this. <value>Default: 30 s.</value>
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The lane an action takes when its transient retries are used up. <value>Default: Infrastructure (the system keeps failing: queue and wait for it).</value></summary>
    public FailureClass WhenRetriesExhausted { get; set; } = FailureClass.Infrastructure;

    /// <summary>Circuit: consecutive failed attempts (transient or infrastructure) that open it. <value>Default: 5.</value></summary>
    public int CircuitFailureThreshold { get; set; } = 5;

    /// <summary>Circuit: how long it stays open before one queued action is tried as a probe. <value>Default: 15 s.</value></summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>After recovery, queued actions drain in order at this many per second. <value>Default: 10.</value></summary>
    public double DrainPerSecond { get; set; } = 10;

    /// <summary>An outcome not yet acknowledged by the entity it belongs to (<see cref="ConnectorRequest.ReplyTo"/>) is delivered again after this long. <value>Default: 30 s.</value></summary>
    public TimeSpan RedeliverAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The supervisor saves a snapshot (queue, outbox window, circuit) every this many journal events, so a restart replays only what followed; 0 never. <value>Default: 10,000.</value></summary>
    public int SnapshotEvery { get; set; } = 10_000;

    /// <summary>
    /// How many <i>acknowledged</i> outcomes the outbox keeps to answer a repeated key without a call
    /// (outcomes an entity has not acknowledged are always kept: it may still ask for them). An entity
    /// acknowledges only after journaling the outcome, so it does not ask again; the window catches
    /// other repeats (about 10 s of them at 1,000 steps/s with the default). Beyond it, a repeated key
    /// is called again under the same <c>Idempotency-Key</c>, once in effect only if the remote system
    /// honours it. Each kept outcome costs memory and snapshot size. <value>Default: 10,000.</value>
    /// </summary>
    public int OutboxWindow { get; set; } = 10_000;

    /// <summary>
    /// The supervisor is a persistent actor: a failed journal write or recovery stops it (its state is
    /// unknown), and its backoff supervisor starts it again after this long, doubling per restart up
    /// to <see cref="MaxRestartBackoff"/> (with up to 20 % jitter), so it recovers from the journal
    /// and serves again without hammering a database that is down. <value>Default: 1 s.</value>
    /// </summary>
    public TimeSpan RestartBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait before the supervisor is started again after it stopped (see <see cref="RestartBackoff"/>). <value>Default: 30 s.</value></summary>
    public TimeSpan MaxRestartBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Every problem with the values of connector <paramref name="name"/>, naming the setting and the fix.</summary>
    public IEnumerable<string> Validate(string name)
    {
        var at = $"Coordinator:Connectors:{name}:Policy";
        if (MaxConcurrentCalls is < 1 or > 1_000)
        {
            yield return $"{at}:MaxConcurrentCalls is {MaxConcurrentCalls}; set between 1 and 1,000 (default 8).";
        }

        if (MaxWaiting is < 1 or > 1_000_000)
        {
            yield return $"{at}:MaxWaiting is {MaxWaiting}; set between 1 and 1,000,000 (default 10,000).";
        }

        if (RatePerSecond is <= 0 or > 100_000 || double.IsNaN(RatePerSecond))
        {
            yield return $"{at}:RatePerSecond is {RatePerSecond}; set above 0 and at most 100,000 (default 50).";
        }

        if (DrainPerSecond is <= 0 or > 100_000 || double.IsNaN(DrainPerSecond))
        {
            yield return $"{at}:DrainPerSecond is {DrainPerSecond}; set above 0 and at most 100,000 (default 10).";
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(10))
        {
            yield return $"{at}:Timeout is {Timeout}; set above 00:00:00 and at most 00:10:00 (default 00:00:10).";
        }

        if (MaxAttempts is < 1 or > 100)
        {
            yield return $"{at}:MaxAttempts is {MaxAttempts}; set between 1 and 100 (default 5).";
        }

        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay)
        {
            yield return $"{at}:BaseDelay ({BaseDelay}) and MaxDelay ({MaxDelay}) must satisfy 0 <= BaseDelay <= MaxDelay.";
        }

        if (MaxRetryAfter < TimeSpan.Zero || MaxRetryAfter > TimeSpan.FromMinutes(10))
        {
            yield return $"{at}:MaxRetryAfter is {MaxRetryAfter}; set between 00:00:00 and 00:10:00 (default 00:00:30).";
        }

        if (WhenRetriesExhausted is not (FailureClass.Data or FailureClass.Infrastructure))
        {
            yield return $"{at}:WhenRetriesExhausted is {WhenRetriesExhausted}; set Data or Infrastructure.";
        }

        if (CircuitFailureThreshold is < 1 or > 10_000)
        {
            yield return $"{at}:CircuitFailureThreshold is {CircuitFailureThreshold}; set between 1 and 10,000 (default 5).";
        }

        if (BreakDuration <= TimeSpan.Zero || BreakDuration > TimeSpan.FromHours(1))
        {
            yield return $"{at}:BreakDuration is {BreakDuration}; set above 00:00:00 and at most 01:00:00 (default 00:00:15).";
        }

        if (SnapshotEvery is < 0 or (> 0 and < 10))
        {
            yield return $"{at}:SnapshotEvery is {SnapshotEvery}; set 0 (never) or 10 or more (default 10,000).";
        }

        if (OutboxWindow is < 1 or > 10_000_000)
        {
            yield return $"{at}:OutboxWindow is {OutboxWindow}; set between 1 and 10,000,000 (default 10,000).";
        }

        if (RestartBackoff < TimeSpan.FromMilliseconds(10) || MaxRestartBackoff < RestartBackoff || MaxRestartBackoff > TimeSpan.FromHours(1))
        {
            yield return $"{at}:RestartBackoff ({RestartBackoff}) and MaxRestartBackoff ({MaxRestartBackoff}) must satisfy 00:00:00.010 <= RestartBackoff <= MaxRestartBackoff <= 01:00:00 (defaults 00:00:01 and 00:00:30).";
        }

        if (RedeliverAfter < TimeSpan.FromMilliseconds(10) || RedeliverAfter > TimeSpan.FromHours(1))
        {
            yield return $"{at}:RedeliverAfter is {RedeliverAfter}; set between 00:00:00.010 and 01:00:00 (default 00:00:30).";
        }
    }
}
