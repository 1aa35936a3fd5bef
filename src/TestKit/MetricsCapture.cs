using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Coordinator.TestKit;

/// <summary>
/// Listens, through System.Diagnostics.Metrics, to one meter of one actor system (the meter's
/// <c>actor.system</c> tag) and keeps every measurement with its tags.
/// </summary>
public sealed class MetricsCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, string?> Tags)> _measurements = new();

    /// <summary>Listens to meter <paramref name="meter"/> of actor system <paramref name="system"/> (which may start later).</summary>
    public MetricsCapture(string meter, string system)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meter && instrument.Meter.Tags?.Any(t => t.Key == "actor.system" && Equals(t.Value, system)) == true)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Polls the observable instruments now, appending their current values.</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    /// <summary>The measurements of <paramref name="instrument"/> that carry every tag given, oldest first.</summary>
    public IReadOnlyList<double> Values(string instrument, params (string Key, string Value)[] tags)
        => [.. _measurements.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.GetValueOrDefault(t.Key) == t.Value)).Select(m => m.Value)];

    /// <summary>The sum of <see cref="Values"/>: a counter's total.</summary>
    public double Sum(string instrument, params (string Key, string Value)[] tags) => Values(instrument, tags).Sum();

    /// <summary>How many measurements: a histogram's count.</summary>
    public int Count(string instrument, params (string Key, string Value)[] tags) => Values(instrument, tags).Count;

    /// <summary>An observable instrument's current value (polled now); 0 if it has none.</summary>
    public double Last(string instrument, params (string Key, string Value)[] tags)
    {
        Observe();
        var values = Values(instrument, tags);
        return values.Count == 0 ? 0 : values[^1];
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string?>(tags.Length);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value?.ToString();
        }

        _measurements.Enqueue((instrument.Name, value, copy));
    }
}
