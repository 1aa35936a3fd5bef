using Coordinator.Contracts;
using Npgsql;

namespace Coordinator.Kafka.Tests.Sharding;

/// <summary>How a failed write is sorted: only a refusal of the data itself is <see cref="FailureClass.Data"/>; an outage never is.</summary>
public sealed class WriteFailuresTests
{
    [Theory]
    [InlineData("22P05", FailureClass.Data)] // untranslatable character
    [InlineData("22021", FailureClass.Data)] // character not in repertoire
    [InlineData("22001", FailureClass.Data)] // string data right truncation
    [InlineData("23514", FailureClass.Data)] // check violation
    [InlineData("23502", FailureClass.Data)] // not-null violation
    [InlineData("23505", FailureClass.Infrastructure)] // unique violation: a conflict or duplicate, not bad data
    [InlineData("08006", FailureClass.Transient)] // connection failure
    [InlineData("57P01", FailureClass.Transient)] // admin shutdown
    [InlineData("57014", FailureClass.Transient)] // statement timeout
    [InlineData("53300", FailureClass.Transient)] // too many connections
    [InlineData("40001", FailureClass.Transient)] // serialization failure
    [InlineData("40P01", FailureClass.Transient)] // deadlock
    [InlineData("55P03", FailureClass.Transient)] // lock not available
    [InlineData("42P01", FailureClass.Infrastructure)] // undefined table: not about the data
    [InlineData("42501", FailureClass.Infrastructure)] // insufficient privilege
    public void ASqlState_IsSortedByItsClass(string state, FailureClass expected)
    {
        var refused = new PostgresException("refused", "ERROR", "ERROR", state);
        Assert.Equal(expected, WriteFailures.Classify(refused));
        Assert.Equal(expected, WriteFailures.Classify(new InvalidOperationException("wrapped", refused)));
        Assert.Equal(state, WriteFailures.SqlState(new InvalidOperationException("wrapped", refused)));
    }

    [Fact]
    public void OutagesAndClassifiedFaults_KeepTheirLanes_AndTheOutermostClassWins()
    {
        Assert.Equal(FailureClass.Transient, WriteFailures.Classify(new IOException("connection reset")));
        Assert.Equal(FailureClass.Transient, WriteFailures.Classify(new NpgsqlException("timeout", new TimeoutException())));
        Assert.Equal(FailureClass.Data, WriteFailures.Classify(new DataException("too large")));
        Assert.Equal(FailureClass.Infrastructure, WriteFailures.Classify(new InvalidOperationException("who knows")));
        Assert.Equal(FailureClass.Transient, WriteFailures.Classify(new TransientException("lock timeout", new PostgresException("x", "ERROR", "ERROR", "55P03"))));
        Assert.Null(WriteFailures.SqlState(new IOException("no database answered")));
        Assert.False(WriteFailures.IsDataError(new IOException("connection refused")));
        Assert.True(WriteFailures.IsDataError(new PostgresException("x", "ERROR", "ERROR", "22P05")));
    }
}
