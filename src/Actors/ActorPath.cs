using System.Text;

namespace Coordinator.Actors;

/// <summary>
/// The hierarchical address of an actor: <c>/user/orders/order-42</c>. Paths compare by their
/// elements; two incarnations of an actor at one path differ by <see cref="Uid"/>, which
/// <see cref="IActorRef"/> equality includes (as in Akka.NET).
/// </summary>
public sealed class ActorPath : IEquatable<ActorPath>
{
    private readonly string? _systemName;

    private ActorPath(string systemName)
    {
        _systemName = systemName;
        Name = string.Empty;
    }

    private ActorPath(ActorPath parent, string name, long uid)
    {
        Parent = parent;
        Name = name;
        Uid = uid;
    }

    /// <summary>The parent path, or null for the root.</summary>
    public ActorPath? Parent { get; }

    /// <summary>The last element of the path; empty for the root.</summary>
    public string Name { get; }

    /// <summary>Identifies one incarnation of the actor at this path; 0 for the root and for paths made for lookup.</summary>
    public long Uid { get; }

    /// <summary>Name of the actor system this path belongs to.</summary>
    public string SystemName
    {
        get
        {
            var p = this;
            while (p.Parent is not null)
            {
                p = p.Parent;
            }

            return p._systemName!;
        }
    }

    /// <summary>Number of elements below the root.</summary>
    public int Depth
    {
        get
        {
            var depth = 0;
            for (var p = this; p.Parent is not null; p = p.Parent)
            {
                depth++;
            }

            return depth;
        }
    }

    /// <summary>The elements from the root down, e.g. <c>["user", "orders"]</c>.</summary>
    public IReadOnlyList<string> Elements
    {
        get
        {
            var elements = new string[Depth];
            var i = elements.Length;
            for (var p = this; p.Parent is not null; p = p.Parent)
            {
                elements[--i] = p.Name;
            }

            return elements;
        }
    }

    internal static ActorPath CreateRoot(string systemName) => new(systemName);

    internal ActorPath Child(string name, long uid) => new(this, name, uid);

    /// <summary>The path without incarnation, e.g. <c>/user/orders</c>.</summary>
    public override string ToString()
    {
        if (Parent is null)
        {
            return "/";
        }

        var builder = new StringBuilder(64);
        Append(builder, this);
        return builder.ToString();

        static void Append(StringBuilder builder, ActorPath path)
        {
            if (path.Parent is null)
            {
                return;
            }

            Append(builder, path.Parent);
            builder.Append('/').Append(path.Name);
        }
    }

    /// <summary>The full address with system and incarnation: <c>coordinator://name/user/orders#12</c>.</summary>
    public string ToStringWithUid() => $"coordinator://{SystemName}{this}#{Uid}";

    /// <inheritdoc />
    public bool Equals(ActorPath? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        var a = this;
        var b = other;
        while (a is not null && b is not null)
        {
            if (!string.Equals(a.Name, b.Name, StringComparison.Ordinal))
            {
                return false;
            }

            a = a.Parent;
            b = b.Parent;
        }

        return a is null && b is null;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ActorPath other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        for (var p = this; p is not null; p = p.Parent)
        {
            hash.Add(p.Name, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <summary>
    /// Checks that <paramref name="name"/> may name an actor: not empty, no <c>/</c> or <c>#</c>,
    /// no white space or control characters, and not starting with <c>$</c> (reserved for
    /// generated names).
    /// </summary>
    /// <exception cref="InvalidActorNameException">The name breaks one of these rules; the message says which.</exception>
    public static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new InvalidActorNameException("An actor name must not be empty; pass null to get a generated name.");
        }

        if (name[0] == '$')
        {
            throw new InvalidActorNameException($"Actor name [{name}] starts with '$', which is reserved for generated names; choose a name without the leading '$'.");
        }

        foreach (var c in name)
        {
            if (c is '/' or '#' || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                throw new InvalidActorNameException($"Actor name [{name}] contains the character '{(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())}', which is not allowed (no '/', '#', white space or control characters); choose another name.");
            }
        }
    }
}
