using Coordinator.Host;

var app = CoordinatorHost.Build(args);
await app.RunAsync();
