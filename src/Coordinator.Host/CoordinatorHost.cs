using System.Reflection;
using System.Text.Json;
using Coordinator.Host.Admin;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Coordinator.Host;

/// <summary>The composition root: options, services, health checks and endpoints.</summary>
public static class CoordinatorHost
{
    private static readonly string[] Endpoints = ["/healthz", "/readyz"];

    /// <summary>Builds the coordinator web application. <paramref name="configure"/> lets tests override configuration.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        configure?.Invoke(builder);

        builder.Services.AddOptions<CoordinatorOptions>()
            .Bind(builder.Configuration.GetSection(CoordinatorOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CoordinatorOptions>, CoordinatorOptionsValidator>();
        builder.Services.AddOptions<JournalOptions>()
            .Bind(builder.Configuration.GetSection(JournalOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<JournalOptions>, JournalOptionsValidator>();
        builder.Services.AddOptions<NodeOptions>()
            .Bind(builder.Configuration.GetSection(NodeOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<NodeOptions>, NodeOptionsValidator>();
        builder.Services.AddOptions<Ingress.IngressHostOptions>()
            .Bind(builder.Configuration.GetSection(Ingress.IngressHostOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<Ingress.IngressHostOptions>, Ingress.IngressHostOptionsValidator>();
        builder.Services.AddOptions<Admin.AdminOptions>()
            .Bind(builder.Configuration.GetSection(Admin.AdminOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<Admin.AdminOptions>, Admin.AdminOptionsValidator>();
        builder.Services.AddCoordinatorAkka(builder.Configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new Coordinator.Connectors.ConnectorRegistry());
        builder.Services.AddHostedService<ConnectorsService>();
        builder.Services.AddSingleton<Ingress.IngressHost>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<Ingress.IngressHost>());
        builder.Services.AddHealthChecks()
            .AddCheck<AkkaSystemHealthCheck>("actor-system", tags: ["ready", "live"])
            .AddCheck<ClusterMemberHealthCheck>("cluster-member", tags: ["ready"])
            .AddCheck<AkkaJournalHealthCheck>("journal", tags: ["ready"])
            .AddCheck<Ingress.IngressHealthCheck>("kafka-ingress", tags: ["ready"]);

        var urls = builder.Configuration.GetSection(CoordinatorOptions.Section)[nameof(CoordinatorOptions.ListenUrls)] ?? new CoordinatorOptions().ListenUrls;
        var adminUrl = builder.Configuration.GetSection(Admin.AdminOptions.Section)[nameof(Admin.AdminOptions.ListenUrl)] ?? new Admin.AdminOptions().ListenUrl;
        builder.WebHost.UseUrls([.. urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), adminUrl]);

        var app = builder.Build();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = static c => c.Tags.Contains("live"), ResponseWriter = WriteHealth });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = static c => c.Tags.Contains("ready"), ResponseWriter = WriteHealth });
        app.MapAdmin();
        app.MapGet("/", static (Akka.Actor.ActorSystem akka) => Results.Json(new
        {
            name = "coordinator",
            version = typeof(CoordinatorHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
            cluster = DescribeCluster(akka),
            actorSystem = akka.Name,
            connectors = Coordinator.Connectors.ConnectorsExtension.Find(akka)?.Names.Order().ToArray() ?? [],
            endpoints = Endpoints,
        }));
        return app;
    }

    private static object DescribeCluster(Akka.Actor.ActorSystem akka)
    {
        var cluster = Akka.Cluster.Cluster.Get(akka);
        var self = cluster.SelfMember;
        return new
        {
            address = cluster.SelfAddress.ToString(),
            status = self.Status.ToString(),
            roles = self.Roles.Order().ToArray(),
            members = cluster.State.Members.Select(static m => new { address = m.Address.ToString(), status = m.Status.ToString(), roles = m.Roles.Order().ToArray() }).ToArray(),
            leader = cluster.State.Leader?.ToString(),
        };
    }

    private static Task WriteHealth(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(static e => e.Key, static e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}
