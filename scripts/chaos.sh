#!/usr/bin/env bash
# The chaos check (issue 14): starts its own PostgreSQL (durable: fsync on) and Azurite (on disk) on free loopback ports
# under .data/chaos-*, the API and the stage host from the Release build, subscribes a loopback webhook, publishes N
# events at 16 concurrent while killing the API, the stage host, PostgreSQL and Azurite with kill -9 at random (each
# restarted a moment later), waits for every acknowledged event to be pushed and reports acknowledged, lost from the
# store, not delivered, duplicate pushes, drain time and the API's answers by status. Exits non-zero if an acknowledged
# event was lost or never delivered, or the API answered 500.
#
#   scripts/chaos.sh                      full mode: 20 000 events, a kill every ~4 s (PostgreSQL and Azurite at least once)
#   scripts/chaos.sh --short              short mode (the test command): 1 500 events, a kill every ~3 s, each target at least once
#   --events N  --kill-every S  --rate R  sizes (R: events/s over all requests; default 50 short, 200 full; 0 = unpaced)
#   --outage pg|azurite|pdp [--outage-seconds S]
#                                         no kills: one dependency down for S s (default 180) while publishing
#                                         (pdp: both hosts use the remote PDP, a fake one in the tool that permits
#                                         everything and answers 503 during the outage)
#   --drain-timeout S                     how long to wait for the pushes after publishing (600 full, 240 short)
#   --no-build                            use the Release build already there (the test command builds first)
# CHAOS_KEEP=1 keeps the PostgreSQL and Azurite data of a passing run too (a failing run always keeps them).
# The report and the hosts' logs stay in .data/chaos-<mode>-<pid>/ (report.md, logs/).
set -euo pipefail
# The whole script is read before it runs (the braces), so editing it during a run cannot break that run.
{
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

BUILD=1 MODE=full
TOOL_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --short) MODE=short; TOOL_ARGS+=(--short) ;;
    --events|--kill-every|--rate|--outage-seconds|--drain-timeout)
      [ $# -ge 2 ] || die "$1 needs a value"
      TOOL_ARGS+=("$1" "$2"); shift ;;
    --outage)
      [ $# -ge 2 ] || die "--outage needs pg, azurite or pdp"
      case "$2" in pg|azurite|pdp) ;; *) die "--outage must be pg, azurite or pdp, not $2" ;; esac
      MODE="outage-$2"; TOOL_ARGS+=(--outage "$2"); shift ;;
    *) die "unknown argument $1 (see the top of scripts/chaos.sh)" ;;
  esac
  shift
done

RUN_DIR="$DATA_ROOT/chaos-$MODE-$$"
LOGS="$RUN_DIR/logs"
mkdir -p "$LOGS"
PG_DIR="$RUN_DIR/pg"

# The tool stops everything it started, also on Ctrl-C; this is for when the tool itself dies (kill -9, crash):
# end every process it recorded in $RUN_DIR/pids that is still one of ours, then make sure PostgreSQL is down.
cleanup() {
  local status=$?
  if [ -f "$RUN_DIR/pids" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || continue
      case "$(ps -o args= -p "$pid" 2>/dev/null)" in
        *dotnet*|*azurite*|*postgres*|*runuser*) kill -9 "$pid" 2>/dev/null || true ;;
      esac
    done <"$RUN_DIR/pids"
  fi
  if [ -n "${PG_BIN:-}" ] && [ -e "$PG_DIR" ]; then
    local real
    real=$(readlink -f "$PG_DIR")
    if [ -f "$real/postmaster.pid" ]; then
      as_pg "$PG_BIN/pg_ctl" -D "$real" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
  fi
  if [ "$status" = 0 ] && [ "${CHAOS_KEEP:-0}" != 1 ]; then
    [ -L "$PG_DIR" ] && rm -rf "$(readlink -f "$PG_DIR")"
    rm -rf "$PG_DIR" "$RUN_DIR/azurite"
  fi
  [ -f "$RUN_DIR/report.md" ] && log "report: ${RUN_DIR#"$REPO_ROOT"/}/report.md; logs: ${LOGS#"$REPO_ROOT"/}/"
  return "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_dotnet
ensure_postgres
ensure_azurite
if [ "$BUILD" = 1 ]; then
  log "building (Release)"
  dotnet build Altinn.Events.sln -c Release -nologo -clp:ErrorsOnly -v:q >"$LOGS/build.log" 2>&1 || { cat "$LOGS/build.log"; die "build failed"; }
fi
TOOL="tools/Altinn.Events.Chaos/bin/Release/net10.0/Altinn.Events.Chaos.dll"
[ -f "$TOOL" ] || die "$TOOL is missing; run without --no-build"

# Initialise the cluster (role and database "events") with lib.sh, then stop it: the tool runs the postmaster itself,
# so that it can kill it.
pg_port=$(free_port)
log "initialising PostgreSQL (data: ${PG_DIR#"$REPO_ROOT"/})"
start_postgres "$PG_DIR" "$pg_port" >/dev/null
stop_postgres "$PG_DIR"
azurite_port=$(free_port)
while [ "$azurite_port" = "$pg_port" ]; do azurite_port=$(free_port); done

PG_RUN_USER=
[ "$(id -u)" = 0 ] && PG_RUN_USER=$(pg_user)
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src tools scripts 2>/dev/null || echo ' (with uncommitted changes)')"
# The main commit this branch is built on (not where main is now).
main_commit=$(git merge-base HEAD main 2>/dev/null | cut -c1-7 || true)
[ -n "$main_commit" ] && commit="$commit (on main $main_commit)"

log "chaos check ($MODE): PostgreSQL on 127.0.0.1:$pg_port, Azurite on 127.0.0.1:$azurite_port; run folder ${RUN_DIR#"$REPO_ROOT"/}"
status=0
# In the background, so that a signal to this script reaches the tool at once (bash runs no trap while it waits for a
# foreground command): the tool stops everything it started on SIGTERM, then this script's cleanup runs.
dotnet "$TOOL" --repo "$REPO_ROOT" --run-dir "$RUN_DIR" --pg-bin "$PG_BIN" --pg-data "$(readlink -f "$PG_DIR")" \
  --pg-user "$PG_RUN_USER" --pg-port "$pg_port" --azurite-port "$azurite_port" \
  --azurite-bin "$REPO_ROOT/node_modules/.bin/azurite-queue" --commit "$commit" "${TOOL_ARGS[@]}" &
TOOL_PID=$!
trap 'log "stopping the chaos check"; kill -TERM "$TOOL_PID" 2>/dev/null; wait "$TOOL_PID" 2>/dev/null; exit 130' INT TERM
wait "$TOOL_PID" || status=$?
exit "$status"
}
