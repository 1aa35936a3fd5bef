using System.Diagnostics;
using Coordinator.Actors;

namespace Coordinator.Benchmarks.Actors;

/// <summary>
/// The runtime's figures against Akka.NET 1.5 measured on the same machine class (2 cores):
/// ping-pong throughput, mass creation, one message to each of many actors, mass stop, and
/// memory per idle actor.
/// </summary>
internal static class ActorBenchmarks
{
    public static async Task<List<Figure>> RunAllAsync(int runs, bool quick)
    {
        var figures = new List<Figure>();
        var repeat = quick ? 200_000 : 2_000_000;
        figures.Add(await Harness.MeasureAsync("ping-pong, 8 pairs, 1 in flight per pair", "msg/s", true, "5.6 M msg/s", runs, () => PingPongAsync(8, 1, repeat)));
        figures.Add(await Harness.MeasureAsync("ping-pong, 8 pairs, 1,000 in flight per pair", "msg/s", true, "25 M msg/s", runs, () => PingPongAsync(8, 1_000, repeat * 4)));

        const int actors = 100_000;
        var create = new List<double>();
        var roundTrip = new List<double>();
        var stop = new List<double>();
        for (var i = 0; i <= runs; i++)
        {
            Harness.Collect();
            var (c, r, s) = await CreateMessageStopAsync(actors);
            if (i == 0)
            {
                continue; // warm-up
            }

            create.Add(c);
            roundTrip.Add(r);
            stop.Add(s);
            Console.Error.WriteLine($"100k actors: create {c:N3} s, message+reply {r:N3} s, stop {s:N3} s");
        }

        figures.Add(Summarise("create 100,000 actors (until all started)", "s", create, "2.1 s"));
        figures.Add(Summarise("one message to each of 100,000 actors, all replies awaited", "s", roundTrip, "0.26 s"));
        figures.Add(Summarise("stop 100,000 actors (until all terminated)", "s", stop, "1.8 s"));
        figures.Add(await Harness.MeasureAsync("managed memory per idle actor (UntypedActor)", "bytes", false, "1,737 bytes", runs, () => MemoryPerActorAsync(actors, receiveActor: false)));
        figures.Add(await Harness.MeasureAsync("managed memory per idle actor (ReceiveActor, one handler)", "bytes", false, "1,737 bytes", runs, () => MemoryPerActorAsync(actors, receiveActor: true)));
        return figures;
    }

    private static Figure Summarise(string name, string unit, List<double> values, string bar)
    {
        values.Sort();
        return new Figure(name, unit, values[values.Count / 2], values[0], false, bar);
    }

    /// <summary>
    /// <paramref name="pairs"/> client/echo pairs; each client keeps <paramref name="inFlight"/>
    /// messages in flight until it has had <paramref name="repeat"/> replies. Every request and
    /// every reply counts as one message (as in Akka.NET's PingPong benchmark).
    /// </summary>
    private static async Task<double> PingPongAsync(int pairs, int inFlight, long repeat)
    {
        await using var system = ActorSystem.Create("pingpong");
        var done = new CountdownEvent(pairs);
        var clients = new List<IActorRef>();
        for (var i = 0; i < pairs; i++)
        {
            var echo = system.ActorOf(Props.Create<Echo>());
            clients.Add(system.ActorOf(Props.Create(() => new Client(echo, inFlight, repeat, done))));
        }

        var start = Stopwatch.GetTimestamp();
        foreach (var client in clients)
        {
            client.Tell(Client.Go.Instance, null);
        }

        done.Wait();
        var seconds = Harness.Seconds(start);
        return pairs * repeat * 2 / seconds;
    }

    private static async Task<(double Create, double RoundTrip, double Stop)> CreateMessageStopAsync(int count)
    {
        await using var system = ActorSystem.Create("mass");
        var counters = new Counters(count);
        var props = Props.Create(() => new Worker(counters));

        var start = Stopwatch.GetTimestamp();
        var refs = new IActorRef[count];
        for (var i = 0; i < count; i++)
        {
            refs[i] = system.ActorOf(props);
        }

        counters.Started.Wait();
        var create = Harness.Seconds(start);

        var collector = system.ActorOf(Props.Create(() => new Collector(count, counters.Replies)));
        start = Stopwatch.GetTimestamp();
        foreach (var actor in refs)
        {
            actor.Tell(Ping.Instance, collector);
        }

        counters.Replies.Wait();
        var roundTrip = Harness.Seconds(start);

        var baseline = system.AliveActors - count;
        start = Stopwatch.GetTimestamp();
        foreach (var actor in refs)
        {
            system.Stop(actor);
        }

        counters.Stopped.Wait();
        while (system.AliveActors > baseline)
        {
            Thread.SpinWait(100);
        }

        var stop = Harness.Seconds(start);
        return (create, roundTrip, stop);
    }

    private static async Task<double> MemoryPerActorAsync(int count, bool receiveActor)
    {
        await using var system = ActorSystem.Create("memory");
        var counters = new Counters(count);
        var props = receiveActor ? Props.Create(() => new IdleReceiveActor(counters)) : Props.Create(() => new Worker(counters));
        var refs = new IActorRef[count];
        Harness.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < count; i++)
        {
            refs[i] = system.ActorOf(props);
        }

        counters.Started.Wait();
        // Let every actor finish its first turn and go idle before measuring.
        while (system.MessagesProcessed < 0 || ThreadPool.PendingWorkItemCount > 0)
        {
            Thread.Sleep(10);
        }

        Harness.Collect();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(refs);

        // The refs array itself is the benchmark's, not the actors'.
        var refsArray = (count * (long)IntPtr.Size) + 24;
        return (after - before - refsArray) / (double)count;
    }

    private sealed class Counters(int count)
    {
        public CountdownEvent Started { get; } = new(count);

        public CountdownEvent Replies { get; } = new(1);

        public CountdownEvent Stopped { get; } = new(count);
    }

    private sealed class Ping
    {
        public static readonly Ping Instance = new();
    }

    private sealed class Pong
    {
        public static readonly Pong Instance = new();
    }

    private sealed class Worker(Counters counters) : UntypedActor
    {
        protected override void PreStart() => counters.Started.Signal();

        protected override void PostStop() => counters.Stopped.Signal();

        protected override void OnReceive(object message) => Sender.Tell(Pong.Instance, Self);
    }

    private sealed class IdleReceiveActor : ReceiveActor
    {
        private readonly Counters _counters;

        public IdleReceiveActor(Counters counters)
        {
            _counters = counters;
            Receive<Ping>(_ => Sender.Tell(Pong.Instance, Self));
        }

        protected override void PreStart() => _counters.Started.Signal();
    }

    private sealed class Collector(int expected, CountdownEvent done) : UntypedActor
    {
        private int _received;

        protected override void OnReceive(object message)
        {
            if (++_received == expected)
            {
                done.Signal();
            }
        }
    }

    private sealed class Echo : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(message, Self);
    }

    private sealed class Client(IActorRef echo, int inFlight, long repeat, CountdownEvent done) : UntypedActor
    {
        private long _sent;
        private long _received;

        protected override void OnReceive(object message)
        {
            if (message is Go)
            {
                for (var i = 0; i < inFlight && _sent < repeat; i++)
                {
                    _sent++;
                    echo.Tell(Ping.Instance, Self);
                }

                return;
            }

            _received++;
            if (_sent < repeat)
            {
                _sent++;
                echo.Tell(Ping.Instance, Self);
            }
            else if (_received == repeat)
            {
                done.Signal();
            }
        }

        public sealed class Go
        {
            public static readonly Go Instance = new();
        }
    }
}
