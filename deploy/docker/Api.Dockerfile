# syntax=docker/dockerfile:1
# The API host, with the operator CLI (altinn-events migrate) beside it in /app/cli for the migration job.
# Build from the repository root:  docker build -f deploy/docker/Api.Dockerfile -t altinn-events-api .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet publish src/Altinn.Events.Api/Altinn.Events.Api.csproj -c Release -o /out/app -nologo \
 && dotnet publish tools/Altinn.Events.Cli/Altinn.Events.Cli.csproj -c Release -o /out/app/cli -nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /out/app .
# The aspnet image's non-root user; it listens on 8080 (ASPNETCORE_HTTP_PORTS). Container Apps probes
# /health (liveness) and /health/ready (readiness), so the image has no HEALTHCHECK of its own.
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Altinn.Events.Api.dll"]
