# MariaDB 10.11 (Debian package) on 127.0.0.1 with binlog ROW/FULL and GTID. Sourced by testenv.sh.
# Accounts: root@127.0.0.1 with no password (test set-up only) and a least-privilege sync account
# with exactly the grants a managed database hands a CDC reader.

MARIADB_DIR="$STATE/mariadb"
MYSQL_SYNC_USER="${SYNCJOB_MYSQL_SYNC_USER:-syncjob}"
MYSQL_SYNC_PASSWORD="${SYNCJOB_MYSQL_SYNC_PASSWORD:-syncjob-test-pw}"

mariadb_install() {
  apt_ensure mariadb-server mariadb-client
}

mariadb_sql() { mariadb --no-defaults -h 127.0.0.1 -P "$MYSQL_PORT" -u root --batch --skip-column-names -e "$1"; }

mariadb_up() {
  mariadb_install
  mkdir -p "$MARIADB_DIR"
  if pid_alive "$MARIADB_DIR/mariadbd.pid"; then step "mariadb already running on 127.0.0.1:$MYSQL_PORT"; return 0; fi
  port_free "$MYSQL_PORT"
  # A fresh datadir every start: tests own all state, and a stale binlog can't leak between runs.
  rm -rf "$MARIADB_DIR/data"
  step "initializing MariaDB datadir"
  mariadb-install-db --no-defaults --datadir="$MARIADB_DIR/data" --user=root \
    --auth-root-authentication-method=normal --skip-test-db >"$MARIADB_DIR/install.log" 2>&1 \
    || { tail -n 20 "$MARIADB_DIR/install.log" >&2; die "mariadb-install-db failed"; }
  step "starting MariaDB on 127.0.0.1:$MYSQL_PORT"
  spawn "$MARIADB_DIR/launcher.pid" "$MARIADB_DIR/mariadbd.log" mariadbd --no-defaults \
    --datadir="$MARIADB_DIR/data" --user=root --port="$MYSQL_PORT" --bind-address=127.0.0.1 \
    --socket="$MARIADB_DIR/mariadbd.sock" --pid-file="$MARIADB_DIR/mariadbd.pid" \
    --log-bin="$MARIADB_DIR/data/binlog" --binlog-format=ROW --binlog-row-image=FULL \
    --binlog-row-metadata=FULL --server-id=1 --log-slave-updates=ON --gtid-strict-mode=ON \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --innodb-buffer-pool-size=512M --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 \
    --max-connections=500 --max-allowed-packet=256M --skip-name-resolve
  wait_until 60 MariaDB "$MARIADB_DIR/mariadbd.log" mariadb_sql "SELECT 1"
  mariadb_sql "CREATE USER IF NOT EXISTS '$MYSQL_SYNC_USER'@'%' IDENTIFIED BY '$MYSQL_SYNC_PASSWORD';
    GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '$MYSQL_SYNC_USER'@'%';" \
    || die "could not create the sync account in MariaDB"
  step "MariaDB ready ($(mariadb_sql 'SELECT VERSION()'))"
}

mariadb_down() {
  # mariadbd removes its own pid file on a clean shutdown; the launcher pid covers a start that failed.
  local pidfile="$MARIADB_DIR/mariadbd.pid"
  pid_alive "$pidfile" || pidfile="$MARIADB_DIR/launcher.pid"
  stop_pid "$pidfile" mariadb
  rm -f "$MARIADB_DIR/launcher.pid"
}

mariadb_status() {
  if mariadb_sql "SELECT 1" >/dev/null 2>&1; then echo "mariadb: ready 127.0.0.1:$MYSQL_PORT"; else echo "mariadb: down"; fi
}

mariadb_env() {
  printf 'MYSQL_HOST=127.0.0.1\nMYSQL_PORT=%s\nMYSQL_ROOT_USER=root\nMYSQL_ROOT_PASSWORD=\n' "$MYSQL_PORT"
  printf 'MYSQL_SYNC_USER=%s\nMYSQL_SYNC_PASSWORD=%s\n' "$MYSQL_SYNC_USER" "$MYSQL_SYNC_PASSWORD"
}

mariadb_logs() { echo "$MARIADB_DIR/mariadbd.log"; }
