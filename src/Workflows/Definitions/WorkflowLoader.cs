using System.Collections.Immutable;
using Coordinator.Workflows.Expressions;
using Coordinator.Workflows.Guards;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Coordinator.Workflows.Definitions;

/// <summary>The definitions that loaded and every error found, across all files.</summary>
/// <param name="Definitions">The valid definitions.</param>
/// <param name="Errors">Every error, in file order.</param>
public sealed record LoadResult(ImmutableArray<WorkflowDefinition> Definitions, ImmutableArray<ValidationError> Errors)
{
    /// <summary>Whether every file was valid.</summary>
    public bool IsValid => Errors.IsEmpty;
}

/// <summary>
/// Loads workflow definitions from YAML text (the caller reads the files: the library does no
/// I/O), validating each against the connector catalogue and the guard rails, and reporting every
/// error with its file, line, column and field path.
/// </summary>
public static class WorkflowLoader
{
    /// <summary>The file in a workflow folder that holds the connector catalogue, not a workflow.</summary>
    public const string CatalogFileName = "catalog.yaml";

    private static readonly Dictionary<string, OutcomeKind> Outcomes = new(StringComparer.Ordinal)
    {
        ["proceed"] = OutcomeKind.Proceed,
        ["reject"] = OutcomeKind.Reject,
        ["review"] = OutcomeKind.Review,
    };

    private static readonly Dictionary<string, EffectKind> Effects = new(StringComparer.Ordinal)
    {
        ["financial"] = EffectKind.Financial,
        ["message"] = EffectKind.Message,
        ["record-update"] = EffectKind.RecordUpdate,
    };

    private static readonly Dictionary<string, TimeoutAction> TimeoutActions = new(StringComparer.Ordinal)
    {
        ["complete"] = TimeoutAction.Complete,
        ["fail"] = TimeoutAction.Fail,
        ["review"] = TimeoutAction.Review,
    };

    private static readonly Dictionary<string, TaskOutcome> TaskOutcomes = new(StringComparer.Ordinal)
    {
        ["approve"] = TaskOutcome.Approve,
        ["reject"] = TaskOutcome.Reject,
        ["override"] = TaskOutcome.Override,
    };

    /// <summary>Loads several files; two definitions with one name and version are an error.</summary>
    /// <param name="files">Each file's path (as it should appear in errors) and text.</param>
    /// <param name="catalog">The connectors and queues that exist.</param>
    /// <param name="guards">The guard rails.</param>
    /// <returns>The definitions and every error.</returns>
    public static LoadResult Load(IEnumerable<(string Path, string Text)> files, WorkflowCatalog catalog, GuardRails guards)
    {
        var definitions = ImmutableArray.CreateBuilder<WorkflowDefinition>();
        var errors = ImmutableArray.CreateBuilder<ValidationError>();
        var seen = new Dictionary<(string, int), string>();
        foreach (var (path, text) in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            var result = LoadOne(path, text, catalog, guards, out var nameNode);
            errors.AddRange(result.Errors);
            if (result.Definitions.IsEmpty)
            {
                continue;
            }

            var d = result.Definitions[0];
            if (seen.TryGetValue((d.Name, d.Version), out var first))
            {
                errors.Add(new ValidationError(path, (int)nameNode!.Start.Line, (int)nameNode.Start.Column, "name", $"{d.Name} version {d.Version} is also defined in {first}", "raise version when you change a workflow, and keep one file per version"));
                continue;
            }

            seen[(d.Name, d.Version)] = path;
            definitions.Add(d);
        }

        return new LoadResult(definitions.ToImmutable(), errors.ToImmutable());
    }

    /// <summary>Loads one file.</summary>
    /// <param name="path">The file's path, for errors.</param>
    /// <param name="text">Its YAML.</param>
    /// <param name="catalog">The connectors and queues that exist.</param>
    /// <param name="guards">The guard rails.</param>
    /// <returns>The definition (when valid) and every error.</returns>
    public static LoadResult Load(string path, string text, WorkflowCatalog catalog, GuardRails guards)
        => LoadOne(path, text, catalog, guards, out _);

    private static LoadResult LoadOne(string path, string text, WorkflowCatalog catalog, GuardRails guards, out YamlNode? nameNode)
    {
        nameNode = null;
        var errors = new List<ValidationError>();
        if (DuplicateKeys(path, text) is { Count: > 0 } duplicates)
        {
            return new LoadResult([], [.. duplicates]);
        }

        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(text);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            var problem = e.InnerException?.Message ?? e.Message;
            errors.Add(new ValidationError(path, (int)e.Start.Line, (int)e.Start.Column, "(yaml)", $"the YAML does not parse ({problem.TrimEnd('.')})", "check the indentation and that every key appears once"));
            return new LoadResult([], [.. errors]);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner can fail this way on some malformed input; report it rather than crash.
            errors.Add(new ValidationError(path, 1, 1, "(yaml)", $"the YAML does not parse ({e.Message.TrimEnd('.')})", "check quotes, brackets and indentation"));
            return new LoadResult([], [.. errors]);
        }

        if (stream.Documents.Count != 1)
        {
            errors.Add(new ValidationError(path, 1, 1, "(yaml)", $"the file holds {stream.Documents.Count} YAML documents", "put exactly one workflow in each file"));
            return new LoadResult([], [.. errors]);
        }

        var y = new YamlReader(path, errors);
        var root = y.Map(stream.Documents[0].RootNode, "", "name", "version", "owner", "purpose", "if-it-fails-silently", "runbook", "trigger", "understand", "decide", "act", "wait", "sla", "tasks");
        if (root is null)
        {
            return new LoadResult([], [.. errors]);
        }

        nameNode = root.Get("name");
        var definition = new Builder(y, root, catalog, guards).Build();
        errors.Sort((a, b) => (a.Line, a.Column).CompareTo((b.Line, b.Column)));
        return errors.Count == 0 && definition is not null
            ? new LoadResult([definition], [])
            : new LoadResult([], [.. errors]);
    }

    /// <summary>
    /// Finds keys that appear twice in one mapping (task ids, field names) with their full path;
    /// YamlDotNet's representation model would refuse the whole file at the first one.
    /// </summary>
    private static List<ValidationError> DuplicateKeys(string path, string text)
    {
        var errors = new List<ValidationError>();
        var stack = new Stack<Frame>();
        try
        {
            using var reader = new StringReader(text);
            var parser = new Parser(reader);
            while (parser.MoveNext())
            {
                var current = parser.Current;
                var parent = stack.Count > 0 ? stack.Peek() : null;
                switch (current)
                {
                    case YamlDotNet.Core.Events.MappingStart:
                        stack.Push(new Frame(parent?.ChildPath() ?? "", Mapping: true));
                        break;
                    case YamlDotNet.Core.Events.SequenceStart:
                        stack.Push(new Frame(parent?.ChildPath() ?? "", Mapping: false));
                        break;
                    case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                        stack.Pop();
                        if (stack.Count > 0)
                        {
                            stack.Peek().ValueDone();
                        }

                        break;
                    case YamlDotNet.Core.Events.Scalar scalar when parent is { Mapping: true, ExpectingKey: true }:
                        if (!parent.Keys.Add(scalar.Value))
                        {
                            errors.Add(new ValidationError(path, (int)scalar.Start.Line, (int)scalar.Start.Column, YamlReader.Join(parent.Path, scalar.Value), $"'{scalar.Value}' appears twice here", "keep one: keys and ids must be unique"));
                        }

                        parent.Key = scalar.Value;
                        parent.ExpectingKey = false;
                        break;
                    case YamlDotNet.Core.Events.Scalar:
                        parent?.ValueDone();
                        break;
                    default:
                        break;
                }
            }
        }
        catch (YamlException)
        {
            // The representation model reports syntax errors with their position.
        }

        return errors;
    }

    private sealed class Frame(string path, bool Mapping)
    {
        public string Path { get; } = path;

        public bool Mapping { get; } = Mapping;

        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);

        public bool ExpectingKey { get; set; } = true;

        public string Key { get; set; } = "";

        public int Index { get; set; }

        public string ChildPath() => Mapping ? YamlReader.Join(Path, Key) : $"{Path}[{Index}]";

        public void ValueDone()
        {
            if (Mapping)
            {
                ExpectingKey = true;
            }
            else
            {
                Index++;
            }
        }
    }

    /// <summary>Reads a connector catalogue from YAML: <c>connectors: {name: [operations]}</c> and <c>queues: [names]</c>.</summary>
    /// <param name="path">The file's path, for errors.</param>
    /// <param name="text">Its YAML.</param>
    /// <param name="errors">Where problems go.</param>
    /// <returns>The catalogue (empty parts where it was wrong).</returns>
    public static WorkflowCatalog LoadCatalog(string path, string text, out ImmutableArray<ValidationError> errors)
    {
        var list = new List<ValidationError>();
        var connectors = new Dictionary<string, IEnumerable<string>>(StringComparer.Ordinal);
        var queues = new List<string>();
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(text);
            stream.Load(reader);
            var y = new YamlReader(path, list);
            var root = stream.Documents.Count == 1 ? y.Map(stream.Documents[0].RootNode, "", "connectors", "queues") : null;
            var cs = y.Map(root?.Get("connectors"), "connectors", root?.Get("connectors") is YamlMappingNode m ? [.. m.Children.Keys.Select(k => (k as YamlScalarNode)?.Value ?? "")] : []);
            foreach (var (name, _, value) in cs?.Entries ?? [])
            {
                connectors[name] = y.List(value, $"connectors.{name}").Select(o => y.Scalar(o.Node, o.Path)).OfType<string>().ToList();
            }

            queues.AddRange(y.List(root?.Get("queues"), "queues").Select(q => y.Scalar(q.Node, q.Path)).OfType<string>());
        }
        catch (YamlException e)
        {
            list.Add(new ValidationError(path, (int)e.Start.Line, (int)e.Start.Column, "(yaml)", $"the YAML does not parse ({e.Message})", "check the indentation"));
        }

        errors = [.. list];
        return WorkflowCatalog.Create(connectors, queues);
    }

    private sealed class Builder(YamlReader y, Map root, WorkflowCatalog catalog, GuardRails guards)
    {
        private ExpressionScope _scope = ExpressionScope.Empty;
        private readonly Dictionary<string, YamlNode> _taskRefs = [];
        private ImmutableSortedDictionary<string, HumanTaskTemplate> _tasks = ImmutableSortedDictionary.Create<string, HumanTaskTemplate>(StringComparer.Ordinal);
        private readonly HashSet<string> _taskIds = new(StringComparer.Ordinal);

        public WorkflowDefinition? Build()
        {
            var name = root.Id("name");
            var version = root.Int("version");
            var metadata = new WorkflowMetadata(
                root.Text("owner", fix: "name the owning team, e.g. owner: finance-ops") ?? "",
                root.Text("purpose", fix: "say in one sentence what the workflow is for") ?? "",
                root.Text("if-it-fails-silently", fix: "say what the business loses if it stops unnoticed") ?? "",
                root.Text("runbook", fix: "link the runbook, e.g. runbook: https://wiki/runbooks/refunds") ?? "");

            CollectTaskIds();
            var trigger = Trigger();
            var lookups = Lookups();
            var reconciles = Reconciles();
            var decide = Decide();
            var act = Act(decide);
            var wait = Wait();
            var sla = Sla();
            Tasks();
            foreach (var (id, node) in _taskRefs)
            {
                if (!_taskIds.Contains(id))
                {
                    y.Error(node, "tasks", $"the task \"{id}\" is not defined", _taskIds.Count > 0 ? $"define it under tasks, or use one of {string.Join(", ", _taskIds.Order(StringComparer.Ordinal))}" : "define it under tasks");
                }
            }

            if (name is null || version is null || trigger is null || decide is null)
            {
                return null;
            }

            return new WorkflowDefinition(name, version.Value, metadata, trigger, lookups, reconciles, decide, act, wait, sla, _tasks, y.File);
        }

        private void CollectTaskIds()
        {
            if (root.Get("tasks") is YamlMappingNode tasks)
            {
                foreach (var key in tasks.Children.Keys)
                {
                    _taskIds.Add((key as YamlScalarNode)?.Value ?? "");
                }
            }
        }

        private string? TaskRef(Map map, string key, bool required = true)
        {
            var id = map.Text(key, required, "name a task defined under tasks");
            if (id is not null)
            {
                _taskRefs.TryAdd(id, map.Get(key)!);
            }

            return id;
        }

        private ImmutableSortedDictionary<string, ValueKind> Fields(Map? owner, string key, string prefix, bool required)
        {
            var builder = ImmutableSortedDictionary.CreateBuilder<string, ValueKind>(StringComparer.Ordinal);
            var node = owner?.Get(key);
            if (node is null)
            {
                if (required && owner is not null)
                {
                    y.Error(owner.Node, owner.PathOf(key), $"'{key}' is required", "declare the fields read, e.g. amount: number");
                }

                return builder.ToImmutable();
            }

            if (node is not YamlMappingNode fields)
            {
                y.Error(node, owner!.PathOf(key), "expected field: type lines", "declare each field as name: number|text|bool");
                return builder.ToImmutable();
            }

            var map = new Map(y, fields, owner!.PathOf(key));
            foreach (var (name, keyNode, value) in map.Entries)
            {
                if (!YamlReader.IdPattern().IsMatch(name))
                {
                    y.Error(keyNode, map.PathOf(name), $"\"{name}\" is not a valid field name", "use letters, digits, '-', '_' and '.'");
                    continue;
                }

                if (map.Kind(value, map.PathOf(name)) is { } kind)
                {
                    builder[name] = kind;
                    _scope = _scope.With($"{prefix}.{name}", kind);
                }
            }

            return builder.ToImmutable();
        }

        private TriggerDefinition? Trigger()
        {
            var t = y.Map(root.Get("trigger"), "trigger", "topic", "event", "event-version", "fields", "case-key", "instance-key", "start-when");
            if (t is null)
            {
                y.Error(root.Node, "trigger", "'trigger' is required", "add trigger: with topic, event, event-version, fields, case-key and instance-key");
                return null;
            }

            var topic = t.Text("topic");
            var type = t.Text("event");
            var eventVersion = t.Int("event-version");
            var fields = Fields(t, "fields", "record", required: true);
            var caseKey = t.Expression("case-key", _scope, null);
            var instanceKey = t.Expression("instance-key", _scope, null);
            var startWhen = t.Expression("start-when", _scope, ValueKind.Bool, required: false);
            return topic is null || type is null || eventVersion is null || caseKey is null || instanceKey is null
                ? null
                : new TriggerDefinition(topic, type, eventVersion.Value, fields, caseKey, instanceKey, startWhen);
        }

        private void Connector(Map map, string connectorKey, string operationKey, out string? connector, out string? operation)
        {
            connector = map.Text(connectorKey);
            operation = map.Text(operationKey);
            if (connector is null)
            {
                return;
            }

            if (!catalog.Connectors.TryGetValue(connector, out var operations))
            {
                y.Error(map.Get(connectorKey)!, map.PathOf(connectorKey), $"there is no connector \"{connector}\"", catalog.Connectors.Count > 0 ? $"use one of {string.Join(", ", catalog.Connectors.Keys)}, or add it to the connector catalogue" : "add it to the connector catalogue");
                connector = null;
                return;
            }

            if (operation is not null && !operations.Contains(operation))
            {
                y.Error(map.Get(operationKey)!, map.PathOf(operationKey), $"connector \"{connector}\" has no operation \"{operation}\"", $"use one of {string.Join(", ", operations)}");
                operation = null;
            }
        }

        private ImmutableArray<Mapping> Mappings(Map owner, string key)
        {
            var node = owner.Get(key);
            if (node is null)
            {
                return [];
            }

            if (node is not YamlMappingNode m)
            {
                y.Error(node, owner.PathOf(key), "expected name: expression lines", "map each input, e.g. customerId: '[record.customerId]'");
                return [];
            }

            var map = new Map(y, m, owner.PathOf(key));
            var list = ImmutableArray.CreateBuilder<Mapping>();
            foreach (var (name, _, value) in map.Entries)
            {
                var text = y.Scalar(value, map.PathOf(name));
                if (text is not null && y.Compile(value, map.PathOf(name), text, _scope, null) is { } e)
                {
                    list.Add(new Mapping(name, e));
                }
            }

            return list.ToImmutable();
        }

        private void Unique(HashSet<string> ids, string? id, Map map, string what)
        {
            if (id is not null && !ids.Add(id))
            {
                y.Error(map.Get("id")!, map.PathOf("id"), $"the {what} id \"{id}\" is used twice", $"give each {what} its own id");
            }
        }

        private ImmutableArray<LookupDefinition> Lookups()
        {
            var understand = y.Map(root.Get("understand"), "understand", "lookups", "reconcile");
            var list = ImmutableArray.CreateBuilder<LookupDefinition>();
            var ids = new HashSet<string>(StringComparer.Ordinal) { "record", "decision", "reconciled", "readback" };
            foreach (var (node, path) in y.List(understand?.Get("lookups"), "understand.lookups"))
            {
                var m = y.Map(node, path, "id", "connector", "operation", "input", "fields");
                if (m is null)
                {
                    continue;
                }

                var id = m.Id("id");
                Unique(ids, id, m, "look-up");
                Connector(m, "connector", "operation", out var connector, out var operation);
                var input = Mappings(m, "input");
                var fields = Fields(m, "fields", id ?? "?", required: true);
                if (id is not null && connector is not null && operation is not null)
                {
                    list.Add(new LookupDefinition(id, connector, operation, input, fields));
                }
            }

            return list.ToImmutable();
        }

        private ImmutableArray<ReconcileDefinition> Reconciles()
        {
            var understand = root.Get("understand") is YamlMappingNode u ? new Map(y, u, "understand") : null;
            var list = ImmutableArray.CreateBuilder<ReconcileDefinition>();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var declared = new List<(string, ValueKind)>();
            foreach (var (node, path) in y.List(understand?.Get("reconcile"), "understand.reconcile"))
            {
                var m = y.Map(node, path, "id", "sources", "review");
                if (m is null)
                {
                    continue;
                }

                var id = m.Id("id");
                Unique(ids, id, m, "reconcile");
                var sources = ImmutableArray.CreateBuilder<ReconcileSource>();
                var sourcesNode = m.Get("sources");
                if (sourcesNode is YamlMappingNode sm)
                {
                    var smap = new Map(y, sm, m.PathOf("sources"));
                    foreach (var (name, _, value) in smap.Entries)
                    {
                        var text = y.Scalar(value, smap.PathOf(name));
                        if (text is not null && y.Compile(value, smap.PathOf(name), text, _scope, null) is { } e)
                        {
                            sources.Add(new ReconcileSource(name, e));
                        }
                    }

                    if (sm.Children.Count != 2)
                    {
                        y.Error(sm, m.PathOf("sources"), $"a reconciliation compares two sources, not {sm.Children.Count}", "name two sources, e.g. crm: '[customer.tier]' and billing: '[account.tier]'");
                    }
                    else if (sources.Count == 2 && sources[0].Value.Kind != sources[1].Value.Kind)
                    {
                        y.Error(sm, m.PathOf("sources"), "the two sources have different types", "compare two values of the same type");
                    }
                }
                else
                {
                    y.Error(sourcesNode ?? m.Node, m.PathOf("sources"), "'sources' is required as source: expression lines", "name two sources, e.g. crm: '[customer.tier]' and billing: '[account.tier]'");
                }

                var task = TaskRef(m, "review");
                if (id is not null && task is not null && sources.Count == 2)
                {
                    list.Add(new ReconcileDefinition(id, sources.ToImmutable(), task, sources[0].Value.Kind));
                    declared.Add(($"reconciled.{id}", sources[0].Value.Kind));
                }
            }

            foreach (var (name, kind) in declared)
            {
                _scope = _scope.With(name, kind);
            }

            return list.ToImmutable();
        }

        private RuleOutcome? Outcome(Map m, HashSet<string> seenSets)
        {
            var kind = m.Enum("outcome", Outcomes);
            var set = Mappings(m, "set");
            foreach (var s in set)
            {
                seenSets.Add(s.Name);
            }

            string? task = null;
            if (kind == OutcomeKind.Review)
            {
                task = TaskRef(m, "review");
            }
            else if (m.Get("review") is { } r)
            {
                y.Error(r, m.PathOf("review"), "only outcome: review opens a review task", "remove review, or write outcome: review");
            }

            return kind is null ? null : new RuleOutcome(kind.Value, set, task);
        }

        private DecideDefinition? Decide()
        {
            var d = y.Map(root.Get("decide"), "decide", "rules", "default", "confidence", "approval");
            if (d is null)
            {
                y.Error(root.Node, "decide", "'decide' is required", "add decide: with rules and a default");
                return null;
            }

            // Values a rule sets are variables decision.* for every later expression: declare them first.
            var sets = new Dictionary<string, ValueKind>(StringComparer.Ordinal);
            void Declare(YamlNode? node)
            {
                if (node is YamlMappingNode rule && rule.Children.TryGetValue(new YamlScalarNode("set"), out var set) && set is YamlMappingNode sm)
                {
                    foreach (var (key, value) in sm.Children)
                    {
                        if (key is YamlScalarNode k && value is YamlScalarNode v && ExpressionCompiler.Compile(v.Value ?? "", _scope, null).Expression is { } e)
                        {
                            sets.TryAdd(k.Value!, e.Kind);
                        }
                    }
                }
            }

            foreach (var (node, _) in d.Get("rules") is YamlSequenceNode rs ? rs.Children.Select(n => (n, "")) : [])
            {
                Declare(node);
            }

            Declare(d.Get("default"));
            var ruleScope = _scope;
            foreach (var (name, kind) in sets)
            {
                _scope = _scope.With($"decision.{name}", kind);
            }

            var rules = ImmutableArray.CreateBuilder<Rule>();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var seenSets = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (node, path) in y.List(d.Get("rules"), "decide.rules"))
            {
                var m = y.Map(node, path, "id", "when", "outcome", "set", "review");
                if (m is null)
                {
                    continue;
                }

                var id = m.Id("id");
                Unique(ids, id, m, "rule");
                var when = m.Expression("when", ruleScope, ValueKind.Bool);
                var outcome = Outcome(m, seenSets);
                if (id is not null && when is not null && outcome is not null)
                {
                    rules.Add(new Rule(id, when, outcome));
                }
            }

            RuleOutcome? fallback = null;
            var defaultMap = y.Map(d.Get("default"), "decide.default", "outcome", "set", "review");
            if (defaultMap is null)
            {
                y.Error(d.Node, "decide.default", "'default' is required: what happens when no rule matches", "add default: with outcome: proceed, reject or review");
            }
            else
            {
                fallback = Outcome(defaultMap, seenSets);
            }

            var confidence = Confidence(d);
            var approval = Approval(d);
            return fallback is null ? null : new DecideDefinition(rules.ToImmutable(), fallback, confidence, approval);
        }

        private ConfidenceTiers? Confidence(Map d)
        {
            var c = y.Map(d.Get("confidence"), "decide.confidence", "score", "suggestion", "high", "medium", "suggest", "manual");
            if (c is null)
            {
                return null;
            }

            var score = c.Expression("score", _scope, ValueKind.Number);
            var suggestion = c.Expression("suggestion", _scope, ValueKind.Text);
            var high = c.Number("high", min: 0, max: 1);
            var medium = c.Number("medium", min: 0, max: 1);
            if (high is not null && medium is not null && medium > high)
            {
                y.Error(c.Get("medium")!, c.PathOf("medium"), $"medium ({medium}) is above high ({high})", "make medium at most high");
            }

            if (high is not null && high < guards.MinAutoConfidence)
            {
                y.Error(c.Get("high")!, c.PathOf("high"), $"high ({high}) is below the guard {GuardRails.Confidence} ({guards.MinAutoConfidence}): cases under the guard would act automatically", $"raise high to at least {guards.MinAutoConfidence}");
            }

            var suggest = TaskRef(c, "suggest");
            var manual = TaskRef(c, "manual");
            _scope = _scope.With("decision.suggestion", ValueKind.Text);
            return score is null || suggestion is null || high is null || medium is null || suggest is null || manual is null
                ? null
                : new ConfidenceTiers(score, suggestion, high.Value, medium.Value, suggest, manual);
        }

        private ApprovalTiers? Approval(Map d)
        {
            var a = y.Map(d.Get("approval"), "decide.approval", "amount", "instant", "fast-track", "full-review");
            if (a is null)
            {
                return null;
            }

            var amount = a.Expression("amount", _scope, ValueKind.Number);
            var instant = y.Map(a.Get("instant"), "decide.approval.instant", "up-to");
            var fast = y.Map(a.Get("fast-track"), "decide.approval.fast-track", "up-to", "notify", "window");
            var full = y.Map(a.Get("full-review"), "decide.approval.full-review", "task");
            foreach (var (part, name) in new[] { (instant, "instant"), (fast, "fast-track"), (full, "full-review") })
            {
                if (part is null)
                {
                    y.Error(a.Node, a.PathOf(name), $"'{name}' is required: approval has three tiers", "declare instant, fast-track and full-review");
                }
            }

            var instantUpTo = instant?.Number("up-to", min: 0);
            var fastUpTo = fast?.Number("up-to", min: 0);
            var notify = fast?.Text("notify", fix: "name the role notified, e.g. notify: finance-lead");
            var window = fast?.Duration("window");
            var task = full is null ? null : TaskRef(full, "task");
            if (instantUpTo is not null && fastUpTo is not null && instantUpTo > fastUpTo)
            {
                y.Error(fast!.Get("up-to")!, fast.PathOf("up-to"), $"the fast-track limit ({fastUpTo}) is below the instant limit ({instantUpTo})", "make fast-track.up-to at least instant.up-to");
            }

            if (instantUpTo > guards.FinancialApprovalAbove)
            {
                y.Error(instant!.Get("up-to")!, instant.PathOf("up-to"), $"instant approval up to {instantUpTo} bypasses the guard {GuardRails.Financial} ({guards.FinancialApprovalAbove}): no financial action above it without a human", $"lower instant.up-to to at most {guards.FinancialApprovalAbove}");
            }

            if (fastUpTo > guards.FinancialApprovalAbove)
            {
                y.Error(fast!.Get("up-to")!, fast.PathOf("up-to"), $"fast-track up to {fastUpTo} bypasses the guard {GuardRails.Financial} ({guards.FinancialApprovalAbove}): a fast-track is approved without a human", $"lower fast-track.up-to to at most {guards.FinancialApprovalAbove}");
            }

            return amount is null || instantUpTo is null || fastUpTo is null || notify is null || window is null || task is null
                ? null
                : new ApprovalTiers(amount, instantUpTo.Value, fastUpTo.Value, notify, window.Value, task);
        }

        private ImmutableArray<ActStep> Act(DecideDefinition? decide)
        {
            var list = ImmutableArray.CreateBuilder<ActStep>();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var steps = y.List(root.Get("act"), "act");
            if (root.Get("act") is null)
            {
                y.Error(root.Node, "act", "'act' is required", "list the actions, each with id, connector, operation, input and effect");
            }

            foreach (var (node, path) in steps)
            {
                var m = y.Map(node, path, "id", "connector", "operation", "input", "effect", "verify");
                if (m is null)
                {
                    continue;
                }

                var id = m.Id("id");
                Unique(ids, id, m, "act step");
                Connector(m, "connector", "operation", out var connector, out var operation);
                var input = Mappings(m, "input");
                var effect = Effect(m, decide);
                var verify = Verify(m);
                if (id is not null && connector is not null && operation is not null && effect is not null)
                {
                    list.Add(new ActStep(id, connector, operation, input, effect, verify));
                }
            }

            return list.ToImmutable();
        }

        private EffectDeclaration? Effect(Map step, DecideDefinition? decide)
        {
            var e = y.Map(step.Get("effect"), step.PathOf("effect"), "kind", "amount", "risk", "approval");
            if (e is null)
            {
                y.Error(step.Node, step.PathOf("effect"), "'effect' is required: say what kind of effect the action has", "add effect: with kind: financial (and amount), message (and risk) or record-update");
                return null;
            }

            var kind = e.Enum("kind", Effects);
            CompiledExpression? amount = null, risk = null;
            string? approvalTask = null;
            switch (kind)
            {
                case EffectKind.Financial:
                    amount = e.Expression("amount", _scope, ValueKind.Number);
                    if (decide is not null && root.Get("decide") is YamlMappingNode dm && !dm.Children.ContainsKey(new YamlScalarNode("approval")) && !AlwaysReviewed(decide))
                    {
                        y.Error(e.Get("kind")!, e.PathOf("kind"), $"a financial action with no approval tiers could move any amount without a human, bypassing the guard {GuardRails.Financial} ({guards.FinancialApprovalAbove})", "add decide.approval with instant, fast-track and full-review tiers");
                    }

                    break;
                case EffectKind.Message:
                    risk = e.Expression("risk", _scope, ValueKind.Number);
                    approvalTask = e.Get("approval") is null ? null : TaskRef(e, "approval");
                    var constant = risk?.Constant as decimal?;
                    if (risk is not null && approvalTask is null && (constant is null || constant > guards.MessageApprovalAboveRisk))
                    {
                        y.Error(e.Get("risk")!, e.PathOf("risk"), constant is null
                            ? $"a customer message whose risk can exceed the guard {GuardRails.Message} ({guards.MessageApprovalAboveRisk}) has no approval path"
                            : $"the risk {constant} is above the guard {GuardRails.Message} ({guards.MessageApprovalAboveRisk}) and there is no approval path", "add effect.approval: <task> so a human approves risky messages");
                    }

                    break;
                default:
                    break;
            }

            return kind is null ? null : new EffectDeclaration(kind.Value, amount, risk, approvalTask);
        }

        private static bool AlwaysReviewed(DecideDefinition decide)
            => decide.Default.Kind != OutcomeKind.Proceed && decide.Rules.All(r => r.Outcome.Kind != OutcomeKind.Proceed);

        private VerifyDefinition? Verify(Map step)
        {
            var v = y.Map(step.Get("verify"), step.PathOf("verify"), "connector", "operation", "input", "fields", "expect");
            if (v is null)
            {
                return null;
            }

            Connector(v, "connector", "operation", out var connector, out var operation);
            var input = Mappings(v, "input");
            var outer = _scope;
            var fields = Fields(v, "fields", "readback", required: true);
            var expect = v.Expression("expect", _scope, ValueKind.Bool);
            _scope = outer;
            return connector is null || operation is null || expect is null ? null : new VerifyDefinition(connector, operation, input, fields, expect);
        }

        private WaitDefinition? Wait()
        {
            var w = y.Map(root.Get("wait"), "wait", "id", "event", "correlate", "timeout", "on-timeout", "review");
            if (w is null)
            {
                return null;
            }

            var id = w.Id("id");
            var type = w.Text("event");
            var correlate = w.Expression("correlate", _scope, null);
            var timeout = w.Duration("timeout");
            var onTimeout = w.Enum("on-timeout", TimeoutActions);
            var task = onTimeout == TimeoutAction.Review ? TaskRef(w, "review") : null;
            return id is null || type is null || correlate is null || timeout is null || onTimeout is null
                ? null
                : new WaitDefinition(id, type, correlate, timeout.Value, onTimeout.Value, task);
        }

        private ImmutableArray<SlaTimer> Sla()
        {
            var list = ImmutableArray.CreateBuilder<SlaTimer>();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (node, path) in y.List(root.Get("sla"), "sla"))
            {
                var m = y.Map(node, path, "id", "after", "escalate");
                if (m is null)
                {
                    continue;
                }

                var id = m.Id("id");
                Unique(ids, id, m, "SLA timer");
                var after = m.Duration("after");
                var escalations = ImmutableArray.CreateBuilder<Escalation>();
                foreach (var (en, ep) in y.List(m.Get("escalate"), m.PathOf("escalate")))
                {
                    var em = y.Map(en, ep, "notify", "reassign", "raise-priority");
                    if (em is null)
                    {
                        continue;
                    }

                    if (em.Node.Children.Count != 1)
                    {
                        y.Error(em.Node, ep, "each escalation does one thing", "write one of notify: <role>, reassign: <queue> or raise-priority: <level>");
                        continue;
                    }

                    var (key, _, _) = em.Entries.First();
                    var target = em.Text(key);
                    if (target is null)
                    {
                        continue;
                    }

                    if (key == "reassign" && !catalog.Queues.Contains(target))
                    {
                        y.Error(em.Get(key)!, em.PathOf(key), $"there is no queue \"{target}\"", $"use one of {string.Join(", ", catalog.Queues)}");
                    }

                    escalations.Add(new Escalation(key switch { "notify" => EscalationKind.Notify, "reassign" => EscalationKind.Reassign, _ => EscalationKind.RaisePriority }, target));
                }

                if (escalations.Count == 0 && m.Get("escalate") is null)
                {
                    y.Error(m.Node, m.PathOf("escalate"), "'escalate' is required", "list what happens, e.g. - notify: ar-lead");
                }

                if (id is not null && after is not null)
                {
                    list.Add(new SlaTimer(id, after.Value, escalations.ToImmutable()));
                }
            }

            return list.ToImmutable();
        }

        private void Tasks()
        {
            var node = root.Get("tasks");
            if (node is null)
            {
                return;
            }

            if (node is not YamlMappingNode tm)
            {
                y.Error(node, "tasks", "expected task-id: mapping lines", "declare each task under its id");
                return;
            }

            var tasks = new Map(y, tm, "tasks");
            var builder = ImmutableSortedDictionary.CreateBuilder<string, HumanTaskTemplate>(StringComparer.Ordinal);
            foreach (var (id, keyNode, value) in tasks.Entries)
            {
                var m = y.Map(value, tasks.PathOf(id), "queue", "assignee", "sla", "show", "outcomes", "rationale-required");
                if (m is null)
                {
                    continue;
                }

                if (!_taskRefs.ContainsKey(id))
                {
                    y.Error(keyNode, tasks.PathOf(id), $"the task \"{id}\" is never used", "remove it, or reference it from a review, suggest, manual, task or approval field");
                }

                var queue = m.Text("queue");
                if (queue is not null && !catalog.Queues.Contains(queue))
                {
                    y.Error(m.Get("queue")!, m.PathOf("queue"), $"there is no queue \"{queue}\"", catalog.Queues.Count > 0 ? $"use one of {string.Join(", ", catalog.Queues)}, or add it to the catalogue" : "add it to the catalogue");
                    queue = null;
                }

                var assignee = m.Text("assignee", required: false);
                var sla = m.Duration("sla");
                var show = ImmutableArray.CreateBuilder<string>();
                foreach (var (sn, sp) in y.List(m.Get("show"), m.PathOf("show")))
                {
                    var variable = y.Scalar(sn, sp)?.Trim('[', ']');
                    if (variable is null)
                    {
                        continue;
                    }

                    if (!_scope.Variables.ContainsKey(variable) && !variable.StartsWith("readback.", StringComparison.Ordinal))
                    {
                        y.Error(sn, sp, $"unknown variable [{variable}]", "show variables declared in trigger.fields, a look-up's fields, reconcile or a rule's set");
                        continue;
                    }

                    show.Add(variable);
                }

                var outcomes = ImmutableArray.CreateBuilder<TaskOutcome>();
                foreach (var (on, op) in y.List(m.Get("outcomes"), m.PathOf("outcomes")))
                {
                    var text = y.Scalar(on, op);
                    if (text is not null && TaskOutcomes.TryGetValue(text, out var o))
                    {
                        outcomes.Add(o);
                    }
                    else if (text is not null)
                    {
                        y.Error(on, op, $"\"{text}\" is not a task outcome", "write approve, reject or override");
                    }
                }

                if (m.Get("outcomes") is null)
                {
                    y.Error(m.Node, m.PathOf("outcomes"), "'outcomes' is required", "list the allowed outcomes, e.g. [approve, reject]");
                }

                var rationale = m.Bool("rationale-required") ?? true;
                if (queue is not null && sla is not null)
                {
                    builder[id] = new HumanTaskTemplate(id, queue, assignee, sla.Value, show.ToImmutable(), outcomes.ToImmutable(), rationale);
                }
            }

            _tasks = builder.ToImmutable();
        }
    }
}
