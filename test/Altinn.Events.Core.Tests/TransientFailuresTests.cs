using System.Data.Common;
using System.Net.Sockets;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Resilience;

namespace Altinn.Events.Core.Tests;

public sealed class TransientFailuresTests
{
    [Theory]
    [InlineData("57P01")] // admin shutdown: the server is stopping
    [InlineData("57P03")] // cannot connect now: the server is starting
    [InlineData("53300")] // too many connections
    [InlineData("08006")] // connection failure
    [InlineData("40001")] // serialization failure
    public void DatabaseErrorsThatMeanNotNow_AreOutagesOfTheDatabase(string sqlState) =>
        Assert.Equal(Dependency.Database, TransientFailures.Classify(new FakeDbException(sqlState, transient: false)));

    [Theory]
    [InlineData("23505")] // unique violation
    [InlineData("22021")] // invalid byte sequence
    [InlineData("42P01")] // undefined table
    public void DatabaseErrorsThatAreDefinite_AreNotOutages_EvenWhenTheyWrapAnIoError(string sqlState) =>
        Assert.Null(TransientFailures.Classify(new FakeDbException(sqlState, transient: false, new IOException("inner"))));

    [Fact]
    public void ADatabaseErrorTheDriverCallsTransient_IsAnOutage() =>
        Assert.Equal(Dependency.Database, TransientFailures.Classify(new FakeDbException(null, transient: true)));

    [Fact]
    public void ADriverErrorWithoutAnSqlState_IsJudgedByWhatItWraps() =>
        Assert.Equal(Dependency.Network, TransientFailures.Classify(new FakeDbException(null, transient: false, new SocketException((int)SocketError.ConnectionRefused))));

    [Fact]
    public void AnUnavailableDecisionPoint_IsAnOutageOfAuthorization() =>
        Assert.Equal(Dependency.Authorization, TransientFailures.Classify(new InvalidOperationException("wrapped", new AuthorizationUnavailableException("timeout"))));

    [Fact]
    public void NetworkFailures_AreFoundInsideAggregates() =>
        Assert.Equal(Dependency.Network, TransientFailures.Classify(new AggregateException(new ArgumentException("a"), new HttpRequestException("refused"))));

    [Fact]
    public void AnExtraRule_IsAskedForEveryExceptionInTheChain()
    {
        var failure = new InvalidOperationException("outer", new KeyNotFoundException("queue said 503"));
        Assert.Equal(Dependency.Queues, TransientFailures.Classify(failure, e => e is KeyNotFoundException ? Dependency.Queues : null));
    }

    [Fact]
    public void FaultsOfTheWorkItself_AreNotOutages()
    {
        Assert.Null(TransientFailures.Classify(new InvalidOperationException("bug")));
        Assert.Null(TransientFailures.Classify(new FormatException("bad input", new ArgumentException("inner"))));
    }

    private sealed class FakeDbException(string? sqlState, bool transient, Exception? inner = null) : DbException("database said no", inner)
    {
        public override string? SqlState => sqlState;

        public override bool IsTransient => transient;
    }
}
