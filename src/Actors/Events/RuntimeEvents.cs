using Coordinator.Actors.Supervision;

namespace Coordinator.Actors.Events;

/// <summary>
/// A message that could not be delivered: its recipient had stopped, its bounded mailbox was
/// full, or it was sent to <c>/deadLetters</c>.
/// </summary>
/// <param name="Message">The undelivered message.</param>
/// <param name="Sender">Who sent it, if known.</param>
/// <param name="Recipient">Who it was for.</param>
/// <param name="Reason">Why, when it was not simply a stopped recipient (e.g. "mailbox full").</param>
public sealed record DeadLetter(object Message, IActorRef? Sender, IActorRef Recipient, string? Reason);

/// <summary>A message the recipient's behaviour did not handle.</summary>
/// <param name="Message">The message.</param>
/// <param name="Sender">Who sent it, if known.</param>
/// <param name="Recipient">The actor that did not handle it.</param>
public sealed record UnhandledMessage(object Message, IActorRef? Sender, IActorRef Recipient);

/// <summary>An actor's lifecycle changed.</summary>
/// <param name="Actor">The actor.</param>
/// <param name="ActorType">Its CLR type.</param>
public abstract record ActorLifecycleEvent(IActorRef Actor, Type ActorType);

/// <summary>An actor was created and its <c>PreStart</c> ran.</summary>
public sealed record ActorStarted(IActorRef Actor, Type ActorType) : ActorLifecycleEvent(Actor, ActorType);

/// <summary>An actor was restarted by its supervisor.</summary>
/// <param name="Actor">The actor.</param>
/// <param name="ActorType">Its CLR type.</param>
/// <param name="Cause">The failure that led to the restart.</param>
public sealed record ActorRestarted(IActorRef Actor, Type ActorType, Exception Cause) : ActorLifecycleEvent(Actor, ActorType);

/// <summary>An actor stopped; its <c>PostStop</c> ran.</summary>
public sealed record ActorStopped(IActorRef Actor, Type ActorType) : ActorLifecycleEvent(Actor, ActorType);

/// <summary>An actor failed and its supervisor decided what to do.</summary>
/// <param name="Actor">The failed actor.</param>
/// <param name="ActorType">Its CLR type.</param>
/// <param name="Cause">The exception.</param>
/// <param name="Directive">What the supervisor decided.</param>
public sealed record ActorFailed(IActorRef Actor, Type ActorType, Exception Cause, Directive Directive);
