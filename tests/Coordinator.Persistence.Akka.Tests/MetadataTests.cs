using Akka.Actor;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Coordinator.Persistence.Akka.Tests;

/// <summary>Who caused an event and the flow it belongs to land in the journal's own columns, and recovery sees the bare event.</summary>
public abstract class MetadataContract<TBinding>(ITestOutputHelper output) : PluginTestKit<TBinding>(output)
    where TBinding : PluginBinding, new()
{
    [Fact]
    public async Task Audited_Event_StoresCausedByAndCorrelation_AndRecoversBare()
    {
        var counter = Sys.ActorOf(CounterActor.Props("m-1"));
        await counter.Ask<CounterActor.Added>(new CounterActor.Add(5, "operator:alice", "flow-7"), TimeSpan.FromSeconds(10));
        await counter.Ask<CounterActor.Added>(new CounterActor.Add(1), TimeSpan.FromSeconds(10));

        var rows = ReadMetadata("m-1");
        Assert.Equal([("operator:alice", "flow-7"), ("system", null)], rows);

        await StopAsync(counter);
        var again = Sys.ActorOf(CounterActor.Props("m-1"));
        Assert.Equal(6, (await again.Ask<CounterActor.State>(CounterActor.Get.Instance, TimeSpan.FromSeconds(10))).Total);
    }

    protected abstract List<(string CausedBy, string? CorrelationId)> ReadMetadata(string persistenceId);
}

public sealed class OurPostgresMetadata(ITestOutputHelper output) : MetadataContract<OurPostgresBinding>(output)
{
    protected override List<(string CausedBy, string? CorrelationId)> ReadMetadata(string persistenceId)
    {
        using var command = TestDatabase.DataSource.CreateCommand($"SELECT caused_by, correlation_id FROM {Binding.Schema}.journal WHERE persistence_id = $1 ORDER BY sequence_nr");
        command.Parameters.AddWithValue(persistenceId);
        using var reader = command.ExecuteReader();
        var rows = new List<(string, string?)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }

        return rows;
    }
}

public sealed class OurSqliteMetadata(ITestOutputHelper output) : MetadataContract<OurSqliteBinding>(output)
{
    protected override List<(string CausedBy, string? CorrelationId)> ReadMetadata(string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={Binding.Path}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT caused_by, correlation_id FROM journal WHERE persistence_id = $pid ORDER BY sequence_nr";
        command.Parameters.AddWithValue("$pid", persistenceId);
        using var reader = command.ExecuteReader();
        var rows = new List<(string, string?)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }

        return rows;
    }
}
