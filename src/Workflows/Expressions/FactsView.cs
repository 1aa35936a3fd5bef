using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Coordinator.Workflows.Expressions;

/// <summary>
/// NCalc reads parameters through <see cref="IDictionary{TKey,TValue}"/>; this read-only view
/// lends it the instance's facts without copying them.
/// </summary>
internal sealed class FactsView(IReadOnlyDictionary<string, object?> facts) : IDictionary<string, object?>
{
    public object? this[string key]
    {
        get => facts[key];
        set => throw new NotSupportedException("Expressions cannot change facts.");
    }

    public ICollection<string> Keys => [.. facts.Keys];

    public ICollection<object?> Values => [.. facts.Values];

    public int Count => facts.Count;

    public bool IsReadOnly => true;

    public void Add(string key, object? value) => throw new NotSupportedException("Expressions cannot change facts.");

    public void Add(KeyValuePair<string, object?> item) => throw new NotSupportedException("Expressions cannot change facts.");

    public void Clear() => throw new NotSupportedException("Expressions cannot change facts.");

    public bool Contains(KeyValuePair<string, object?> item) => facts.TryGetValue(item.Key, out var v) && Equals(v, item.Value);

    public bool ContainsKey(string key) => facts.ContainsKey(key);

    public void CopyTo(KeyValuePair<string, object?>[] array, int arrayIndex)
    {
        foreach (var pair in facts)
        {
            array[arrayIndex++] = pair;
        }
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => facts.GetEnumerator();

    public bool Remove(string key) => throw new NotSupportedException("Expressions cannot change facts.");

    public bool Remove(KeyValuePair<string, object?> item) => throw new NotSupportedException("Expressions cannot change facts.");

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value) => facts.TryGetValue(key, out value);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
