# Shared by scripts/run.sh, scripts/test.sh and scripts/bench.sh: installs what is missing and starts
# PostgreSQL and Azurite on loopback. Source it; it defines functions and a few variables only.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_ROOT="$REPO_ROOT/.data"
# The well-known, public Azurite development account.
AZURITE_ACCOUNT="devstoreaccount1"
AZURITE_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DB_USER="events"
DB_PASSWORD="events"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31merror: %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi
}

apt_install() {
  log "installing Debian packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 \
    || { as_root apt-get update -q >/dev/null && as_root apt-get install -y -q --no-install-recommends "$@" >/dev/null; } \
    || die "could not install $*"
}

ensure_dotnet() {
  command -v dotnet >/dev/null || die "the .NET 10 SDK is not on PATH (https://dot.net); install it and run again"
}

pg_bindir() {
  local initdb
  initdb=$(ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
  [ -n "$initdb" ] && dirname "$initdb"
}

ensure_postgres() {
  if [ -z "$(pg_bindir)" ]; then
    apt_install postgresql
  fi
  PG_BIN="$(pg_bindir)"
  [ -n "$PG_BIN" ] || die "PostgreSQL server binaries not found after installing the postgresql package"
  command -v psql >/dev/null || apt_install postgresql-client
}

ensure_azurite() {
  if ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
  if [ ! -x "$REPO_ROOT/node_modules/.bin/azurite-queue" ]; then
    log "installing Azurite (npm ci)"
    (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port below the kernel's ephemeral range (where outgoing connections take their local ports, so a port found free
# there can be taken by a client socket before the server binds it) that no socket uses in any state.
free_port() {
  local port low=32768
  [ -r /proc/sys/net/ipv4/ip_local_port_range ] && read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  [ "$low" -gt 21000 ] || low=60000
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % (low - 20000)))
    port_in_use "$port" && continue
    grep -qi ":$(printf '%04X' "$port") " /proc/net/tcp /proc/net/tcp6 2>/dev/null && continue
    echo "$port"; return 0
  done
  die "no free port found"
}

require_free_port() {
  port_in_use "$1" && die "port $1 ($2) is already in use by another process; stop it or choose another port with $3=<port>"
  return 0
}

wait_for_port() {
  local port=$1 what=$2 seconds=${3:-60}
  for _ in $(seq 1 $((seconds * 10))); do
    port_in_use "$port" && return 0
    sleep 0.1
  done
  die "$what did not start listening on port $port within ${seconds}s"
}

# PostgreSQL refuses to run as root: as root, run its commands as the postgres user.
pg_user() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || as_root useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
    echo postgres
  else
    id -un
  fi
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A data directory for the cluster at $1. As root the postgres user must reach it; when the repo lives
# where it cannot (under /root, mode 700), the cluster lives in /var/tmp and $1 becomes a link to it.
prepare_pg_dir() {
  local dir=$1
  mkdir -p "$(dirname "$dir")"
  if [ "$(id -u)" = 0 ] && [ ! -e "$dir" ] && ! runuser -u postgres -- test -x "$(dirname "$dir")"; then
    local real
    real="/var/tmp/altinn-events-pg-$(echo "$dir" | md5sum | cut -c1-12)"
    mkdir -p "$real"
    ln -sfn "$real" "$dir"
  fi
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown -R "$(pg_user):" "$(readlink -f "$dir")"
  chmod 700 "$(readlink -f "$dir")"
}

# start_postgres <data dir> <port> [extra server settings...]: initialises the cluster on first use
# (role and database "events"), then starts it listening on 127.0.0.1 only.
start_postgres() {
  local dir=$1 port=$2; shift 2
  ensure_postgres
  prepare_pg_dir "$dir"
  local real
  real=$(readlink -f "$dir")
  if [ ! -s "$real/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $dir"
    local pwfile
    pwfile=$(mktemp)
    echo "$DB_PASSWORD" >"$pwfile"
    chmod 644 "$pwfile"
    as_pg "$PG_BIN/initdb" -D "$real" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >"$real.initdb.log" 2>&1 \
      || { cat "$real.initdb.log" >&2; rm -f "$pwfile"; die "initdb failed"; }
    rm -f "$pwfile"
  fi
  if as_pg "$PG_BIN/pg_ctl" -D "$real" status >/dev/null 2>&1; then
    log "PostgreSQL already running from $dir"
  else
    require_free_port "$port" "PostgreSQL" "EVENTS_PG_PORT"
    local opts="-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$real -c max_connections=300"
    for setting in "$@"; do opts="$opts -c $setting"; done
    as_pg "$PG_BIN/pg_ctl" -D "$real" -l "$real/server.log" -w -t 60 -o "$opts" start >/dev/null \
      || { tail -n 20 "$real/server.log" >&2; die "PostgreSQL did not start (log: $real/server.log)"; }
  fi
  PG_SOCKET_DIR=$real
  PG_PORT=$port
  psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'" | grep -q 1 \
    || psql_admin -qc "CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD'"
  psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'events'" | grep -q 1 \
    || psql_admin -qc "CREATE DATABASE events OWNER $DB_USER"
}

psql_admin() { psql -X -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

stop_postgres() {
  local dir=$1
  [ -e "$dir" ] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$(readlink -f "$dir")" -m fast -w stop >/dev/null 2>&1 || true
}

pg_connection_string() { echo "Host=127.0.0.1;Port=$1;Database=${2:-events};Username=$DB_USER;Password=$DB_PASSWORD"; }

# start_azurite <location dir> <port> [--inMemoryPersistence]: the queue service only.
start_azurite() {
  local dir=$1 port=$2; shift 2
  ensure_azurite
  require_free_port "$port" "Azurite" "EVENTS_AZURITE_PORT"
  mkdir -p "$dir"
  local location=(--location "$dir")
  # Azurite refuses a location together with in-memory persistence.
  [[ " $* " == *" --inMemoryPersistence "* ]] && location=()
  "$REPO_ROOT/node_modules/.bin/azurite-queue" --queueHost 127.0.0.1 --queuePort "$port" "${location[@]}" \
    --skipApiVersionCheck --loose --silent "$@" >"$dir/azurite.log" 2>&1 &
  AZURITE_PID=$!
  for _ in $(seq 1 600); do
    port_in_use "$port" && return 0
    kill -0 "$AZURITE_PID" 2>/dev/null || { cat "$dir/azurite.log" >&2; die "Azurite exited at start (log above)"; }
    sleep 0.1
  done
  die "Azurite did not start listening on port $port within 60s"
}

stop_azurite() {
  if [ -n "${AZURITE_PID:-}" ]; then
    kill "$AZURITE_PID" 2>/dev/null || true
    # Azurite sometimes lingers after SIGTERM; give it five seconds, then end it.
    for _ in $(seq 1 50); do kill -0 "$AZURITE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$AZURITE_PID" 2>/dev/null || true
    wait "$AZURITE_PID" 2>/dev/null || true
  fi
  AZURITE_PID=
}

azurite_connection_string() {
  echo "DefaultEndpointsProtocol=http;AccountName=$AZURITE_ACCOUNT;AccountKey=$AZURITE_KEY;QueueEndpoint=http://127.0.0.1:$1/$AZURITE_ACCOUNT;"
}
