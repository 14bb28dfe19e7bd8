#!/usr/bin/env bash
# Runs the whole service locally: PostgreSQL and Azurite on loopback (data under .data/), migrations,
# queues, the API and the stage host (all stages). Ctrl-C stops everything; running again keeps the data.
# Ports: EVENTS_API_PORT (5080), EVENTS_STAGES_PORT (5081), EVENTS_PG_PORT (5433), EVENTS_AZURITE_PORT (10001).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

API_PORT=${EVENTS_API_PORT:-5080}
STAGES_PORT=${EVENTS_STAGES_PORT:-5081}
PG_PORT_WANTED=${EVENTS_PG_PORT:-5433}
AZURITE_PORT=${EVENTS_AZURITE_PORT:-10001}
LOGS="$DATA_ROOT/logs"
PIDS=()

ensure_dotnet
require_free_port "$API_PORT" "API" "EVENTS_API_PORT"
require_free_port "$STAGES_PORT" "stage host" "EVENTS_STAGES_PORT"
mkdir -p "$LOGS"

STOPPED=
stop_all() {
  [ -n "$STOPPED" ] && return 0
  STOPPED=1
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_azurite
  stop_postgres "$DATA_ROOT/pg"
  log "stopped; data kept in $DATA_ROOT (delete it to reset)"
}
trap 'log "stopping"; stop_all; exit 0' INT TERM
trap stop_all EXIT

log "starting PostgreSQL on 127.0.0.1:$PG_PORT_WANTED (data: .data/pg)"
start_postgres "$DATA_ROOT/pg" "$PG_PORT_WANTED"
log "starting Azurite on 127.0.0.1:$AZURITE_PORT (data: .data/azurite)"
start_azurite "$DATA_ROOT/azurite" "$AZURITE_PORT"

export ASPNETCORE_ENVIRONMENT=Development
export Database__ConnectionString
Database__ConnectionString=$(pg_connection_string "$PG_PORT_WANTED" events)
export Queues__ConnectionString
Queues__ConnectionString=$(azurite_connection_string "$AZURITE_PORT")
# The source of subscription validation events names the API where it really listens.
export Subscriptions__PublicBaseUrl="http://127.0.0.1:$API_PORT"

log "building"
dotnet build Altinn.Events.sln -c Release -nologo -clp:ErrorsOnly -v:q >"$LOGS/build.log" 2>&1 || { cat "$LOGS/build.log"; die "build failed"; }

CLI="tools/Altinn.Events.Cli/bin/Release/net10.0/altinn-events.dll"
dotnet "$CLI" migrate
# Development only: the test parties and roles the README's examples use (the migrations hold no test data).
dotnet "$CLI" seed
dotnet "$CLI" queues
dotnet "$CLI" dev-issuer "$DATA_ROOT/dev-issuer"

log "starting the API on http://127.0.0.1:$API_PORT and the stage host on http://127.0.0.1:$STAGES_PORT"
(cd src/Altinn.Events.Api && exec dotnet bin/Release/net10.0/Altinn.Events.Api.dll --urls "http://127.0.0.1:$API_PORT") \
  > >(sed -u 's/^/[api] /' | tee "$LOGS/api.log") 2>&1 &
PIDS+=($!)
(cd src/Altinn.Events.Stages && exec dotnet bin/Release/net10.0/Altinn.Events.Stages.dll --urls "http://127.0.0.1:$STAGES_PORT") \
  > >(sed -u 's/^/[stages] /' | tee "$LOGS/stages.log") 2>&1 &
PIDS+=($!)

wait_ready() {
  local url=$1 name=$2
  for _ in $(seq 1 600); do
    curl -fs "$url" >/dev/null 2>&1 && return 0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || die "$name exited during start (see .data/logs)"; done
    sleep 0.1
  done
  die "$name was not ready within 60s: $url"
}
wait_ready "http://127.0.0.1:$API_PORT/health/ready" "the API"
wait_ready "http://127.0.0.1:$STAGES_PORT/health/ready" "the stage host"

cat <<MSG

  Altinn Events is running.
    API          http://127.0.0.1:$API_PORT/events/api/v1
    Swagger UI   http://127.0.0.1:$API_PORT/swagger
    Health       http://127.0.0.1:$API_PORT/health/ready   http://127.0.0.1:$STAGES_PORT/health/ready
    PostgreSQL   $(pg_connection_string "$PG_PORT_WANTED" events)
    Azurite      queue endpoint http://127.0.0.1:$AZURITE_PORT/$AZURITE_ACCOUNT
    Tokens       ./scripts/altinn-events token --org ttd --scope "altinn:events.publish altinn:events.subscribe"
    Logs         .data/logs/
  Ctrl-C stops everything; data stays in .data/ (delete it to start afresh).

MSG
wait -n "${PIDS[@]}" || true
die "a host exited; see .data/logs"
