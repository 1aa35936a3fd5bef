namespace Coordinator.Contracts;

/// <summary>
/// Base of every fault whose failure lane is known where it is thrown. Supervisors read
/// <see cref="FailureClass"/> instead of matching exception messages.
/// </summary>
public abstract class ClassifiedException : Exception
{
    /// <summary>Creates a classified fault.</summary>
    protected ClassifiedException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>The lane this failure belongs to.</summary>
    public abstract FailureClass FailureClass { get; }
}

/// <summary>A failure that is expected to clear on retry.</summary>
public class TransientException : ClassifiedException
{
    /// <summary>Creates a transient fault.</summary>
    public TransientException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <inheritdoc />
    public override FailureClass FailureClass => FailureClass.Transient;
}

/// <summary>A failure caused by the data itself; retrying the same input cannot succeed.</summary>
public class DataException : ClassifiedException
{
    /// <summary>Creates a data fault.</summary>
    public DataException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <inheritdoc />
    public override FailureClass FailureClass => FailureClass.Data;
}

/// <summary>A failure of a dependency that is down or refusing service.</summary>
public class InfrastructureException : ClassifiedException
{
    /// <summary>Creates an infrastructure fault.</summary>
    public InfrastructureException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <inheritdoc />
    public override FailureClass FailureClass => FailureClass.Infrastructure;
}
