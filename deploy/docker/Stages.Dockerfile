# syntax=docker/dockerfile:1
# The stage host; Stages__Run picks the stage(s) a container runs (inbound, outbound, validation).
# Build from the repository root:  docker build -f deploy/docker/Stages.Dockerfile -t altinn-events-stages .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet publish src/Altinn.Events.Stages/Altinn.Events.Stages.csproj -c Release -o /out/app -nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /out/app .
# Non-root, port 8080 for the health endpoints the Container Apps probes call; no HEALTHCHECK in the image.
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Altinn.Events.Stages.dll"]
