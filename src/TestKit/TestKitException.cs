namespace Coordinator.TestKit;

/// <summary>An expectation of the test helpers was not met.</summary>
public sealed class TestKitException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TestKitException(string message)
        : base(message)
    {
    }
}
