namespace Coordinator.Contracts;

/// <summary>
/// Marks every event, snapshot and message of ours that is persisted or can cross nodes. The
/// actor system binds it to Coordinator's System.Text.Json serializer, which writes each type
/// under its stable, versioned name (<c>V1.IngressApplied</c>), never its CLR name; a type that
/// carries the marker but was not registered fails loudly instead of falling back to another
/// serializer.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1040:Avoid empty interfaces", Justification = "A marker interface is how Akka.NET binds a serializer to a family of types.")]
public interface ICoordinatorMessage;
