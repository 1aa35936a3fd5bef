using System.Text.Json.Nodes;

namespace Coordinator.Contracts;

/// <summary>
/// One action on an external system, as a workflow step asks for it.
/// </summary>
/// <param name="Connector">The registered connector's name, e.g. <c>payments</c>.</param>
/// <param name="Operation">The connector's operation, e.g. <c>charge</c>.</param>
/// <param name="IdempotencyKey">
/// Stable across retries and crash replays: derived from the entity and the step, never from the
/// attempt (see <see cref="ConnectorRequest.KeyFor"/>). Sent as the <c>Idempotency-Key</c> header
/// and the key of the outbox, so the action takes effect once.
/// </param>
/// <param name="CorrelationId">Ties the call to the case or workflow that caused it (sent as <c>X-Correlation-Id</c>).</param>
/// <param name="Input">The operation's input values, which its templates refer to as <c>{input.name}</c>.</param>
/// <param name="Timeout">Per-attempt timeout; null for the connector's default.</param>
/// <param name="ReplyTo">
/// The sharded entity that asked, as <c>{route}/{entity id}</c>: its outcome is delivered there,
/// through the route's region (starting the entity if it sleeps), until it is acknowledged, even
/// across restarts of either side. Null for a caller that just waits for the reply.
/// </param>
public sealed record ConnectorRequest(string Connector, string Operation, string IdempotencyKey, string CorrelationId, JsonObject Input, TimeSpan? Timeout = null, string? ReplyTo = null)
{
    /// <summary>
    /// The idempotency key of <paramref name="step"/> of <paramref name="entityId"/>: the same for every attempt and every replay.
    /// The entity id is escaped (<see cref="Contracts.IdempotencyKey.Escape"/>), so its first unescaped <c>/</c> ends it and two entities never share a key.
    /// </summary>
    public static string KeyFor(string entityId, string step) => $"{Contracts.IdempotencyKey.Escape(entityId)}/{step}";
}

/// <summary>What an action returned.</summary>
/// <param name="Status">The external system's status code (HTTP status for HTTP connectors).</param>
/// <param name="Output">Values mapped from the response by the operation's response mapping.</param>
/// <param name="Attempts">Calls made for it (1 when it succeeded at once; 0 when answered from the outbox).</param>
public sealed record ConnectorResponse(int Status, JsonObject Output, int Attempts);

/// <summary>
/// A classified connector failure: its lane, what happened, and what would fix it. Thrown by
/// connectors; the lane decides what supervision does next.
/// </summary>
public sealed class ConnectorException : ClassifiedException
{
    private readonly FailureClass _class;

    /// <summary>Creates the failure.</summary>
    public ConnectorException(FailureClass failureClass, string connector, string operation, string outcome, string message, string fix, int? status = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base($"{connector}.{operation}: {message}", innerException)
    {
        _class = failureClass;
        Connector = connector;
        Operation = operation;
        Outcome = outcome;
        Fix = fix;
        Status = status;
        RetryAfter = retryAfter;
    }

    /// <inheritdoc />
    public override FailureClass FailureClass => _class;

    /// <summary>The connector.</summary>
    public string Connector { get; }

    /// <summary>The operation.</summary>
    public string Operation { get; }

    /// <summary>The outcome as the failure table names it: <c>timeout</c>, <c>refused</c>, <c>http-503</c>, <c>contract</c>, <c>verify-mismatch</c>, <c>circuit-open</c>…</summary>
    public string Outcome { get; }

    /// <summary>What would make it succeed, for the operator.</summary>
    public string Fix { get; }

    /// <summary>The status code, when there was a response.</summary>
    public int? Status { get; }

    /// <summary>How long the system asked us to wait (HTTP <c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; }
}
