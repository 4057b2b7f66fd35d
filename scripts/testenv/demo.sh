# The processes `make demo` leaves running on top of the services (scripts/demo.ts): the operator
# and the kubelet stand-in, which runs the job's worker. Not started here; listed, logged and
# stopped like the services, so `down` leaves nothing behind that claims a job is alive.
# Sourced by testenv.sh.

DEMO_DIR="$STATE/demo"

demo_install() { :; }
demo_up() { die "the demo's operator and kubelet stand-in are started by 'make demo'"; }

demo_down() {
  local pidfile
  for pidfile in "$DEMO_DIR"/*.pid; do
    if [ -e "$pidfile" ]; then stop_pid "$pidfile" "demo $(basename "$pidfile" .pid)"; fi
  done
}

demo_status() {
  local pidfile found=""
  for pidfile in "$DEMO_DIR"/*.pid; do
    if pid_alive "$pidfile"; then echo "demo $(basename "$pidfile" .pid): running (pid $(cat "$pidfile"))"; found=1; fi
  done
  [ -n "$found" ] || echo "demo: not running"
}

demo_env() { :; }

demo_logs() { if [ -d "$DEMO_DIR" ]; then ls "$DEMO_DIR"/*.log 2>/dev/null || true; fi; }
