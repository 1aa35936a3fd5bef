using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Coordinator.Actors.Tests;

/// <summary>Listens to one actor system's instruments and keeps what they measured.</summary>
internal sealed class MetricsCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, long Value)> _measurements = new();

    public MetricsCapture(ActorSystem system)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Coordinator.Actors" && instrument.Meter.Tags?.Any(t => t.Key == "actor.system" && Equals(t.Value, system.Name)) == true)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _measurements.Enqueue((instrument.Name, value)));
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => _measurements.Enqueue((instrument.Name, value)));
        _listener.Start();
    }

    /// <summary>Polls observable instruments now.</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    public IReadOnlyList<long> Values(string instrument) => _measurements.Where(m => m.Instrument == instrument).Select(m => m.Value).ToList();

    public long Sum(string instrument) => Values(instrument).Sum();

    public long Last(string instrument)
    {
        Observe();
        var values = Values(instrument);
        return values.Count == 0 ? 0 : values[^1];
    }

    public void Dispose() => _listener.Dispose();
}
