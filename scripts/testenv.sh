#!/usr/bin/env bash
# The one entry point of the test environment: real MariaDB, Kafka and a Kubernetes API server on
# 127.0.0.1, started without Docker. Idempotent: `up` only starts what is not running.
#   scripts/testenv.sh up|down|status|env|logs|install [mariadb|kafka|kube ...]
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/testenv/lib.sh"
for svc in mariadb kafka kube; do . "$here/testenv/$svc.sh"; done

cmd="${1:-}"; shift || true
services=("$@"); [ ${#services[@]} -gt 0 ] || services=(mariadb kafka kube)
for s in "${services[@]}"; do
  case "$s" in mariadb|kafka|kube) ;; *) die "unknown service '$s' (mariadb, kafka, kube)";; esac
done

case "$cmd" in
  up)
    # Installs run one after another (apt holds one lock); starts are quick once installed.
    for s in "${services[@]}"; do "${s}_install"; done
    for s in "${services[@]}"; do "${s}_up"; done
    step "environment ready; run: eval \"\$(scripts/testenv.sh env)\""
    ;;
  install) for s in "${services[@]}"; do "${s}_install"; done ;;
  down) for s in "${services[@]}"; do "${s}_down"; done ;;
  status) for s in "${services[@]}"; do "${s}_status"; done ;;
  env) for s in "${services[@]}"; do "${s}_env"; done ;;
  logs) for s in "${services[@]}"; do "${s}_logs"; done ;;
  *) die "usage: scripts/testenv.sh up|down|status|env|logs|install [mariadb|kafka|kube ...]" ;;
esac
