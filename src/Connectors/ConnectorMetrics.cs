using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Coordinator.Contracts;

namespace Coordinator.Connectors;

/// <summary>
/// Connector metrics on the meter <c>Coordinator.Connectors</c>, tagged by connector:
/// failed attempts and failed actions by class, retries, duplicates prevented by the outbox,
/// manual fallbacks (operators resolving a parked step by hand), time to recovery, and the
/// queue depth.
/// </summary>
public sealed class ConnectorMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Coordinator.Connectors";

    private readonly Meter _meter;
    private readonly Counter<long> _attemptsFailed;
    private readonly Counter<long> _actionsFailed;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _manual;
    private readonly Histogram<double> _recovery;
    private readonly Counter<long> _stepsConcluded;
    private readonly Counter<long> _stepsParked;
    private long _stepsConcludedTotal;
    private readonly ConcurrentDictionary<string, Func<int>> _queues = new(StringComparer.Ordinal);
    private long _duplicatesTotal;
    private long _retriesTotal;

    /// <summary>Creates the instruments; with <paramref name="system"/>, the meter carries the tag <c>actor.system</c> so that several systems in one process stay apart.</summary>
    public ConnectorMetrics(string? system = null)
    {
        _meter = new Meter(new MeterOptions(MeterName) { Tags = system is null ? null : [new KeyValuePair<string, object?>("actor.system", system)] });
        _attemptsFailed = _meter.CreateCounter<long>("coordinator.connectors.attempts_failed", "{attempt}", "Failed calls, by connector, class and outcome.");
        _actionsFailed = _meter.CreateCounter<long>("coordinator.connectors.failed", "{action}", "Actions that ended failed, by connector and class (data: parked for an operator).");
        _retries = _meter.CreateCounter<long>("coordinator.connectors.retries", "{retry}", "Transient failures retried.");
        _duplicates = _meter.CreateCounter<long>("coordinator.connectors.duplicates_prevented", "{action}", "Requests for an action already pending or done, answered without another call.");
        _manual = _meter.CreateCounter<long>("coordinator.connectors.manual_fallbacks", "{action}", "Parked steps an operator released, by connector and resolution (Retried, Skipped, Cancelled, ResolvedManually).");
        _recovery = _meter.CreateHistogram<double>("coordinator.connectors.time_to_recovery", "s", "From a circuit opening to the probe that closed it.");
        _stepsConcluded = _meter.CreateCounter<long>("coordinator.connectors.steps_concluded", "{step}", "Entity steps concluded, by connector and resolution (Succeeded, Skipped, Cancelled, ResolvedManually).");
        _stepsParked = _meter.CreateCounter<long>("coordinator.connectors.steps_parked", "{step}", "Entity steps parked for an operator, by connector and outcome.");
        _meter.CreateObservableGauge("coordinator.connectors.queue_depth", () => _queues.Select(q => new Measurement<int>(q.Value(), new KeyValuePair<string, object?>("connector", q.Key))), "{action}", "Actions accepted and not yet completed.");
    }

    /// <summary>Duplicates prevented so far, all connectors.</summary>
    public long DuplicatesPrevented => Interlocked.Read(ref _duplicatesTotal);

    /// <summary>Retries so far, all connectors.</summary>
    public long Retries => Interlocked.Read(ref _retriesTotal);

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    internal void ObserveQueue(string connector, Func<int> depth) => _queues[connector] = depth;

    internal void AttemptFailed(string connector, FailureClass failureClass, string outcome)
        => _attemptsFailed.Add(1, new("connector", connector), new("class", failureClass.ToString()), new("outcome", outcome));

    internal void ActionFailed(string connector, FailureClass failureClass)
        => _actionsFailed.Add(1, new("connector", connector), new("class", failureClass.ToString()));

    internal void Retry(string connector)
    {
        Interlocked.Increment(ref _retriesTotal);
        _retries.Add(1, new KeyValuePair<string, object?>("connector", connector));
    }

    internal void DuplicatePrevented(string connector)
    {
        Interlocked.Increment(ref _duplicatesTotal);
        _duplicates.Add(1, new KeyValuePair<string, object?>("connector", connector));
    }

    /// <summary>Entity steps concluded so far, however they ended.</summary>
    public long StepsConcluded => Interlocked.Read(ref _stepsConcludedTotal);

    /// <summary>An entity's step concluded.</summary>
    public void StepConcluded(string connector, string resolution)
    {
        Interlocked.Increment(ref _stepsConcludedTotal);
        _stepsConcluded.Add(1, new KeyValuePair<string, object?>("connector", connector), new KeyValuePair<string, object?>("resolution", resolution));
    }

    /// <summary>An entity's step was parked for an operator.</summary>
    public void StepParked(string connector, string outcome)
        => _stepsParked.Add(1, new KeyValuePair<string, object?>("connector", connector), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>An operator resolved a parked step by hand (or skipped it).</summary>
    public void ManualFallback(string connector, string resolution)
        => _manual.Add(1, new KeyValuePair<string, object?>("connector", connector), new KeyValuePair<string, object?>("resolution", resolution));

    internal void Recovered(string connector, TimeSpan timeToRecovery)
        => _recovery.Record(timeToRecovery.TotalSeconds, new KeyValuePair<string, object?>("connector", connector));
}
