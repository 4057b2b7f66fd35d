# Shared helpers for the test-environment scripts. Sourced, never run.
# Downloads and builds are cached outside the work tree (CACHE) so a fresh clone reuses them;
# each run's data, logs and pid files live in STATE, one folder per service.
set -euo pipefail

CACHE="${SYNCJOB_CACHE:-$HOME/.cache/syncjob-operator}"
STATE="${SYNCJOB_TESTENV_STATE:-$CACHE/run}"
MYSQL_PORT="${SYNCJOB_MYSQL_PORT:-13306}"
KAFKA_PORT="${SYNCJOB_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${SYNCJOB_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_SASL_PORT="${SYNCJOB_KAFKA_SASL_PORT:-19094}"
KAFKA_SSL_PORT="${SYNCJOB_KAFKA_SSL_PORT:-19095}"
KAFKA_VERSION="${SYNCJOB_KAFKA_VERSION:-4.1.2}"
# Compat brokers (kafka-compat.sh): which versions `up kafka-compat` starts, and their ports.
KAFKA_COMPAT_VERSIONS="${SYNCJOB_KAFKA_COMPAT_VERSIONS:-0.10.2.2}"
KAFKA_0_10_PORT="${SYNCJOB_KAFKA_0_10_PORT:-19192}"
KAFKA_0_10_ZK_PORT="${SYNCJOB_KAFKA_0_10_ZK_PORT:-12181}"
KAFKA_1_0_PORT="${SYNCJOB_KAFKA_1_0_PORT:-19292}"
KAFKA_1_0_ZK_PORT="${SYNCJOB_KAFKA_1_0_ZK_PORT:-12281}"
KAFKA_3_9_PORT="${SYNCJOB_KAFKA_3_9_PORT:-19392}"
KAFKA_3_9_CONTROLLER_PORT="${SYNCJOB_KAFKA_3_9_CONTROLLER_PORT:-19393}"
ETCD_PORT="${SYNCJOB_ETCD_PORT:-12379}"
ETCD_PEER_PORT="${SYNCJOB_ETCD_PEER_PORT:-12380}"
APISERVER_PORT="${SYNCJOB_APISERVER_PORT:-16443}"
K8S_VERSION="${SYNCJOB_K8S_VERSION:-v1.33.13}"

# Command-line tools of the running services (the Kafka CLI wrappers), put on PATH by `env`.
TOOLS_BIN="$STATE/bin"

mkdir -p "$CACHE" "$STATE"

# A value in single quotes, safe to eval (an embedded ' becomes '\'').
shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Progress goes to stderr so `testenv env` output stays machine-readable.
step() { printf '[testenv %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[testenv] ERROR: %s\n' "$*" >&2; exit 1; }

# Runs apt-get install only for packages that are missing; `apt-get update` once per machine-day.
apt_ensure() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} by hand"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  step "installing Debian packages: ${missing[*]}"
  apt_update
  with_progress "apt-get install" "$CACHE/apt.log" $sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" || die "apt-get install ${missing[*]} failed"
}

# The package lists, refreshed once a day.
apt_update() {
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  local stamp="$CACHE/.apt-updated"
  if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
    with_progress "apt-get update" "$CACHE/apt.log" $sudo apt-get update -qq || die "apt-get update failed"
    touch "$stamp"
  fi
}

# apt_unpack <package> <dir>: a Debian package's files under <dir>, without installing it (for
# packages whose install would start a system service).
apt_unpack() {
  local pkg=$1 dir=$2 tmp
  command -v apt-get >/dev/null || die "apt-get not found: cannot fetch $pkg"
  apt_update
  tmp=$(mktemp -d)
  (cd "$tmp" && with_progress "apt-get download $pkg" "$CACHE/apt.log" apt-get download "$pkg") || die "apt-get download $pkg failed"
  mkdir -p "$dir"
  dpkg-deb -x "$tmp"/"$pkg"_*.deb "$dir" || die "could not unpack $pkg"
  rm -rf "$tmp"
}

# with_progress <what> <log> <command...>: runs a long step with its output in <log>, saying every
# 30 s that it is still going; on failure prints the log's tail and returns the command's status.
with_progress() {
  local what=$1 log=$2; shift 2
  "$@" >>"$log" 2>&1 &
  local pid=$! start=$SECONDS next=$((SECONDS + 30)) rc=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $next ]; then step "$what: still running ($((SECONDS - start))s)"; next=$((next + 30)); fi
    sleep 1
  done
  wait "$pid" || rc=$?
  [ $rc -eq 0 ] || { tail -n 20 "$log" >&2; step "$what failed (full log: $log)"; }
  return $rc
}

# A new Kafka cluster id: 16 random bytes in unpadded base64url, as `StorageTool random-uuid`
# prints. Like Kafka's Uuid.randomUuid, one that begins with '-' is drawn again: the storage
# tool would read it as an option (1 format in 64 failed with "--cluster-id expected one argument").
kafka_cluster_id() {
  local id
  while id=$(openssl rand 16 | base64 | tr '+/' '-_' | tr -d '='); [[ $id == -* ]]; do :; done
  printf '%s' "$id"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Fails early with the name of whatever already holds a port we need.
port_free() {
  local port=$1 who
  if who=$(ss -Hltnp "sport = :$port" 2>/dev/null) && [ -n "$who" ]; then
    die "port $port is already in use ($who); stop that process or set the matching SYNCJOB_*_PORT"
  fi
}

# wait_until <seconds> <what> <log> <command...>: polls a real readiness probe, never a fixed sleep.
wait_until() {
  local timeout=$1 what=$2 log=$3; shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      printf '[testenv] ERROR: %s not ready after %ss; last lines of %s:\n' "$what" "$timeout" "$log" >&2
      tail -n 30 "$log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

# stop_pid <pidfile> <name>: SIGTERM, wait, then SIGKILL; removes the pid file.
stop_pid() {
  local pidfile=$1 name=$2 pid i
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    step "$name did not stop in 10s; killing it"
    kill -9 "$pid" 2>/dev/null || true
    # Gone before we return, so its ports are free for a restart.
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
  step "stopped $name"
}

# Starts a detached daemon that survives the calling shell, its output in one log file.
spawn() {
  local pidfile=$1 log=$2; shift 2
  setsid "$@" >>"$log" 2>&1 < /dev/null &
  echo $! >"$pidfile"
}
