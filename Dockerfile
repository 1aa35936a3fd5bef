# Container image of the coordinator (used by k8s/). Not built in this repository's CI, which has
# no container engine; `dotnet publish` below is the same publish the CI build exercises.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Coordinator.Host/Coordinator.Host.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV Coordinator__ListenUrls=http://0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["dotnet", "Coordinator.Host.dll"]
