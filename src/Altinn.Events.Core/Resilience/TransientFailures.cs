using System.Data.Common;
using System.Net.Sockets;
using Altinn.Events.Core.Authorization;

namespace Altinn.Events.Core.Resilience;

/// <summary>A dependency whose outage makes work wait rather than fail.</summary>
public enum Dependency
{
    /// <summary>PostgreSQL.</summary>
    Database,

    /// <summary>The decision point (PDP).</summary>
    Authorization,

    /// <summary>The storage queues.</summary>
    Queues,

    /// <summary>Another service reached over the network (the register, a token endpoint).</summary>
    Network,
}

/// <summary>
/// The one rule for telling an outage from a fault: a transient failure (a dependency down, restarting, overloaded or
/// unreachable) delays work and is answered with 503; anything else is a fault of the work itself. Walks inner and
/// aggregated exceptions, so a wrapped connection failure still counts.
/// </summary>
public static class TransientFailures
{
    // PostgreSQL error classes and codes that mean "not now" rather than "never": connection exceptions (08), insufficient
    // resources (53), operator intervention such as a shutdown or a start in progress (57P01-57P03, 57P05) and a statement
    // timeout (57014), system errors (58), serialization failures and deadlocks (40001, 40P01), and lock timeouts (55P03).
    private static readonly string[] TransientSqlStateClasses = ["08", "53", "58"];
    private static readonly HashSet<string> TransientSqlStates = ["57P01", "57P02", "57P03", "57P05", "57014", "40001", "40P01", "55P03"];

    /// <summary>
    /// Which dependency <paramref name="exception"/> says is unavailable, or null when it is not an outage.
    /// <paramref name="more"/> adds rules for exception types Core does not know (the queue client's).
    /// </summary>
    public static Dependency? Classify(Exception exception, Func<Exception, Dependency?>? more = null)
    {
        var pending = new Stack<Exception>();
        pending.Push(exception);
        var seen = 0;
        while (pending.Count > 0 && seen++ < 32)
        {
            var current = pending.Pop();
            if (more?.Invoke(current) is { } extra)
            {
                return extra;
            }

            switch (current)
            {
                case AuthorizationUnavailableException:
                    return Dependency.Authorization;
                case DbException db when db.IsTransient || IsTransientSqlState(db.SqlState):
                    return Dependency.Database;
                case DbException { SqlState: not null }:
                    // A definite answer from the database (a constraint, a syntax error): not an outage, whatever it wraps.
                    return null;
                case HttpRequestException or SocketException or TimeoutException or IOException:
                    return Dependency.Network;
                case AggregateException aggregate:
                    foreach (var inner in aggregate.InnerExceptions)
                    {
                        pending.Push(inner);
                    }

                    continue;
            }

            if (current.InnerException is { } next)
            {
                pending.Push(next);
            }
        }

        return null;
    }

    private static bool IsTransientSqlState(string? sqlState) =>
        sqlState is { Length: 5 } && (TransientSqlStates.Contains(sqlState) || TransientSqlStateClasses.Contains(sqlState[..2]));
}
