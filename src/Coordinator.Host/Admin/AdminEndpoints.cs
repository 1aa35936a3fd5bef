using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Coordinator.Host.Ingress;
using Coordinator.Kafka.Sharding;
using Microsoft.Extensions.Options;

namespace Coordinator.Host.Admin;

/// <summary>The operator API: token-protected, on its own (loopback) address, every request audited.</summary>
internal static class AdminEndpoints
{
    public static void MapAdmin(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<AdminOptions>>().Value;
        var token = Encoding.UTF8.GetBytes(ResolveToken(options, app.Logger));
        var group = app.MapGroup("/admin").AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var audit = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Coordinator.Audit");
            if (http.Connection.LocalPort != options.Port)
            {
                return Results.NotFound(); // the operator API is only on its own address
            }

            var header = http.Request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(header[7..].Trim()) : [];
            if (!CryptographicOperations.FixedTimeEquals(given, token))
            {
                audit.AdminRefused(http.Request.Method, http.Request.Path, http.Connection.RemoteIpAddress?.ToString());
                http.Response.Headers.WWWAuthenticate = "Bearer";
                return Results.Json(new { error = "unauthorized", fix = $"send Authorization: Bearer <token>; the token is {AdminOptions.Section}:Token, or the file {AdminOptions.Section}:TokenFile when none is set" }, statusCode: StatusCodes.Status401Unauthorized);
            }

            audit.AdminRequest(http.Request.Method, http.Request.Path, http.Connection.RemoteIpAddress?.ToString());
            return await next(context).ConfigureAwait(false);
        });
        group.MapGet("/cluster", static async (ActorSystem akka, IngressHost ingress, CancellationToken cancellationToken) => Results.Json(await DescribeAsync(akka, ingress, cancellationToken).ConfigureAwait(false)));
    }

    /// <summary>The configured token, or a generated one written to the token file (owner-only) and kept across restarts.</summary>
    private static string ResolveToken(AdminOptions options, ILogger logger)
    {
        if (!string.IsNullOrWhiteSpace(options.Token))
        {
            return options.Token;
        }

        if (File.Exists(options.TokenFile) && File.ReadAllText(options.TokenFile).Trim() is { Length: >= 32 } kept)
        {
            logger.AdminTokenFile(Path.GetFullPath(options.TokenFile));
            return kept;
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.TokenFile))!);
        File.WriteAllText(options.TokenFile, token);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(options.TokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        logger.AdminTokenFile(Path.GetFullPath(options.TokenFile));
        return token;
    }

    private static async Task<object> DescribeAsync(ActorSystem akka, IngressHost host, CancellationToken cancellationToken)
    {
        var cluster = Cluster.Get(akka);
        var regions = new List<object>();
        foreach (var topic in host.Topics)
        {
            var stats = await topic.Region.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            regions.Add(new
            {
                typeName = topic.TypeName,
                topic = topic.Topic,
                nodes = stats.Regions.OrderBy(r => r.Key.ToString(), StringComparer.Ordinal).Select(r => new
                {
                    node = r.Key.ToString(),
                    shards = r.Value.Stats.OrderBy(s => int.TryParse(s.Key, out var n) ? n : int.MaxValue).Select(s => new { shard = s.Key, entities = s.Value }).ToArray(),
                    entities = r.Value.Stats.Values.Sum(),
                }).ToArray(),
            });
        }

        var ingress = host.Ingress;
        var extension = akka.GetExtension<RecordIngress>();
        return new
        {
            node = cluster.SelfAddress.ToString(),
            members = cluster.State.Members.Select(static m => new { address = m.Address.ToString(), status = m.Status.ToString(), roles = m.Roles.Order().ToArray() }).ToArray(),
            unreachable = cluster.State.Unreachable.Select(static m => m.Address.ToString()).ToArray(),
            regions,
            partitions = ingress?.Partitions.Select(p => new { topic = p.Topic, partition = p.Partition, shard = RecordMessageExtractor.Shard(p.Partition), consumer = cluster.SelfAddress.ToString(), watermark = p.Watermark, inFlight = p.InFlight, lag = p.Lag, paused = p.Paused }).ToArray() ?? [],
            ingress = ingress is null ? null : new
            {
                bootstrapServers = host.BootstrapServers,
                inFlight = ingress.InFlight,
                paused = ingress.Partitions.Count(p => p.Paused),
                processedElsewhere = ingress.ProcessedElsewhere,
                deadLettersFailing = ingress.DeadLettersFailing,
                consumed = extension?.Metrics.Consumed,
                applied = extension?.Metrics.Applied,
                redelivered = extension?.Metrics.DuplicatesRedelivered,
                republished = extension?.Metrics.DuplicatesRepublished,
                deadLettered = extension?.Metrics.DeadLettered,
                deadLettersReduced = extension?.Metrics.DeadLettersReduced,
                deadLettersUnwritable = extension?.Metrics.DeadLettersUnwritable,
                handOffs = extension?.Metrics.HandOffs,
                activeEntities = extension?.Active.Count,
                evictedEntities = extension?.Active.Evicted,
            },
        };
    }
}
