using Microsoft.Extensions.Logging;

namespace Coordinator.Actors.Diagnostics;

/// <summary>The runtime's log messages. Event ids 1000–1099.</summary>
internal sealed partial class ActorLog
{
    private readonly ILogger _logger;

    public ActorLog(ILogger logger)
    {
        _logger = logger;
    }

    public ILogger Logger => _logger;

    [LoggerMessage(1000, LogLevel.Error, "Actor {Path} ({ActorType}) failed; supervisor decided {Directive}")]
    public partial void ActorFailed(Exception cause, string path, string actorType, string directive);

    [LoggerMessage(1001, LogLevel.Error, "Failure of {Path} escalated to its guardian, which stops it")]
    public partial void EscalatedToGuardian(Exception cause, string path);

    [LoggerMessage(1002, LogLevel.Information, "Dead letter: {MessageType} from {Sender} to {Recipient}{Reason}")]
    public partial void DeadLetter(string messageType, string sender, string recipient, string reason);

    [LoggerMessage(1003, LogLevel.Information, "{Count} dead letters logged; further dead letters are counted (coordinator.actors.dead_letters) and published on the event stream but not logged")]
    public partial void DeadLettersSuppressed(int count);

    [LoggerMessage(1004, LogLevel.Error, "PostStop of {Path} threw; the actor stops anyway")]
    public partial void PostStopFailed(Exception exception, string path);

    [LoggerMessage(1005, LogLevel.Error, "PreRestart of {Path} threw; the restart goes on")]
    public partial void PreRestartFailed(Exception exception, string path);

    [LoggerMessage(1006, LogLevel.Warning, "Actor {Path} failed again while waiting for its supervisor's decision; this failure is ignored")]
    public partial void FailureWhileFailed(Exception exception, string path);

    [LoggerMessage(1007, LogLevel.Debug, "Actor {Path} threw after it had stopped")]
    public partial void FailureAfterStop(Exception exception, string path);

    [LoggerMessage(1008, LogLevel.Debug, "A continuation for stopped actor {Path} was dropped")]
    public partial void ContinuationAfterStop(string path);

    [LoggerMessage(1009, LogLevel.Critical, "The root guardian of actor system {System} failed; the system terminates")]
    public partial void RootFailed(Exception exception, string system);

    [LoggerMessage(1010, LogLevel.Error, "An event-stream subscriber for {EventType} threw")]
    public partial void SubscriberFailed(Exception exception, string eventType);

    [LoggerMessage(1030, LogLevel.Warning, "A journal batch of {Requests} writes failed; retrying them one by one")]
    public partial void JournalBatchFailed(Exception exception, int requests);

    [LoggerMessage(1031, LogLevel.Error, "A journal write callback threw")]
    public partial void JournalCallbackFailed(Exception exception);

    [LoggerMessage(1032, LogLevel.Error, "Persisting {EventType} #{SequenceNr} of {PersistenceId} failed; the actor stops and will recover from the journal")]
    public partial void PersistFailed(Exception exception, string eventType, long sequenceNr, string persistenceId);

    [LoggerMessage(1033, LogLevel.Error, "Recovery of {PersistenceId} failed; the actor stops")]
    public partial void RecoveryFailed(Exception exception, string persistenceId);

    [LoggerMessage(1020, LogLevel.Information, "Coordinated shutdown of {System} started: {Reason}")]
    public partial void ShutdownStarted(string system, string reason);

    [LoggerMessage(1021, LogLevel.Warning, "Coordinated shutdown phase {Phase} timed out after {TimeoutMs} ms; going on with the next phase")]
    public partial void ShutdownPhaseTimedOut(string phase, double timeoutMs);

    [LoggerMessage(1022, LogLevel.Error, "Coordinated shutdown task {Task} in phase {Phase} failed; going on")]
    public partial void ShutdownTaskFailed(Exception exception, string phase, string task);

    [LoggerMessage(1023, LogLevel.Information, "Coordinated shutdown of {System} finished in {ElapsedMs} ms")]
    public partial void ShutdownFinished(string system, double elapsedMs);
}
