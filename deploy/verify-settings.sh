#!/usr/bin/env bash
# Starts the published API and stage host with exactly the environment variables the Bicep templates give the
# container apps (read from deploy/settings/app-settings.json, the file main.bicep loads), against a throwaway
# PostgreSQL and Azurite, and checks that /health/ready answers 200 on each: the templates and the code cannot
# drift apart silently. Also runs the migration job's command (the CLI published into the API image) with the
# job's variables.
#
# Only what must point at the local servers is substituted, and the script says so for each:
#   - secret Database__ConnectionString (a Key Vault reference in Azure) -> the throwaway PostgreSQL;
#   - Queues__ServiceUri (managed identity in Azure) -> Queues__ConnectionString for Azurite, which cannot
#     do managed identity; Queues__ManagedIdentityClientId keeps a placeholder client id (bound, unused);
#   - the port: the images listen on 8080 (ASPNETCORE_HTTP_PORTS); here each app gets a free port.
# Token issuers are passed as they are: JWT bearer fetches issuer metadata on the first authenticated request,
# not at start, so the production metadata addresses need no network here.
#
# usage: deploy/verify-settings.sh [--no-build]   (--no-build: publish from an existing Release build)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"

SETTINGS=deploy/settings/app-settings.json
ENVIRONMENTS=(test prod)
PLACEHOLDER_CLIENT_ID=00000000-0000-0000-0000-000000000000
NO_BUILD=()
[ "${1:-}" = "--no-build" ] && NO_BUILD=(--no-build)

ensure_dotnet
RUN_DIR="$DATA_ROOT/verify-settings-$$"
OUT="$RUN_DIR/publish"
mkdir -p "$RUN_DIR/logs"
APP_PID=

cleanup() {
  [ -n "$APP_PID" ] && { kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; }
  stop_azurite
  [ -n "${STARTED_PG:-}" ] && stop_postgres "$RUN_DIR/pg"
  if [ -L "$RUN_DIR/pg" ]; then rm -rf "$(readlink -f "$RUN_DIR/pg")"; fi
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT

# settings <section> <name> <environment>: the entries main.bicep turns into env for one app, as
# "plain KEY VALUE", "infra KEY ROLE" or "secret KEY SECRETNAME" lines (tab-separated).
settings() {
  python3 - "$SETTINGS" "$@" <<'PY'
import json, sys
path, section, name, env = sys.argv[1:5]
s = json.load(open(path))
def real(d): return {k: v for k, v in (d or {}).items() if not k.startswith("$")}
env_section = s["environments"][env]
if section == "api":
    plain = {**real(s["all"]), **real(env_section.get("all")), **real(s["api"]), **real(env_section.get("api"))}
elif section == "stages":
    plain = {**real(s["all"]), **real(env_section.get("all")), **real(s["stages"][name]), **real(env_section.get("stages", {}).get(name))}
elif section == "jobs":
    plain = real(s["jobs"][name])
else:
    sys.exit(f"unknown section {section}")
for k, v in plain.items(): print(f"plain\t{k}\t{v}")
if section != "jobs":
    for k, v in real(s["fromInfrastructure"]).items(): print(f"infra\t{k}\t{v}")
for k, v in real(s["secrets"]).items(): print(f"secret\t{k}\t{v}")
PY
}

stage_names() { python3 -c 'import json,sys; print(" ".join(k for k in json.load(open(sys.argv[1]))["stages"] if not k.startswith("$")))' "$SETTINGS"; }
pending_stages() { python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["verification"]["stagesNotYetInCatalog"]))' "$SETTINGS"; }

# build_env <section> <name> <environment>: fills ENV_VARS with KEY=VALUE, substituting the local servers.
build_env() {
  ENV_VARS=()
  local kind key value
  while IFS=$'\t' read -r kind key value; do
    case "$kind:$key:$value" in
      plain:*) ENV_VARS+=("$key=$value") ;;
      infra:Queues__ServiceUri:queueServiceUri) ENV_VARS+=("Queues__ConnectionString=$QUEUES_CS") ;;
      infra:*:managedIdentityClientId) ENV_VARS+=("$key=$PLACEHOLDER_CLIENT_ID") ;;
      secret:Database__ConnectionString:*) ENV_VARS+=("$key=$DB_CS") ;;
      *) die "verify-settings.sh has no local stand-in for $kind setting $key ($value): add one to build_env" ;;
    esac
  done < <(settings "$@")
}

# run_clean <dir> <command...>: runs with ENV_VARS and nothing else from this shell's environment.
# Called as `run_clean ... &`: the background subshell itself becomes the app (exec), so $! is the app's pid and
# killing it stops the app (a nested subshell would leave the app running after the kill).
run_clean() {
  local dir=$1; shift
  cd "$dir" || exit 1
  exec env -i PATH="$PATH" HOME="$HOME" ${DOTNET_ROOT:+DOTNET_ROOT="$DOTNET_ROOT"} \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 "${ENV_VARS[@]}" "$@"
}

# check_ready <label> <publish dir> <dll> -> 0 ready, 1 failed, 2 exited naming an unknown stage.
# A free port can be taken between choosing and binding it (other test runs share the machine): retry then.
check_ready() {
  local base=("${ENV_VARS[@]}") attempt result
  for attempt in 1 2 3; do
    ENV_VARS=("${base[@]}")
    try_ready "$@" && result=0 || result=$?
    [ "$result" = 3 ] || return "$result"
    echo "  (port taken at bind, attempt $attempt; trying another)" >&2
  done
  return 1
}

# try_ready: as check_ready, once; 3 when the port was taken.
try_ready() {
  local label=$1 dir=$2 dll=$3 port log code=
  port=$(free_port)
  log="$RUN_DIR/logs/$label.log"
  ENV_VARS+=("ASPNETCORE_HTTP_PORTS=$port")
  run_clean "$dir" dotnet "$dll" >"$log" 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 600); do
    if ! kill -0 "$APP_PID" 2>/dev/null; then
      wait "$APP_PID" 2>/dev/null || true
      APP_PID=
      grep -q "names unknown stage" "$log" && return 2
      grep -q "AddressInUseException" "$log" && return 3
      echo "--- $label exited at start; its log:" >&2; tail -n 30 "$log" >&2
      return 1
    fi
    code=$(curl -s -o "$RUN_DIR/ready.json" -w '%{http_code}' "http://127.0.0.1:$port/health/ready" || true)
    [ "$code" = 200 ] && break
    sleep 0.1
  done
  kill "$APP_PID" 2>/dev/null || true
  wait "$APP_PID" 2>/dev/null || true
  APP_PID=
  if [ "$code" != 200 ]; then
    echo "--- $label: /health/ready answered ${code:-nothing} within 60 s: $(cat "$RUN_DIR/ready.json" 2>/dev/null)" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
  return 0
}

log "publishing the API (with the CLI in cli/, as in the image) and the stage host"
dotnet publish src/Altinn.Events.Api/Altinn.Events.Api.csproj -c Release -o "$OUT/api" "${NO_BUILD[@]}" -nologo -v:q -clp:ErrorsOnly >/dev/null
dotnet publish tools/Altinn.Events.Cli/Altinn.Events.Cli.csproj -c Release -o "$OUT/api/cli" "${NO_BUILD[@]}" -nologo -v:q -clp:ErrorsOnly >/dev/null
dotnet publish src/Altinn.Events.Stages/Altinn.Events.Stages.csproj -c Release -o "$OUT/stages" "${NO_BUILD[@]}" -nologo -v:q -clp:ErrorsOnly >/dev/null

port=$(free_port)
log "starting a throwaway PostgreSQL on 127.0.0.1:$port and Azurite"
start_postgres "$RUN_DIR/pg" "$port" fsync=off synchronous_commit=off full_page_writes=off
STARTED_PG=1
DB_PORT=$port
DB_CS=$(pg_connection_string "$port" events)
port=$(free_port)
start_azurite "$RUN_DIR/azurite" "$port" --inMemoryPersistence
QUEUES_CS=$(azurite_connection_string "$port")

failures=0
pass() { printf '  \033[32mok\033[0m   %s\n' "$*"; }
fail() { printf '  \033[31mFAIL\033[0m %s\n' "$*"; failures=$((failures + 1)); }

log "migration job: dotnet /app/cli/altinn-events.dll migrate with the job's variables"
build_env jobs migrate test
if (run_clean "$OUT/api" dotnet cli/altinn-events.dll migrate) >"$RUN_DIR/logs/migrate.log" 2>&1; then
  pass "migrate job ($(tail -n 1 "$RUN_DIR/logs/migrate.log"))"
else
  cat "$RUN_DIR/logs/migrate.log" >&2; fail "migrate job"
fi

# What the migration job leaves holds no test data: the seeded parties and roles are development's (altinn-events seed).
seeded=$(PGPASSWORD=$DB_PASSWORD psql -X -h 127.0.0.1 -p "$DB_PORT" -U "$DB_USER" -d events -tAc \
  "SELECT (SELECT count(*) FROM parties) + (SELECT count(*) FROM party_roles)" 2>&1 || true)
if [ "$seeded" = 0 ]; then
  pass "migrate job: no parties or roles in the database (the development seed is not a migration)"
else
  fail "migrate job: the database holds test parties or roles after migrating ($seeded)"
fi

# The templates create the queues; here the CLI stands in, with the queue names from the same file.
build_env api - test
(run_clean "$OUT/api" dotnet cli/altinn-events.dll queues) >"$RUN_DIR/logs/queues.log" 2>&1 \
  || { cat "$RUN_DIR/logs/queues.log" >&2; die "could not create the queues in Azurite"; }

log "starting each app with the template's variables; substituted: Database__ConnectionString (Key Vault secret) -> local PostgreSQL, Queues__ServiceUri (managed identity) -> Queues__ConnectionString (Azurite), port 8080 -> a free port"
for environment in "${ENVIRONMENTS[@]}"; do
  build_env api - "$environment"
  if check_ready "api-$environment" "$OUT/api" Altinn.Events.Api.dll; then pass "api ($environment): /health/ready 200"; else fail "api ($environment)"; fi
done

pending=" $(pending_stages) "
for stage in $(stage_names); do
  for environment in "${ENVIRONMENTS[@]}"; do
    build_env stages "$stage" "$environment"
    check_ready "stage-$stage-$environment" "$OUT/stages" Altinn.Events.Stages.dll && result=0 || result=$?
    case "$result" in
      0) pass "stage $stage ($environment): /health/ready 200"
         [[ "$pending" == *" $stage "* ]] && echo "       note: $stage is in the catalog now; remove it from verification.stagesNotYetInCatalog in $SETTINGS" ;;
      2) if [[ "$pending" == *" $stage "* ]]; then
           printf '  \033[33mskip\033[0m stage %s (%s): not in this build'"'"'s stage catalog yet (listed in verification.stagesNotYetInCatalog)\n' "$stage" "$environment"
         else
           fail "stage $stage ($environment): Stages__Run=$stage names a stage the host does not know"
         fi ;;
      *) fail "stage $stage ($environment)" ;;
    esac
  done
done

# Whatever the catalog holds, the stage image must start ready with the settings every stage app shares.
build_env stages "$(stage_names | cut -d' ' -f1)" test
shared=()
for v in "${ENV_VARS[@]}"; do [[ "$v" == Stages__Run=* ]] || shared+=("$v"); done
ENV_VARS=("${shared[@]}")
if check_ready "stage-host-shared" "$OUT/stages" Altinn.Events.Stages.dll; then
  pass "stage host with the stage apps' shared settings, Stages__Run unset (every stage in its catalog): /health/ready 200"
else
  fail "stage host with the stage apps' shared settings"
fi

if [ "$failures" -gt 0 ]; then
  die "$failures check(s) failed: the templates' settings and the code disagree"
fi
log "every app the templates define starts ready with the templates' settings"
