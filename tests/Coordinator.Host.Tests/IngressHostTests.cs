using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Confluent.Kafka;
using Coordinator.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Coordinator.Host.Tests;

/// <summary>
/// The host on its embedded defaults consumes the sample workflows' topics from the in-process
/// broker into sharded cases on a one-node Akka cluster, and shows the region state on the
/// token-protected operator API.
/// </summary>
public sealed class IngressHostTests
{
    private const string Token = "0123456789abcdef0123456789abcdef-test";

    [Fact]
    public async Task EmbeddedDefaults_ConsumeTheWorkflowTopics_AndTheOperatorApiShowsShardsPartitionsAndLag()
    {
        var adminPort = TestHost.FreePort();
        await using var app = TestHost.Build(
            ("Coordinator:Ingress:Enabled", "true"),
            ("Coordinator:Ingress:WorkflowsPath", TestHost.RepositoryWorkflows()),
            ("Coordinator:Ingress:EmbeddedPartitions", "4"),
            ("Coordinator:Admin:ListenUrl", $"http://127.0.0.1:{adminPort}"),
            ("Coordinator:Admin:Token", Token));
        await app.StartAsync();
        var host = app.Services.GetRequiredService<Ingress.IngressHost>();
        Assert.NotNull(host.Ingress);
        Assert.Contains(host.Topics, t => t.Topic == "refunds.requested");

        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = host.BootstrapServers, Partitioner = Partitioner.Murmur2 }).Build())
        {
            for (var i = 0; i < 20; i++)
            {
                var value = JsonSerializer.Serialize(new { id = $"r-{i}", type = "RefundRequested", version = 1, data = new { refundId = $"r-{i}", orderId = $"o-{i}", customerId = $"c-{i % 5}", amount = i + 1, currency = "EUR", reason = "damaged" } });
                await producer.ProduceAsync("refunds.requested", new Message<string, string> { Key = $"order-{i % 5}", Value = value });
            }
        }

        await Eventually.TrueAsync(() => host.Ingress!.Partitions.Sum(p => p.Watermark ?? 0) >= 20, "20 records applied and their watermarks passed", TimeSpan.FromSeconds(60));

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}") };
        using (var refused = await http.GetAsync("/admin/cluster"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/admin/cluster"));
        var root = doc.RootElement;
        Assert.Equal("Up", root.GetProperty("members")[0].GetProperty("status").GetString());
        var refunds = root.GetProperty("regions").EnumerateArray().Single(r => r.GetProperty("topic").GetString() == "refunds.requested");
        var node = Assert.Single(refunds.GetProperty("nodes").EnumerateArray());
        Assert.Equal(5, node.GetProperty("entities").GetInt32()); // five cases, each on the node consuming its partition
        Assert.Equal(0, root.GetProperty("ingress").GetProperty("processedElsewhere").GetInt64());
        Assert.All(root.GetProperty("partitions").EnumerateArray(), p => Assert.Equal(0, p.GetProperty("lag").GetInt64()));

        // The main address does not serve the operator API.
        using var elsewhere = new HttpClient { BaseAddress = TestHost.MainAddress(app) };
        using (var ready = JsonDocument.Parse(await elsewhere.GetStringAsync("/readyz")))
        {
            Assert.Equal("Healthy", ready.RootElement.GetProperty("checks").GetProperty("kafka-ingress").GetProperty("status").GetString());
        }

        elsewhere.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.NotFound, (await elsewhere.GetAsync("/admin/cluster")).StatusCode);
    }

    [Fact]
    public async Task IngressStopsOnItsOwn_TheNodeIsUnready_ThenTheIngressIsStartedAgain_AndConsumesWhatFollows()
    {
        await using var app = TestHost.Build(
            ("Coordinator:Ingress:Enabled", "true"),
            ("Coordinator:Ingress:WorkflowsPath", TestHost.RepositoryWorkflows()),
            ("Coordinator:Ingress:EmbeddedPartitions", "2"));
        await app.StartAsync();
        var host = app.Services.GetRequiredService<Ingress.IngressHost>();
        using var http = new HttpClient { BaseAddress = TestHost.MainAddress(app) };
        await Eventually.TrueAsync(async () => await IngressStatusAsync(http) == "Healthy", "the ingress ready", TimeSpan.FromSeconds(60));
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = host.BootstrapServers, Partitioner = Partitioner.Murmur2Random }).Build();
        await ProduceAsync(producer, 0, 10);
        var first = host.Ingress!;
        await Eventually.TrueAsync(() => first.Partitions.Where(p => p.Topic == "refunds.requested").Sum(p => p.Watermark ?? 0) >= 10, "the first 10 applied", TimeSpan.FromSeconds(60));

        await first.AbortAsync(); // as a fatal consumer error would end it
        Assert.Equal("Unhealthy", await IngressStatusAsync(http));
        await Eventually.TrueAsync(() => host.Restarts == 1 && !ReferenceEquals(host.Ingress, first), "the ingress started again", TimeSpan.FromSeconds(30));
        await ProduceAsync(producer, 10, 10);
        await Eventually.TrueAsync(() => host.Ingress!.Partitions.Where(p => p.Topic == "refunds.requested").Sum(p => p.Watermark ?? 0) >= 20, "the next 10 applied by the new ingress", TimeSpan.FromSeconds(90));
        await Eventually.TrueAsync(async () => await IngressStatusAsync(http) == "Healthy", "ready again", TimeSpan.FromSeconds(30));
    }

    private static async Task ProduceAsync(IProducer<string, string> producer, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            var value = JsonSerializer.Serialize(new { id = $"r-{i}", type = "RefundRequested", version = 1, data = new { refundId = $"r-{i}", orderId = $"o-{i}", customerId = $"c-{i % 5}", amount = i + 1, currency = "EUR", reason = "damaged" } });
            await producer.ProduceAsync("refunds.requested", new Message<string, string> { Key = $"order-{i % 5}", Value = value });
        }
    }

    private static async Task<string?> IngressStatusAsync(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("checks").GetProperty("kafka-ingress").GetProperty("status").GetString();
    }

    [Fact]
    public async Task OperatorApiBeyondLoopback_WithoutToken_FailsTheStartNamingTheSetting()
    {
        var failure = await TestHost.StartFailureAsync(("Coordinator:Admin:ListenUrl", "http://0.0.0.0:5081"));
        Assert.Contains("Coordinator:Admin:Token", failure.Message, StringComparison.Ordinal);
    }
}
