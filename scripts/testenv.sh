#!/usr/bin/env bash
# The one entry point of the test environment: real MariaDB, Kafka and a Kubernetes API server on
# 127.0.0.1, started without Docker. Idempotent: `up` only starts what is not running.
#   scripts/testenv.sh up|down|status|env|logs|install [mariadb|kafka|kube|kafka-compat ...]
# kafka-compat (older Kafka brokers beside the default one, see testenv/kafka-compat.sh) starts only
# when named: `up` and `install` default to mariadb, kafka and kube; `down`, `status`, `env` and
# `logs` default to every service, so `down` leaves no process and `env` lists what runs.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/testenv/lib.sh"
for svc in mariadb kafka kube kafka-compat; do . "$here/testenv/$svc.sh"; done

usage="usage: scripts/testenv.sh up|down|status|env|logs|install [mariadb|kafka|kube|kafka-compat ...]"
cmd="${1:-}"; shift || true
services=("$@")
if [ ${#services[@]} -eq 0 ]; then
  case "$cmd" in
    up|install) services=(mariadb kafka kube) ;;
    *) services=(mariadb kafka kube kafka-compat) ;;
  esac
fi
for s in "${services[@]}"; do
  case "$s" in mariadb|kafka|kube|kafka-compat) ;; *) die "unknown service '$s' (mariadb, kafka, kube, kafka-compat)";; esac
done
# Each service file defines <service>_up, _down, ... (kafka-compat: kafka_compat_up, ...).
fns=(); for s in "${services[@]}"; do fns+=("${s//-/_}"); done

case "$cmd" in
  up)
    # Installs run one after another (apt holds one lock); starts are quick once installed.
    for s in "${fns[@]}"; do "${s}_install"; done
    for s in "${fns[@]}"; do "${s}_up"; done
    step "environment ready; run: eval \"\$(scripts/testenv.sh env)\""
    ;;
  install) for s in "${fns[@]}"; do "${s}_install"; done ;;
  down)
    # `make demo` leaves its operator and kubelet stand-in running on these services: they go first,
    # with the worker pods the stand-in runs, so nothing is left that claims a job is alive.
    if [ $# -eq 0 ]; then
      for pidfile in "$STATE"/demo/*.pid; do
        if [ -e "$pidfile" ]; then stop_pid "$pidfile" "demo $(basename "$pidfile" .pid)"; fi
      done
    fi
    for s in "${fns[@]}"; do "${s}_down"; done
    ;;
  status)
    for s in "${fns[@]}"; do "${s}_status"; done
    for pidfile in "$STATE"/demo/*.pid; do
      if pid_alive "$pidfile"; then echo "demo $(basename "$pidfile" .pid): running (pid $(cat "$pidfile"))"; fi
    done
    ;;
  # `eval "$(scripts/testenv.sh env)"` exports every coordinate and puts kubectl, helm and the
  # Kafka CLI wrappers (kafka-topics, kafka-configs, kafka-console-consumer, ...) on PATH.
  env)
    { for s in "${fns[@]}"; do "${s}_env"; done; } | while IFS= read -r line; do
      [ -n "$line" ] && printf "export %s=%s\n" "${line%%=*}" "$(shell_quote "${line#*=}")"
    done
    printf 'export PATH=%s:"$PATH"\n' "$(shell_quote "$TOOLS_BIN:$KUBE_BIN")"
    ;;
  logs) for s in "${fns[@]}"; do "${s}_logs"; done ;;
  *) die "$usage" ;;
esac
