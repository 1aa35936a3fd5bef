using Microsoft.Extensions.Logging;

namespace Coordinator.Connectors.Steps;

/// <summary>The step entities' log messages. Event ids 5000–5099.</summary>
internal static partial class StepLog
{
    [LoggerMessage(5000, LogLevel.Warning, "Entity {EntityId}: step {Key} needs attention ({Outcome}): {Message}. Fix: {Fix}")]
    public static partial void Parked(ILogger logger, string entityId, string key, string outcome, string message, string fix);

    [LoggerMessage(5001, LogLevel.Information, "Entity {EntityId}: step {Key} {Resolution} by operator {Operator}: {Reason}")]
    public static partial void Resolved(ILogger logger, string entityId, string key, StepResolution resolution, string @operator, string reason);

    [LoggerMessage(5002, LogLevel.Error, "Entity {EntityId}: NextStep named step '{Step}', which cannot run because {Problem}; the run of event {Trigger} ends here")]
    public static partial void BadStep(ILogger logger, string entityId, string step, string problem, string trigger);
}
