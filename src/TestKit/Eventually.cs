using System.Diagnostics;

namespace Coordinator.TestKit;

/// <summary>Polling with a deadline, for conditions no message announces. Never a bare sleep.</summary>
public static class Eventually
{
    /// <summary>Waits until <paramref name="condition"/> holds, checking every few milliseconds.</summary>
    /// <exception cref="TestKitException">It did not hold within <paramref name="timeout"/>; the message says what was expected.</exception>
    public static Task TrueAsync(Func<bool> condition, string expectation, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return TrueAsync(() => Task.FromResult(condition()), expectation, timeout);
    }

    /// <summary>Waits until the asynchronous <paramref name="condition"/> holds (an actor's answer, say), checking every few milliseconds.</summary>
    /// <exception cref="TestKitException">It did not hold within <paramref name="timeout"/>; the message says what was expected.</exception>
    public static async Task TrueAsync(Func<Task<bool>> condition, string expectation, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var limit = timeout ?? TimeSpan.FromSeconds(5);
        var watch = Stopwatch.StartNew();
        var delay = 1;
        while (!await condition().ConfigureAwait(false))
        {
            if (watch.Elapsed > limit)
            {
                throw new TestKitException($"Expected {expectation} within {limit.TotalMilliseconds:0} ms, but it did not happen.");
            }

            await Task.Delay(delay).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 20);
        }
    }
}
