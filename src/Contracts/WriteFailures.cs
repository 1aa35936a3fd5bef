using System.Data.Common;

namespace Coordinator.Contracts;

/// <summary>
/// Sorts a failed write to a database (or broker) into a <see cref="FailureClass"/>, so every
/// writer that must decide between "try again" and "this data will never be taken" decides
/// the same way. The exception and its inner exceptions are read outside in; the first one
/// that tells wins:
/// <list type="bullet">
/// <item>a <see cref="ClassifiedException"/>: its own class;</item>
/// <item>a SQLSTATE (<see cref="DbException.SqlState"/>): class <c>08</c> (connection), <c>40</c>
/// (serialization failure, deadlock), <c>53</c> (insufficient resources), <c>57</c> (operator
/// intervention: shutdown, cannot connect now, statement timeout) and <c>55P03</c> (lock not
/// available) are <see cref="FailureClass.Transient"/>; class <c>22</c> (data exception) and class
/// <c>23</c> (integrity constraint violation) other than <c>23505</c> (a unique key already
/// there: a conflict or duplicate, not bad data) are <see cref="FailureClass.Data"/>;</item>
/// <item><see cref="DbException.IsTransient"/>, a <see cref="TimeoutException"/> or an
/// <see cref="IOException"/> (a connection refused or lost): <see cref="FailureClass.Transient"/>.</item>
/// </list>
/// Anything else (a table missing, permission denied, a failure nobody classified) is
/// <see cref="FailureClass.Infrastructure"/>: not known to be about the data, so a writer keeps
/// it and tries again rather than give the data up.
/// </summary>
public static class WriteFailures
{
    /// <summary>SQLSTATE <c>unique_violation</c>: the row's unique key is taken.</summary>
    public const string UniqueViolation = "23505";

    /// <summary>The lane of <paramref name="cause"/>; see <see cref="WriteFailures"/> for the rule.</summary>
    public static FailureClass Classify(Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        for (var e = cause; e is not null; e = e.InnerException)
        {
            if (Lane(e) is { } lane)
            {
                return lane;
            }
        }

        return FailureClass.Infrastructure;
    }

    /// <summary>Whether the data itself was refused (<see cref="FailureClass.Data"/>): writing it again fails again.</summary>
    public static bool IsDataError(Exception cause) => Classify(cause) == FailureClass.Data;

    /// <summary>The first SQLSTATE in <paramref name="cause"/> or its inner exceptions, or null when none names one.</summary>
    public static string? SqlState(Exception cause)
    {
        for (var e = cause; e is not null; e = e.InnerException)
        {
            if (e is DbException { SqlState: { Length: 5 } state })
            {
                return state;
            }
        }

        return null;
    }

    private static FailureClass? Lane(Exception e)
    {
        switch (e)
        {
            case ClassifiedException classified:
                return classified.FailureClass;
            case DbException db:
                return (db.SqlState is { Length: 5 } state ? Lane(state) : null) ?? (db.IsTransient ? FailureClass.Transient : null);
            case TimeoutException or IOException:
                return FailureClass.Transient;
            default:
                return null;
        }
    }

    private static FailureClass? Lane(string state) => state[..2] switch
    {
        "08" or "40" or "53" or "57" => FailureClass.Transient,
        "55" when state == "55P03" => FailureClass.Transient,
        "22" => FailureClass.Data,
        "23" when state != UniqueViolation => FailureClass.Data,
        _ => null,
    };
}
