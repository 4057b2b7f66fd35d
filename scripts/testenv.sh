#!/usr/bin/env bash
# The one entry point of the test environment: real MariaDB, MySQL, Kafka and a Kubernetes API server
# on 127.0.0.1, started without Docker. Idempotent: `up` only starts what is not running.
#   scripts/testenv.sh up|down|status|env|logs|install [mariadb|mysql|mysql-replica|kafka|kube|kafka-compat|demo ...]
# kafka-compat (older Kafka brokers beside the default one, see testenv/kafka-compat.sh) and
# mysql-replica (a second MySQL replicating from the first) start only when named: `up` and
# `install` default to mariadb, mysql, kafka and kube; `down`, `status`, `env` and
# `logs` default to every service, so `down` leaves no process and `env` lists what runs. demo is
# what `make demo` leaves running (testenv/demo.sh): never started here, stopped first by `down`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/testenv/lib.sh"
for svc in mariadb mysql kafka kube kafka-compat demo; do . "$here/testenv/$svc.sh"; done

usage="usage: scripts/testenv.sh up|down|status|env|logs|install [mariadb|mysql|mysql-replica|kafka|kube|kafka-compat|demo ...]"
cmd="${1:-}"; shift || true
services=("$@")
if [ ${#services[@]} -eq 0 ]; then
  case "$cmd" in
    up|install) services=(mariadb mysql kafka kube) ;;
    # demo first: `make demo`'s operator and kubelet stand-in stop before the services they use.
    *) services=(demo mariadb mysql-replica mysql kafka kube kafka-compat) ;;
  esac
fi
for s in "${services[@]}"; do
  case "$s" in mariadb|mysql|mysql-replica|kafka|kube|kafka-compat|demo) ;; *) die "unknown service '$s' (mariadb, mysql, mysql-replica, kafka, kube, kafka-compat, demo)";; esac
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
  down) for s in "${fns[@]}"; do "${s}_down"; done ;;
  status) for s in "${fns[@]}"; do "${s}_status"; done ;;
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
