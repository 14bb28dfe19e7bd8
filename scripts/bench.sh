#!/usr/bin/env bash
# Benchmarks (issue 9): starts its own PostgreSQL (durable default settings) and Azurite on free ports under
# .data/bench-*, migrates, creates the queues, generates the stored data, starts the built API and stage host as
# separate processes, runs tools/Altinn.Events.Benchmarks (baselines and scenarios S1-S9; it first waits for the API's
# analytics roll-up of the generated store, and S4 for what S1 left to be matched and rolled up), stops everything and
# deletes the data. Not part of the test command, except `--smoke`.
#
#   scripts/bench.sh            full run: 10 000 000 events, 1 000 000 subscriptions, 3 runs per figure -> docs/benchmarks.md
#   scripts/bench.sh --smoke    tiny sizes, one short run per scenario -> .data/bench-smoke.md (docs/ untouched)
#   scripts/bench.sh --flood    issue 15: only the flood of maximum-size publishes (64 concurrent, BENCH_FLOOD_SECONDS per
#                               phase), the API's RSS and every answer counted -> .data/bench-flood.md (docs/ untouched);
#                               fails when the API's peak RSS reaches 400 MB or an acknowledged event is not stored
#   --no-build                  use the Release build already there (the test command builds first)
#
# Sizes and times (environment): BENCH_EVENTS, BENCH_SUBSCRIPTIONS, BENCH_DAYS (days the events spread over),
# BENCH_RUNS, BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_CONCURRENCY (32), BENCH_QUERY_CONCURRENCY (8),
# BENCH_MATCH_EVENTS (S5 events per run), BENCH_E2E_RATE (S2 events/s), BENCH_PUSH_EVENTS (S6 events per run),
# BENCH_HANG_SECONDS (30), BENCH_DEAD_BACKLOG (S7 deliveries waiting for the dead endpoint, 100 000),
# BENCH_FAILING_SECONDS (S7 watch window, 60), BENCH_ONLY ("S2" or "baselines,S1,S4": the groups to run, among baselines,
# S1, S3, S4, S5, S5P, S2, S6, S7, S8 (analytics: the aggregator's catch-up, analytics queries, its cost to S1), S9 (issue
# 19's accountant); S2 brings validation and S2i, S6/S7 bring S2, S5P brings S5's
# mix run as its baseline; a partial run writes .data/bench-only.md), BENCH_NOTES ("a | b": lines added to the report), BENCH_KEEP=1 keeps the data directory.
# Issue 18, the generated subscriptions' mix (see tools/Altinn.Events.Cli/Generators/SubscriptionMix.cs): BENCH_TYPE_LIST_SHARE
# (0.2: a typeFilter list), BENCH_TYPE_PREFIX_SHARE (0.1: a trailing-wildcard prefix such as app.instance.process.*),
# BENCH_FILTERS_SHARE (0.2: CloudEvents filters, nested all/any/not included); the rest have neither. S5 measures the mix
# against S5 plain (events from subscriptions without those filters) in the same run. S5P (BENCH_S5P_MATCH_EVENTS, as
# BENCH_MATCH_EVENTS): the permit path, events from subscriptions to the generated apps of org10-org19 (which get a bench
# policy below) whose consumers are granted DAGL for their party and pushed to a receiver in the benchmark process.
# Issue 20: BENCH_S1_CONCURRENCY ("32,128": S1 and its pgbench baseline at each), BENCH_PG_SETTINGS with
# shared_preload_libraries=pg_stat_statements (statements per event and the costliest statements), BENCH_TRACE=file
# (a dotnet-trace CPU sample of the API during one more S1 run; BENCH_DOTNET_TRACE names the dotnet-trace binary),
# BENCH_AZURITE_MEMORY=1 (Azurite keeps its queues in memory instead of on disk, to tell the emulator's own storage cost
# from the queue operations the service makes).
# BENCH_CONNECTION_EXTRA: appended to the hosts' connection string, for example "Options=-c plan_cache_mode=auto" to
# measure PostgreSQL's own choice between custom and generic plans against the hosts' default (generic).
# BENCH_CGROUPS (0, the default; auto or 1): each part in a cpu cgroup of its own, as containers are (below); the report
# names which.
# Issue 19, S9 (the accountant; run alone with BENCH_ONLY=S9): BENCH_S9_CLIENTS (client parties the accountant holds REGNA
# for, 10 000; smoke 200), BENCH_S9_ALL_PARTY (subscriptions without a subject filter, added to BENCH_SUBSCRIPTIONS, so
# BENCH_SUBSCRIPTIONS=900000 makes the issue's 1 000 000; 100 000, smoke 1 000), BENCH_S9_EVENT_SHARE (share of the
# generated events that are the bench app's, about a client, 0.01; smoke 0.05), BENCH_S9_MATCH_EVENTS (inbound events per
# run, 10 000; smoke 512). S9 is cheap under --smoke (those sizes), not skipped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

SMOKE=0 BUILD=1 FLOOD=0
for arg in "$@"; do
  case "$arg" in
    --smoke) SMOKE=1 ;;
    --flood) FLOOD=1 ;;
    --no-build) BUILD=0 ;;
    *) die "unknown argument $arg (use --smoke, --flood, --no-build)" ;;
  esac
done

if [ "$FLOOD" = 1 ]; then
  BENCH_EVENTS=0 BENCH_SUBSCRIPTIONS=0 BENCH_DAYS=1
  OUTPUT="$DATA_ROOT/bench-flood.md"
  RUN_DIR="$DATA_ROOT/bench-flood-$$"
  export BENCH_MODE=flood
elif [ "$SMOKE" = 1 ]; then
  : "${BENCH_EVENTS:=20000}" "${BENCH_SUBSCRIPTIONS:=5000}" "${BENCH_DAYS:=2}"
  OUTPUT="$DATA_ROOT/bench-smoke.md"
  RUN_DIR="$DATA_ROOT/bench-smoke-$$"
else
  : "${BENCH_EVENTS:=10000000}" "${BENCH_SUBSCRIPTIONS:=1000000}" "${BENCH_DAYS:=30}"
  OUTPUT="$REPO_ROOT/docs/benchmarks.md"
  [ -n "${BENCH_ONLY:-}" ] && OUTPUT="$DATA_ROOT/bench-only.md"
  RUN_DIR="$DATA_ROOT/bench-$$"
fi
export BENCH_SMOKE=$SMOKE BENCH_EVENTS BENCH_SUBSCRIPTIONS BENCH_OUTPUT="$OUTPUT"
LOGS="$RUN_DIR/logs"
mkdir -p "$LOGS"
PIDS=()

# Each part in a cpu cgroup of its own (BENCH_CGROUPS=auto: where the bench runs as root with a cgroup v1 or v2 cpu
# controller; 1 requires it; 0, the default, leaves everything in the root cgroup): PostgreSQL (with every backend it forks),
# Azurite, the API, the stage host and the load generator (with pgbench), as the containers of a deployment are. In the
# root cgroup the kernel's autogroup makes each PostgreSQL backend (each calls setsid) a scheduling group as heavy as the
# whole API, so a burst of queries starves the API and its requests wait for a core (docs/benchmarks.md, "S4's tail").
# In cgroups S4's tail goes, but every hand-off between the parts waits longer: S4 and S9's inbound run 25-40 % slower
# on two cores, so the default stays the root cgroup (docs/benchmarks.md, "Each part in a cgroup of its own").
# cgroup_put NAME PID: PID and its descendants into the cgroup NAME (a no-op in the root cgroup).
cgroup_put() {
  [ -n "$CGROUP_BASE" ] || return 0
  [ "${2:-0}" != 0 ] || return 0 # 0 would name the writing shell itself
  local dir="$CGROUP_BASE/$1" pid=$2 child
  mkdir -p "$dir"
  echo "$pid" >"$dir/cgroup.procs" 2>/dev/null || true
  for child in $(pgrep -P "$pid" 2>/dev/null); do cgroup_put "$1" "$child"; done
}
cgroup_remove() {
  [ -n "$CGROUP_BASE" ] || return 0
  local dir
  for dir in "$CGROUP_BASE"/*/ "$CGROUP_BASE"; do
    [ -d "$dir" ] || continue
    while read -r pid; do echo "$pid" >"$(dirname "$CGROUP_BASE")/cgroup.procs" 2>/dev/null || true; done <"$dir/cgroup.procs"
    rmdir "$dir" 2>/dev/null || true
  done
}

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_azurite
  [ -n "${PG_STARTED:-}" ] && stop_postgres "$RUN_DIR/pg"
  cgroup_remove
  rm -rf "$DATA_ROOT/bench-last-logs" && cp -r "$LOGS" "$DATA_ROOT/bench-last-logs" 2>/dev/null || true
  if [ "${BENCH_KEEP:-0}" != 1 ]; then
    if [ -L "$RUN_DIR/pg" ]; then rm -rf "$(readlink -f "$RUN_DIR/pg")"; fi
    rm -rf "$RUN_DIR"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CGROUP_BASE=""
CGROUP_NOTE="every part in the root cgroup (the kernel's autogroup: each PostgreSQL backend weighs as much as a whole host)"
case "${BENCH_CGROUPS:-0}" in 0 | 1 | auto) ;; *) die "BENCH_CGROUPS is 0, auto or 1, not ${BENCH_CGROUPS}" ;; esac
if [ "${BENCH_CGROUPS:-0}" != 0 ]; then
  if [ -w /sys/fs/cgroup/cpu/cgroup.procs ]; then
    CGROUP_BASE=/sys/fs/cgroup/cpu/events-bench-$$
  elif grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null && [ -w /sys/fs/cgroup/cgroup.procs ]; then
    CGROUP_BASE=/sys/fs/cgroup/events-bench-$$
  elif [ "${BENCH_CGROUPS:-0}" = 1 ]; then
    die "BENCH_CGROUPS=1 needs root and a cpu cgroup controller (/sys/fs/cgroup/cpu, or cpu in /sys/fs/cgroup/cgroup.subtree_control)"
  fi
  if [ -n "$CGROUP_BASE" ] && mkdir -p "$CGROUP_BASE" 2>/dev/null \
    && { [ ! -f "$CGROUP_BASE/cgroup.subtree_control" ] || echo +cpu >"$CGROUP_BASE/cgroup.subtree_control"; } 2>/dev/null; then
    CGROUP_NOTE="PostgreSQL, Azurite, the API, the stage host and the load generator each in a cpu cgroup of its own (equal weights)"
  else
    [ "${BENCH_CGROUPS:-0}" = 1 ] && die "could not create the cpu cgroup $CGROUP_BASE"
    CGROUP_BASE=""
  fi
fi

ensure_dotnet
if [ "$BUILD" = 1 ]; then
  log "building (Release)"
  dotnet build Altinn.Events.sln -c Release -nologo -clp:ErrorsOnly -v:q >"$LOGS/build.log" 2>&1 || { cat "$LOGS/build.log"; die "build failed"; }
fi

pg_port=$(free_port)
log "starting PostgreSQL on 127.0.0.1:$pg_port (durable default settings; data: ${RUN_DIR#"$REPO_ROOT"/}/pg)"
start_postgres "$RUN_DIR/pg" "$pg_port" ${BENCH_PG_SETTINGS:-}
PG_STARTED=1
export BENCH_PG_PID
BENCH_PG_PID=$(head -n 1 "$(readlink -f "$RUN_DIR/pg")/postmaster.pid" 2>/dev/null || echo 0)
cgroup_put postgres "$BENCH_PG_PID"
if [[ "${BENCH_PG_SETTINGS:-}" == *pg_stat_statements* ]]; then
  # S1 reports statements per event and the costliest statements (issue 20) when the server loads pg_stat_statements.
  psql_admin -q -d events -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; GRANT pg_read_all_stats TO $DB_USER; GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO $DB_USER;"
fi
[ -x "$PG_BIN/pgbench" ] || die "pgbench not found in $PG_BIN (it comes with the postgresql package)"
azurite_port=$(free_port)
log "starting Azurite on 127.0.0.1:$azurite_port"
azurite_args=()
[ "${BENCH_AZURITE_MEMORY:-0}" = 1 ] && azurite_args=(--inMemoryPersistence)
start_azurite "$RUN_DIR/azurite" "$azurite_port" "${azurite_args[@]}"
cgroup_put azurite "$AZURITE_PID"

export Database__ConnectionString Queues__ConnectionString
Database__ConnectionString="$(pg_connection_string "$pg_port" events);Maximum Pool Size=100${BENCH_CONNECTION_EXTRA:+;$BENCH_CONNECTION_EXTRA}"
Queues__ConnectionString=$(azurite_connection_string "$azurite_port")
CLI=(dotnet tools/Altinn.Events.Cli/bin/Release/net10.0/altinn-events.dll)
"${CLI[@]}" migrate
"${CLI[@]}" queues
"${CLI[@]}" dev-issuer "$RUN_DIR/dev-issuer" >/dev/null

if [ "$FLOOD" = 1 ]; then
  GEN_NOTE="flood: no generated data"
else
  log "generating $BENCH_SUBSCRIPTIONS subscriptions and $BENCH_EVENTS events over $BENCH_DAYS days (binary COPY)"
  gen_start=$SECONDS
  "${CLI[@]}" generate subscriptions --count "$BENCH_SUBSCRIPTIONS" --type-list-share "${BENCH_TYPE_LIST_SHARE:-0.2}" \
    --type-prefix-share "${BENCH_TYPE_PREFIX_SHARE:-0.1}" --filters-share "${BENCH_FILTERS_SHARE:-0.2}"
  S9_EVENTS=()
  if [ -z "${BENCH_ONLY:-}" ] || [[ ",${BENCH_ONLY^^}," == *,S9,* ]]; then
    # S9 (issue 19): the accountant, its clients' right holders and the all-party subscriptions; a share of the events.
    export BENCH_S9_CLIENTS BENCH_S9_ALL_PARTY BENCH_S9_EVENT_SHARE
    : "${BENCH_S9_CLIENTS:=$([ "$SMOKE" = 1 ] && echo 200 || echo 10000)}" "${BENCH_S9_ALL_PARTY:=$([ "$SMOKE" = 1 ] && echo 1000 || echo 100000)}"
    : "${BENCH_S9_EVENT_SHARE:=$([ "$SMOKE" = 1 ] && echo 0.05 || echo 0.01)}"
    "${CLI[@]}" generate accountants --clients "$BENCH_S9_CLIENTS" --all-party "$BENCH_S9_ALL_PARTY"
    S9_EVENTS=(--accountant-clients "$BENCH_S9_CLIENTS" --accountant-share "$BENCH_S9_EVENT_SHARE")
  fi
  sub_seconds=$((SECONDS - gen_start))
  "${CLI[@]}" generate events --count "$BENCH_EVENTS" --days "$BENCH_DAYS" "${S9_EVENTS[@]}"
  event_seconds=$((SECONDS - gen_start - sub_seconds))
  GEN_NOTE="data generation: $BENCH_SUBSCRIPTIONS subscriptions in ${sub_seconds} s, $BENCH_EVENTS events over $BENCH_DAYS days in ${event_seconds} s (binary COPY, indexes maintained, then VACUUM (ANALYZE))"
fi

# Benchmark policies. No product policy covers the generated apps, so the run gets its own policy folder: the product
# policies plus the ones below, built from these pieces (XACML 3.0, as the product's policies are written).
XS='DataType="http://www.w3.org/2001/XMLSchema#string"'
SUBJECT_CATEGORY="urn:oasis:names:tc:xacml:1.0:subject-category:access-subject"
RESOURCE_CATEGORY="urn:oasis:names:tc:xacml:3.0:attribute-category:resource"
ACTION_CATEGORY="urn:oasis:names:tc:xacml:3.0:attribute-category:action"
ACTION_ID="urn:oasis:names:tc:xacml:1.0:action:action-id"

# xacml_match <function> <value> <attribute id> <category>: one Match of an attribute against a string.
xacml_match() {
  printf '<xacml:Match MatchId="%s"><xacml:AttributeValue %s>%s</xacml:AttributeValue>' "$1" "$XS" "$2"
  printf '<xacml:AttributeDesignator AttributeId="%s" Category="%s" %s MustBePresent="false"/></xacml:Match>\n' "$3" "$4" "$XS"
}

# xacml_any_of <attribute id> <category> <values...>: an AnyOf that holds when the attribute equals (ignoring case) any value.
xacml_any_of() {
  local id=$1 category=$2 value; shift 2
  echo "<xacml:AnyOf>"
  for value in "$@"; do
    echo "<xacml:AllOf>$(xacml_match urn:oasis:names:tc:xacml:3.0:function:string-equal-ignore-case "$value" "$id" "$category")</xacml:AllOf>"
  done
  echo "</xacml:AnyOf>"
}

# xacml_policy <policy id> <rule name> <comment> <AnyOf blocks...>: a policy of one Permit rule whose target is the blocks.
xacml_policy() {
  local id=$1 rule=$2 comment=$3; shift 3
  printf '<?xml version="1.0" encoding="utf-8"?>\n<!-- Benchmark only (written by scripts/bench.sh): %s -->\n' "$comment"
  printf '<xacml:Policy xmlns:xacml="urn:oasis:names:tc:xacml:3.0:core:schema:wd-17" PolicyId="urn:altinn:bench:%s" Version="1.0" ' "$id"
  printf 'RuleCombiningAlgId="urn:oasis:names:tc:xacml:3.0:rule-combining-algorithm:deny-overrides">\n<xacml:Target/>\n'
  printf '<xacml:Rule RuleId="urn:altinn:bench:%s:%s" Effect="Permit">\n<xacml:Target>\n' "$id" "$rule"
  printf '%s\n' "$@"
  printf '</xacml:Target>\n</xacml:Rule>\n</xacml:Policy>\n'
}

POLICIES="$RUN_DIR/policies"
mkdir -p "$POLICIES"
cp src/Altinn.Events.Authorization/Policies/*.xml "$POLICIES/"

# S4 reads the generated app org1/app1 as its owner org1: org1 may read and subscribe to it.
xacml_policy app_org1_app1 owner "the owner org1 may read and subscribe to the generated app org1/app1." \
  "<xacml:AnyOf><xacml:AllOf>$(xacml_match urn:oasis:names:tc:xacml:1.0:function:string-equal org1 urn:altinn:org "$SUBJECT_CATEGORY")</xacml:AllOf></xacml:AnyOf>" \
  "$(xacml_any_of "$ACTION_ID" "$ACTION_CATEGORY" read subscribe)" >"$POLICIES/app_org1_app1.xml"

# S9: the bench app the accountant's clients use; DAGL, REGNA and PRIV for a party may read its events (the product's app
# policy with the names changed).
sed -e 's/app_ttd_apps-test/app_bench_accounts/g' -e 's/>ttd</>bench</g' -e 's/>apps-test</>accounts</g' \
  src/Altinn.Events.Authorization/Policies/app_ttd_apps-test.xml >"$POLICIES/app_bench_accounts.xml"

# S5P (issue 18): the generated apps of org10-org19 get the product app policy's party rule (DAGL, REGNA and PRIV for the
# party may read), without its owner rule, so the generated owners' subscriptions stay denied and nothing is pushed to the
# generated endpoints (hooks.example.com); S5P grants its consumers DAGL and points their endpoints at loopback.
ROLES_MAY_READ="$(xacml_any_of urn:altinn:rolecode "$SUBJECT_CATEGORY" DAGL REGNA PRIV)"
READ="$(xacml_any_of "$ACTION_ID" "$ACTION_CATEGORY" read)"
for o in $(seq 10 19); do
  for a in $(seq 0 99); do
    id="app_org${o}_app${a}"
    app_match="<xacml:AnyOf><xacml:AllOf>
$(xacml_match urn:oasis:names:tc:xacml:1.0:function:string-equal "org$o" urn:altinn:org "$RESOURCE_CATEGORY")
$(xacml_match urn:oasis:names:tc:xacml:1.0:function:string-equal "app$a" urn:altinn:app "$RESOURCE_CATEGORY")
</xacml:AllOf></xacml:AnyOf>"
    xacml_policy "$id" party-roles "DAGL, REGNA and PRIV for the party may read the generated app's events (S5P)." \
      "$ROLES_MAY_READ" "$app_match" "$READ" >"$POLICIES/$id.xml"
  done
done

api_port=$(free_port)
stages_port=$(free_port)
# Production-like (no development appsettings), but its own environment name: webhooks go to a loopback receiver,
# which Production refuses.
export ASPNETCORE_ENVIRONMENT=Benchmark DOTNET_ENVIRONMENT=Benchmark
export Authentication__Issuers__dev__Issuer="https://dev-issuer.altinn-events.local"
export Authentication__Issuers__dev__JwksFile="$RUN_DIR/dev-issuer/jwks.json"
export Authentication__Issuers__dev__Audiences__0="altinn-events"
export Subscriptions__AllowHttpLoopback=true Subscriptions__PublicBaseUrl="http://127.0.0.1:$api_port"
export Authorization__PolicyFolder="$POLICIES"
export Logging__LogLevel__Default=Warning

log "starting the API on 127.0.0.1:$api_port and the stage host (all stages) on 127.0.0.1:$stages_port"
(cd src/Altinn.Events.Api && exec dotnet bin/Release/net10.0/Altinn.Events.Api.dll --urls "http://127.0.0.1:$api_port") >"$LOGS/api.log" 2>&1 &
API_PID=$!
cgroup_put api "$API_PID"
PIDS+=("$API_PID")
(cd src/Altinn.Events.Stages && exec dotnet bin/Release/net10.0/Altinn.Events.Stages.dll --urls "http://127.0.0.1:$stages_port") >"$LOGS/stages.log" 2>&1 &
STAGES_PID=$!
cgroup_put stages "$STAGES_PID"
PIDS+=("$STAGES_PID")
for url in "http://127.0.0.1:$api_port/health/ready" "http://127.0.0.1:$stages_port/health/ready"; do
  for i in $(seq 1 600); do
    curl -fs "$url" >/dev/null 2>&1 && break
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || { tail -n 30 "$LOGS"/*.log >&2; die "a host exited during start"; }; done
    [ "$i" = 600 ] && die "not ready within 60 s: $url"
    sleep 0.1
  done
done

token() { "${CLI[@]}" token --key-dir "$RUN_DIR/dev-issuer" --lifetime 1440 "$@"; }
export BENCH_API_URL="http://127.0.0.1:$api_port/events/api/v1"
export BENCH_DB="$(pg_connection_string "$pg_port" events)"
export BENCH_QUEUES="$Queues__ConnectionString"
export BENCH_PGBENCH="$PG_BIN/pgbench"
export BENCH_TOKEN_PUBLISH BENCH_TOKEN_SUBSCRIBE BENCH_TOKEN_QUERY
BENCH_TOKEN_PUBLISH=$(token --org ttd --scope "altinn:events.publish")
BENCH_TOKEN_SUBSCRIBE=$(token --org ttd --scope "altinn:events.subscribe")
BENCH_TOKEN_QUERY=$(token --org org1 --scope "altinn:events.subscribe altinn:serviceowner")
export BENCH_TOKEN_ACCOUNTANT BENCH_TOKEN_BENCH_APP
BENCH_TOKEN_ACCOUNTANT=$(token --user 900000001 --party 2999999)
BENCH_TOKEN_BENCH_APP=$(token --app bench/accounts)
export BENCH_API_PID=$API_PID BENCH_STAGES_PID=$STAGES_PID BENCH_OUTBOUND=1 BENCH_AZURITE_PID=$AZURITE_PID
export BENCH_COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src tools scripts 2>/dev/null || echo ' (with uncommitted changes)')"
export BENCH_NOTES="$GEN_NOTE | scheduling: $CGROUP_NOTE${BENCH_NOTES:+ | $BENCH_NOTES}"

log "running the benchmarks (output: ${OUTPUT#"$REPO_ROOT"/})"
(cgroup_put loadgen "$BASHPID"; unset Database__ConnectionString Queues__ConnectionString; exec dotnet tools/Altinn.Events.Benchmarks/bin/Release/net10.0/Altinn.Events.Benchmarks.dll)
for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || die "a host exited during the run (logs: .data/bench-last-logs)"; done
log "done: ${OUTPUT#"$REPO_ROOT"/}"
