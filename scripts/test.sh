#!/usr/bin/env bash
# Builds everything and runs every test project against a throwaway PostgreSQL and Azurite.
# Reuses servers given as EVENTS_TEST_DATABASE (an Npgsql connection string for a role that may
# CREATE DATABASE) and EVENTS_TEST_QUEUES (a storage connection string) instead of starting its own.
# Ends with one line: "N passed, N failed[, N skipped]"; exits non-zero on any failure.
# Extra arguments go to every `dotnet test`, e.g. `scripts/test.sh --filter FullyQualifiedName~Inbound`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

ensure_dotnet
# The portal's browser tests (test/Altinn.Events.IntegrationTests/Portal) drive Debian's Chromium by path: Playwright
# cannot download a browser of its own here.
[ -x /usr/bin/chromium ] || apt_install chromium
RUN_DIR="$DATA_ROOT/test-run-$$"
RESULTS="$RUN_DIR/results"
mkdir -p "$RESULTS"

cleanup() {
  stop_azurite
  [ -n "${STARTED_PG:-}" ] && stop_postgres "$RUN_DIR/pg"
  if [ -L "$RUN_DIR/pg" ]; then rm -rf "$(readlink -f "$RUN_DIR/pg")"; fi
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT

log "building"
dotnet build Altinn.Events.sln -c Release -nologo -clp:ErrorsOnly -v:q || die "build failed"

if [ -z "${EVENTS_TEST_DATABASE:-}" ]; then
  port=$(free_port)
  log "starting a throwaway PostgreSQL on 127.0.0.1:$port"
  # Durability is irrelevant for a throwaway cluster; skipping fsync makes the tests faster.
  start_postgres "$RUN_DIR/pg" "$port" fsync=off synchronous_commit=off full_page_writes=off
  STARTED_PG=1
  export EVENTS_TEST_DATABASE
  EVENTS_TEST_DATABASE=$(pg_connection_string "$port" events)
fi

if [ -z "${EVENTS_TEST_QUEUES:-}" ]; then
  port=$(free_port)
  log "starting a throwaway Azurite on 127.0.0.1:$port"
  start_azurite "$RUN_DIR/azurite" "$port" --inMemoryPersistence
  export EVENTS_TEST_QUEUES
  EVENTS_TEST_QUEUES=$(azurite_connection_string "$port")
fi

status=0
for project in test/*/*.csproj; do
  name=$(basename "$project" .csproj)
  log "testing $name"
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$RESULTS" "$@" || status=1
done

# The deployment's settings against the published hosts (about 20 s; its own PostgreSQL and Azurite).
log "deploy settings: published hosts with the templates' environment (deploy/verify-settings.sh)"
bash deploy/verify-settings.sh --no-build || { echo "deploy/verify-settings.sh failed" >&2; status=1; }

# The benchmark harness in smoke mode (tiny sizes, its own servers, about 50 s; writes .data/bench-smoke.md only).
log "benchmark smoke run (scripts/bench.sh --smoke)"
bash scripts/bench.sh --smoke --no-build >"$RUN_DIR/bench-smoke.log" 2>&1 || { tail -n 40 "$RUN_DIR/bench-smoke.log" >&2; echo "scripts/bench.sh --smoke failed" >&2; status=1; }

# The chaos check in short mode (1 500 events, a kill -9 of the API, the stage host, PostgreSQL and Azurite every ~3 s;
# its own servers; about 2.5 minutes, most of it the drain waiting out the outbox lease; at most about 6 when pushes are
# missing). Fails the test command when anything
# acknowledged was lost or not delivered, or the API answered 500.
log "chaos check, short mode (scripts/chaos.sh --short)"
bash scripts/chaos.sh --short --no-build >"$RUN_DIR/chaos-short.log" 2>&1 || { tail -n 60 "$RUN_DIR/chaos-short.log" >&2; echo "scripts/chaos.sh --short failed" >&2; status=1; }

# Sum the counters of every results file.
read -r passed failed skipped < <(
  python3 - "$RESULTS" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    s += int(c.get("notExecuted", 0))
print(p, f, s)
PY
)
count_projects=$(ls test/*/*.csproj | wc -l)
count_results=$(ls "$RESULTS"/*.trx 2>/dev/null | wc -l)
if [ "$count_results" -lt "$count_projects" ]; then
  echo "only $count_results of $count_projects test projects produced results" >&2
  status=1
fi
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ] || status=1
exit $status
