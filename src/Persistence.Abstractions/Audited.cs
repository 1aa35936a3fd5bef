namespace Coordinator.Persistence.Abstractions;

/// <summary>
/// Persist an event wrapped in this to record who caused it and which flow it belongs to, in
/// the journal's metadata columns (<c>caused_by</c>, <c>correlation_id</c>, <c>causation_id</c>).
/// Like Akka's <c>Tagged</c>, the journal stores the inner <see cref="Event"/> and unwraps it:
/// recovery and queries see the event alone. The two nest either way round.
/// </summary>
/// <param name="Event">The event itself.</param>
/// <param name="CausedBy"><c>system</c>, or <c>operator:{name}</c> for a human's action.</param>
/// <param name="CorrelationId">The business flow, if known.</param>
/// <param name="CausationId">The message or event that caused it, if known.</param>
public sealed record Audited(object Event, string CausedBy = "system", string? CorrelationId = null, string? CausationId = null);
