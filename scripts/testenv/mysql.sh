# A real Oracle MySQL server (Debian sid's mysql-server-core, 9.x) on 127.0.0.1 with the binlog,
# GTIDs and ROW/FULL images on, as the product's MySQL and PolarDB users run it. Debian's stable
# suite has no MySQL server and sid's needs sid's glibc, so it lives in a Debian sid root of its own
# (debootstrap, cached like the other services' downloads) and runs there under chroot.
# Accounts: root@127.0.0.1 with no password (test set-up only) and a least-privilege sync account
# with caching_sha2_password (MySQL's default) and the grants a managed database hands a CDC reader.
# A second server in the same root (`up mysql-replica`, port ORACLE_MYSQL_REPLICA_PORT) replicates
# from the first by GTID, for the failover tests. Sourced by testenv.sh.

DEBIAN_MIRROR="${SYNCJOB_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
MYSQL_ROOTFS="$CACHE/mysql-sid-root"
ORACLE_MYSQL_PORT="${SYNCJOB_ORACLE_MYSQL_PORT:-13307}"
ORACLE_MYSQL_REPLICA_PORT="${SYNCJOB_ORACLE_MYSQL_REPLICA_PORT:-13308}"

# The root is made in a temporary folder and renamed when complete, so an interrupted first run is
# redone rather than half used.
mysql_install() {
  [ -x "$MYSQL_ROOTFS/usr/sbin/mysqld" ] && return 0
  apt_ensure debootstrap
  local tmp="$MYSQL_ROOTFS.partial" log="$CACHE/mysql-root.log"
  mysql_unmount "$tmp"
  rm -rf "$tmp"; : >"$log"
  step "making a Debian sid root for MySQL (debootstrap, first run only, ~2-3 min)"
  with_progress "debootstrap sid" "$log" debootstrap --variant=minbase sid "$tmp" "$DEBIAN_MIRROR" \
    || die "debootstrap of Debian sid failed (log: $log)"
  # sid's Release file is past its Valid-Until date on some mirrors.
  step "installing mysql-server-core in the sid root (~1 min)"
  with_progress "apt-get install mysql-server-core" "$log" chroot "$tmp" env DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get -o Acquire::Check-Valid-Until=false update -qq &&
      apt-get -o Acquire::Check-Valid-Until=false install -y -qq --no-install-recommends mysql-server-core mysql-client &&
      apt-get clean' || die "installing MySQL in the sid root failed (log: $log)"
  mv "$tmp" "$MYSQL_ROOTFS"
  step "MySQL installed: $(chroot "$MYSQL_ROOTFS" mysqld --version)"
}

# Unmounts whatever testenv mounted in a root (only /proc).
mysql_unmount() { if mountpoint -q "$1/proc" 2>/dev/null; then umount -l "$1/proc"; fi; }

# mysql_instance_sql <port> <sql>: root over TCP, as the tests connect.
mysql_instance_sql() {
  chroot "$MYSQL_ROOTFS" mysql --no-defaults --protocol=TCP -h 127.0.0.1 -P "$1" -u root \
    --batch --skip-column-names -e "$2"
}

# mysql_instance_up <name> <port> <server-id>: a fresh datadir and a mysqld on 127.0.0.1:<port>.
mysql_instance_up() {
  local name=$1 port=$2 id=$3
  local dir="/srv/$name" host="$MYSQL_ROOTFS/srv/$name"
  if pid_alive "$host/mysqld.pid"; then step "$name already running on 127.0.0.1:$port"; return 0; fi
  port_free "$port"
  mountpoint -q "$MYSQL_ROOTFS/proc" || mount -t proc proc "$MYSQL_ROOTFS/proc"
  # A fresh datadir every start: tests own all state, and a stale binlog can't leak between runs.
  rm -rf "$host"; mkdir -p "$host"
  cat >"$host/my.cnf" <<CNF
[mysqld]
user=root
datadir=$dir/data
port=$port
bind-address=127.0.0.1
socket=$dir/mysqld.sock
pid-file=$dir/mysqld.pid
log-error=$dir/mysqld.log
secure-file-priv=
mysqlx=OFF
skip-name-resolve
server-id=$id
log-bin=$dir/data/binlog
log-replica-updates=ON
binlog_format=ROW
binlog_row_image=FULL
# As many production servers run (MySQL 8.0.20+): every suite reads compressed transactions;
# test/integration/source/mysql-flavors.test.ts turns it off per session for the plain form.
binlog_transaction_compression=ON
gtid_mode=ON
enforce_gtid_consistency=ON
character-set-server=utf8mb4
performance_schema=OFF
innodb_buffer_pool_size=256M
innodb_flush_log_at_trx_commit=2
sync_binlog=0
max_connections=500
max_allowed_packet=256M
CNF
  step "initializing the $name datadir"
  chroot "$MYSQL_ROOTFS" mysqld --defaults-file="$dir/my.cnf" --initialize-insecure >"$host/install.log" 2>&1 \
    || { tail -n 20 "$host/mysqld.log" >&2; die "mysqld --initialize-insecure failed"; }
  step "starting $name on 127.0.0.1:$port"
  spawn "$host/launcher.pid" "$host/launcher.log" chroot "$MYSQL_ROOTFS" mysqld --defaults-file="$dir/my.cnf"
  # root@localhost exists after --initialize-insecure; the socket reaches it before TCP users exist.
  wait_until 90 "$name" "$host/mysqld.log" chroot "$MYSQL_ROOTFS" mysql --no-defaults -S "$dir/mysqld.sock" -u root -e "SELECT 1"
  chroot "$MYSQL_ROOTFS" mysql --no-defaults -S "$dir/mysqld.sock" -u root -e "
    CREATE USER 'root'@'127.0.0.1' IDENTIFIED BY '';
    GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
    CREATE USER '$MYSQL_SYNC_USER'@'%' IDENTIFIED WITH caching_sha2_password BY '$MYSQL_SYNC_PASSWORD';
    GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '$MYSQL_SYNC_USER'@'%';
    RESET BINARY LOGS AND GTIDS;" || die "could not create the accounts in $name"
  step "$name ready ($(mysql_instance_sql "$port" 'SELECT VERSION()'))"
}

mysql_instance_down() {
  local name=$1 host="$MYSQL_ROOTFS/srv/$1"
  local pidfile="$host/mysqld.pid"
  pid_alive "$pidfile" || pidfile="$host/launcher.pid"
  stop_pid "$pidfile" "$name"
  rm -f "$host/launcher.pid"
}

mysql_up() {
  mysql_install
  mysql_instance_up mysql "$ORACLE_MYSQL_PORT" 11
}

mysql_down() {
  mysql_replica_down
  mysql_instance_down mysql
  pid_alive "$MYSQL_ROOTFS/srv/mysql-replica/mysqld.pid" || mysql_unmount "$MYSQL_ROOTFS"
}

mysql_status() {
  if [ -x "$MYSQL_ROOTFS/usr/sbin/mysqld" ] && mysql_instance_sql "$ORACLE_MYSQL_PORT" "SELECT 1" >/dev/null 2>&1; then
    echo "mysql: ready 127.0.0.1:$ORACLE_MYSQL_PORT"
  else echo "mysql: down"; fi
}

mysql_env() {
  printf 'ORACLE_MYSQL_HOST=127.0.0.1\nORACLE_MYSQL_PORT=%s\nORACLE_MYSQL_ROOT_USER=root\nORACLE_MYSQL_ROOT_PASSWORD=\n' "$ORACLE_MYSQL_PORT"
  printf 'ORACLE_MYSQL_SYNC_USER=%s\nORACLE_MYSQL_SYNC_PASSWORD=%s\n' "$MYSQL_SYNC_USER" "$MYSQL_SYNC_PASSWORD"
  printf 'ORACLE_MYSQL_REPLICA_PORT=%s\nORACLE_MYSQL_ROOTFS=%s\n' "$ORACLE_MYSQL_REPLICA_PORT" "$MYSQL_ROOTFS"
}

mysql_logs() { echo "$MYSQL_ROOTFS/srv/mysql/mysqld.log"; }

# The replica: a second mysqld in the same root, replicating from the first by GTID auto-position.
mysql_replica_install() { mysql_install; }

mysql_replica_up() {
  mysql_up
  mysql_instance_up mysql-replica "$ORACLE_MYSQL_REPLICA_PORT" 12
  mysql_instance_sql "$ORACLE_MYSQL_REPLICA_PORT" "
    CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT=$ORACLE_MYSQL_PORT, SOURCE_USER='root',
      SOURCE_PASSWORD='', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1;
    START REPLICA;" || die "could not start replication on mysql-replica"
}

mysql_replica_down() { mysql_instance_down mysql-replica; }
mysql_replica_status() {
  if mysql_instance_sql "$ORACLE_MYSQL_REPLICA_PORT" "SELECT 1" >/dev/null 2>&1; then
    echo "mysql-replica: ready 127.0.0.1:$ORACLE_MYSQL_REPLICA_PORT"
  else echo "mysql-replica: down"; fi
}
mysql_replica_env() { :; }
mysql_replica_logs() { echo "$MYSQL_ROOTFS/srv/mysql-replica/mysqld.log"; }
