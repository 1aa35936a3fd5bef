using System.Collections.Immutable;

namespace Coordinator.Workflows.Tests;

/// <summary>Loads the repository's sample workflows and drives instances through the engine.</summary>
internal static class Samples
{
    public static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    public static string RepoRoot { get; } = FindRoot();

    public static string Folder => Path.Combine(RepoRoot, "workflows");

    public static WorkflowCatalog Catalog { get; } = WorkflowLoader.LoadCatalog("catalog.yaml", File.ReadAllText(Path.Combine(RepoRoot, "workflows", "catalog.yaml")), out _);

    private static readonly Dictionary<string, WorkflowDefinition> Cache = [];

    public static WorkflowDefinition Load(string name, GuardRails? guards = null)
    {
        lock (Cache)
        {
            if (guards is null && Cache.TryGetValue(name, out var cached))
            {
                return cached;
            }

            var path = Path.Combine(Folder, $"{name}.yaml");
            var result = WorkflowLoader.Load($"workflows/{name}.yaml", File.ReadAllText(path), Catalog, guards ?? GuardRails.Default);
            Assert.True(result.IsValid, string.Join("\n", result.Errors));
            var d = result.Definitions[0];
            if (guards is null)
            {
                Cache[name] = d;
            }

            return d;
        }
    }

    public static string Text(string name) => File.ReadAllText(Path.Combine(Folder, $"{name}.yaml"));

    public static LoadResult LoadText(string text, GuardRails? guards = null, string file = "test.yaml")
        => WorkflowLoader.Load(file, text, Catalog, guards ?? GuardRails.Default);

    public static ImmutableSortedDictionary<string, object?> Fields(params (string Key, object? Value)[] fields)
        => fields.ToImmutableSortedDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);

    public static ImmutableSortedDictionary<string, object?> Refund(decimal amount, string reason = "damaged", string id = "r-1")
        => Fields(("refundId", id), ("orderId", "o-1"), ("customerId", "c-1"), ("amount", amount), ("currency", "EUR"), ("reason", reason));

    public static ImmutableSortedDictionary<string, object?> Lead(decimal score, decimal employees = 50, string owner = "ana", string email = "buyer@acme.example")
        => Fields(("leadId", "l-1"), ("accountId", "a-1"), ("email", email), ("employees", employees), ("score", score), ("predictedOwner", owner));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Coordinator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Coordinator.sln) was not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One instance under test: Given/When over the pure engine, keeping every event and effect.</summary>
internal sealed class Instance(WorkflowDefinition definition, GuardRails? guards = null)
{
    public WorkflowDefinition Definition { get; set; } = definition;

    public GuardRails Guards { get; set; } = guards ?? GuardRails.Default;

    public InstanceState State { get; private set; } = InstanceState.Initial;

    public List<WorkflowEvent> Events { get; } = [];

    public List<WorkflowEffect> Effects { get; } = [];

    public Decision Last { get; private set; } = new([], [], null);

    public DateTimeOffset Now { get; set; } = Samples.T0;

    public Decision When(WorkflowInput input)
    {
        Last = WorkflowEngine.Decide(Definition, State, input, Guards);
        State = WorkflowEngine.ApplyAll(State, Last.Events);
        Events.AddRange(Last.Events);
        Effects.AddRange(Last.Effects);
        return Last;
    }

    public Decision Trigger(ImmutableSortedDictionary<string, object?> record) => When(new TriggerReceived(Now, record));

    public Decision Answer(string step, params (string Key, object? Value)[] output)
        => When(new ConnectorOutcome(Now, IdempotencyKey.For(State.InstanceId!, step), true, Samples.Fields(output)));

    public Decision Fail(string step, Coordinator.Contracts.FailureClass lane, string error)
        => When(new ConnectorOutcome(Now, IdempotencyKey.For(State.InstanceId!, step), false, Samples.Fields(), lane, error));

    public Decision Decide(TaskOutcome outcome, string who = "maria", string why = "checked the order", string? value = null)
        => When(new HumanTaskDecided(Now, State.Task!.TaskId, who, outcome, why, value));

    public Decision Fire(string timer) => When(new TimerFired(Now, IdempotencyKey.For(State.InstanceId!, timer)));

    public IEnumerable<CallConnector> Calls(string operation) => Effects.OfType<CallConnector>().Where(c => c.Operation == operation);

    public T Single<T>()
        where T : WorkflowEvent => Assert.Single(Events.OfType<T>());
}
