# Extra Kafka brokers of older versions for the compatibility matrix, beside the default broker and
# on their own ports: 0.10.2.2 and 1.0.2 with ZooKeeper, 3.9.1 in KRaft mode. One PLAINTEXT
# listener each on 127.0.0.1, every replication factor 1 (1.0+ runs transactions on one node).
# The old brokers come from Maven Central (kafka_2.12) with ZooKeeper 3.5.9 instead of their 3.4
# (which does not run on Java 17), jaxb-api (0.10.2 needs it on Java 11+) and reload4j for logging;
# 3.9.1 reuses the libs kafka.sh installs for SYNCJOB_KAFKA_VERSION=3.9.1.
# `up kafka-compat` starts SYNCJOB_KAFKA_COMPAT_VERSIONS (default 0.10.2.2, the subset `make test`
# runs); `down`, `status`, `env` and `logs` cover every compat broker, whichever started it.
# Sourced by testenv.sh.

KAFKA_COMPAT_ALL="0.10.2.2 1.0.2 3.9.1"
KAFKA_COMPAT_DIR="$STATE/kafka-compat"
ZOOKEEPER_VERSION=3.5.9

# kc_line <version>: the version line that names the env keys (KAFKA_0_10_BROKERS, ...).
kc_line() {
  case "$1" in
    0.10.2.2) echo 0_10 ;;
    1.0.2) echo 1_0 ;;
    3.9.1) echo 3_9 ;;
    *) die "unknown compat Kafka version '$1' in SYNCJOB_KAFKA_COMPAT_VERSIONS (known: $KAFKA_COMPAT_ALL)" ;;
  esac
}
kc_port() { local var="KAFKA_$(kc_line "$1")_PORT"; echo "${!var}"; }
# The second port: ZooKeeper for 0.10/1.0, the KRaft controller for 3.9.
kc_port2() {
  case "$1" in
    3.9.1) echo "$KAFKA_3_9_CONTROLLER_PORT" ;;
    *) local var="KAFKA_$(kc_line "$1")_ZK_PORT"; echo "${!var}" ;;
  esac
}
kc_kraft() { [ "$1" = 3.9.1 ]; }
kc_dir() { echo "$KAFKA_COMPAT_DIR/$1"; }
kc_libs() { echo "$CACHE/kafka/$1/libs"; }
kc_java_bin() {
  if [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]; then echo /usr/lib/jvm/java-17-openjdk-amd64/bin/java
  else command -v java; fi
}

# The versions `up kafka-compat` starts, each checked against the known ones (in this shell, so
# an unknown one stops the script).
kc_wanted=()
kc_check_versions() {
  local v
  kc_wanted=()
  for v in $KAFKA_COMPAT_VERSIONS; do kc_line "$v" >/dev/null; kc_wanted+=("$v"); done
}

kc_install_version() {
  local version=$1 libs; libs=$(kc_libs "$version")
  if kc_kraft "$version"; then
    # kafka.sh's installer, pointed at 3.9.1 (a subshell, so the default broker's settings stay).
    ( KAFKA_VERSION=$version; KAFKA_LIBS=$libs; kafka_install ) || die "could not install Kafka $version"
    return 0
  fi
  [ -f "$libs/.complete" ] && return 0
  local build="$CACHE/kafka/$version/build"
  mkdir -p "$build" "$libs"
  local drop='<exclusion><groupId>log4j</groupId><artifactId>log4j</artifactId></exclusion><exclusion><groupId>org.slf4j</groupId><artifactId>slf4j-log4j12</artifactId></exclusion>'
  cat >"$build/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.syncjob.testenv</groupId><artifactId>kafka-compat-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.12</artifactId><version>$version</version>
      <exclusions><exclusion><groupId>org.apache.zookeeper</groupId><artifactId>zookeeper</artifactId></exclusion>$drop</exclusions></dependency>
    <dependency><groupId>org.apache.zookeeper</groupId><artifactId>zookeeper</artifactId><version>$ZOOKEEPER_VERSION</version>
      <exclusions><exclusion><groupId>io.netty</groupId><artifactId>*</artifactId></exclusion>$drop</exclusions></dependency>
    <dependency><groupId>org.apache.zookeeper</groupId><artifactId>zookeeper-jute</artifactId><version>$ZOOKEEPER_VERSION</version></dependency>
    <dependency><groupId>javax.xml.bind</groupId><artifactId>jaxb-api</artifactId><version>2.3.0</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
  step "fetching Apache Kafka $version + ZooKeeper $ZOOKEEPER_VERSION from Maven Central (first time only)"
  (cd "$build" && with_progress "resolving Kafka $version with Maven" "$build/mvn.log" \
    mvn -B -q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs") \
    || die "Maven could not resolve org.apache.kafka:kafka_2.12:$version"
  touch "$libs/.complete"
}

kafka_compat_install() {
  kc_check_versions
  apt_ensure openjdk-17-jre-headless maven
  local v
  for v in "${kc_wanted[@]}"; do kc_install_version "$v"; done
}

# A Java class on a compat version's classpath, logging to stderr at WARN.
kc_tool() {
  local version=$1; shift
  "$(kc_java_bin)" -Xmx256m -cp "$(kc_libs "$version")/*" \
    -Dlog4j.configuration="file:$(kc_dir "$version")/log4j-tools.properties" "$@"
}

# True when ZooKeeper answers `srvr` as a running standalone server.
kc_zk_ready() {
  local out
  out=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf srvr >&3 && cat <&3' _ "$1" 2>/dev/null) \
    && [[ $out == *"Mode: standalone"* ]]
}

# Polled cheaply; kc_up follows it with a real metadata request.
kc_broker_started() {
  local version=$1 dir; dir=$(kc_dir "$version")
  grep -q 'started (kafka.server.KafkaServer)\|Kafka Server started' "$dir/kafka.log" 2>/dev/null \
    && (exec 3<>"/dev/tcp/127.0.0.1/$(kc_port "$version")") 2>/dev/null
}

# Running = every process of that broker is alive.
kc_running() {
  local dir; dir=$(kc_dir "$1")
  pid_alive "$dir/kafka.pid" && { kc_kraft "$1" || pid_alive "$dir/zookeeper.pid"; }
}

kc_write_configs() {
  local version=$1 dir port port2
  dir=$(kc_dir "$version"); port=$(kc_port "$version"); port2=$(kc_port2 "$version")
  cat >"$dir/log4j.properties" <<'L4J'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.zookeeper=WARN
log4j.logger.org.I0Itec.zkclient=WARN
L4J
  cat >"$dir/log4j-tools.properties" <<'L4J'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
L4J
  local common="log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
default.replication.factor=1
min.insync.replicas=1"
  # 0.10 knows neither transactions nor the rebalance delay (it would only warn about them).
  local tx="transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0"
  [ "$version" = 0.10.2.2 ] && tx=""
  if kc_kraft "$version"; then
    cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$port2
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$port2
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
$common
$tx
PROPS
  else
    cat >"$dir/zookeeper.properties" <<PROPS
dataDir=$dir/zookeeper
clientPort=$port2
clientPortAddress=127.0.0.1
tickTime=2000
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr
PROPS
    cat >"$dir/server.properties" <<PROPS
broker.id=0
listeners=PLAINTEXT://127.0.0.1:$port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
zookeeper.connect=127.0.0.1:$port2
zookeeper.connection.timeout.ms=15000
# One broker: no other replica to hand leadership to, so stopping skips the shutdown handshake.
controlled.shutdown.enable=false
$common
$tx
PROPS
  fi
}

kc_up_version() {
  local version=$1 dir port port2 java
  dir=$(kc_dir "$version"); port=$(kc_port "$version"); port2=$(kc_port2 "$version"); java=$(kc_java_bin)
  mkdir -p "$dir"
  if kc_running "$version"; then
    local ports; ports=$(cat "$dir/ports" 2>/dev/null || echo unknown)
    [ "$ports" = "$port $port2" ] \
      || die "compat Kafka $version runs on ports $ports, not $port $port2: run 'scripts/testenv.sh down kafka-compat' first"
    step "compat Kafka $version already running on 127.0.0.1:$port"; return 0
  fi
  kc_down_version "$version" # a half-started pair (one process died) is started afresh
  port_free "$port"; port_free "$port2"
  kc_write_configs "$version"
  rm -rf "$dir/data" "$dir/zookeeper" "$dir"/*.log
  echo "$port $port2" >"$dir/ports"
  local started=$SECONDS
  local jvm=(-Xms128m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$(kc_libs "$version")/*")
  if kc_kraft "$version"; then
    local cluster_id; cluster_id=$(kafka_cluster_id)
    kc_tool "$version" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" \
      >"$dir/format.log" 2>&1 || { tail -n 20 "$dir/format.log" >&2; die "formatting storage of compat Kafka $version failed"; }
  else
    step "starting ZooKeeper $ZOOKEEPER_VERSION for compat Kafka $version on 127.0.0.1:$port2"
    spawn "$dir/zookeeper.pid" "$dir/zookeeper.log" "$java" -Xms32m -Xmx128m \
      -Dlog4j.configuration="file:$dir/log4j.properties" -Dzookeeper.admin.enableServer=false \
      -cp "$(kc_libs "$version")/*" org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zookeeper.properties"
    wait_until 60 "ZooKeeper (compat Kafka $version)" "$dir/zookeeper.log" kc_zk_ready "$port2"
  fi
  step "starting compat Kafka $version on 127.0.0.1:$port"
  spawn "$dir/kafka.pid" "$dir/kafka.log" "$java" "${jvm[@]}" kafka.Kafka "$dir/server.properties"
  wait_until 120 "compat Kafka $version" "$dir/kafka.log" kc_broker_started "$version"
  # A metadata request proves the broker answers (and lists itself) before anyone is told it is up.
  if kc_kraft "$version"; then
    kc_tool "$version" org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" --list >"$dir/probe.log" 2>&1
  else
    # Sends Metadata (to find the brokers) and ApiVersions; the broker must answer on its own port.
    kc_tool "$version" kafka.admin.BrokerApiVersionsCommand --bootstrap-server "127.0.0.1:$port" >"$dir/probe.log" 2>&1 \
      && grep -q "^127.0.0.1:$port " "$dir/probe.log"
  fi || { tail -n 20 "$dir/probe.log" >&2; die "compat Kafka $version started but did not answer a metadata request (log: $dir/kafka.log)"; }
  step "compat Kafka $version ready on 127.0.0.1:$port ($((SECONDS - started))s)"
}

kc_down_version() {
  local dir; dir=$(kc_dir "$1")
  # The broker first: its controlled shutdown talks to ZooKeeper.
  stop_pid "$dir/kafka.pid" "compat kafka $1"
  stop_pid "$dir/zookeeper.pid" "zookeeper of compat kafka $1"
}

kafka_compat_up() {
  kafka_compat_install
  local v
  for v in "${kc_wanted[@]}"; do kc_up_version "$v"; done
}

kafka_compat_down() {
  local v
  for v in $KAFKA_COMPAT_ALL; do kc_down_version "$v"; done
}

kafka_compat_status() {
  local v
  for v in $KAFKA_COMPAT_ALL; do
    if kc_running "$v" && kc_broker_started "$v"; then
      echo "kafka-compat $v: ready 127.0.0.1:$(kc_port "$v")"
    else
      echo "kafka-compat $v: down"
    fi
  done
}

# KAFKA_COMPAT_VERSIONS: what `up kafka-compat` is configured to start (tests require these);
# then the coordinates of each compat broker that runs now.
kafka_compat_env() {
  kc_check_versions
  printf 'KAFKA_COMPAT_VERSIONS=%s\n' "${kc_wanted[*]}"
  local v line
  for v in $KAFKA_COMPAT_ALL; do
    kc_running "$v" || continue
    line=$(kc_line "$v")
    printf 'KAFKA_%s_BROKERS=127.0.0.1:%s\nKAFKA_%s_VERSION=%s\n' "$line" "$(kc_port "$v")" "$line" "$v"
  done
}

kafka_compat_logs() {
  local v dir
  for v in $KAFKA_COMPAT_ALL; do
    dir=$(kc_dir "$v")
    if kc_kraft "$v"; then echo "$dir/kafka.log"; else echo "$dir/zookeeper.log $dir/kafka.log"; fi
  done
}
