# Apache Kafka from Maven Central, single-node KRaft (4.x default, 3.9 selectable with
# SYNCJOB_KAFKA_VERSION=3.9.1), on Java 17. Every replication factor is 1 so transactions work on
# one node. Sourced by testenv.sh.

KAFKA_DIR="$STATE/kafka"
KAFKA_LIBS="$CACHE/kafka/$KAFKA_VERSION/libs"

# The broker's POM brings its runtime; kafka-tools adds the CLI classes (the readiness probe and
# debugging); the logging binding is in neither, so it is added here.
kafka_install() {
  apt_ensure openjdk-17-jre-headless maven
  [ -f "$KAFKA_LIBS/.complete" ] && return 0
  local build="$CACHE/kafka/$KAFKA_VERSION/build" binding
  mkdir -p "$build" "$KAFKA_LIBS"
  case "$KAFKA_VERSION" in
    3.*) binding='<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>' ;;
    *) binding='<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>${log4j.version}</version></dependency>' ;;
  esac
  cat >"$build/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.syncjob.testenv</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <properties><log4j.version>2.24.3</log4j.version></properties>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    $binding
  </dependencies>
</project>
POM
  step "fetching Apache Kafka $KAFKA_VERSION and its runtime from Maven Central (first time only)"
  (cd "$build" && with_progress "resolving Kafka with Maven" "$build/mvn.log" \
    mvn -B -q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS") \
    || die "Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  touch "$KAFKA_LIBS/.complete"
}

kafka_java() {
  local java=java
  [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ] && java=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
  "$java" "$@"
}

kafka_ready() {
  # Polled cheaply (a JVM per poll would cost seconds); kafka_up follows it with a metadata call.
  grep -q 'Kafka Server started\|\[KafkaRaftServer nodeId=1\] Kafka Server started' "$KAFKA_DIR/kafka.log" 2>/dev/null \
    && (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null
}

kafka_up() {
  kafka_install
  mkdir -p "$KAFKA_DIR"
  if pid_alive "$KAFKA_DIR/kafka.pid"; then
    local running; running=$(cat "$KAFKA_DIR/version" 2>/dev/null || echo unknown)
    [ "$running" = "$KAFKA_VERSION" ] \
      || die "Kafka $running is running but $KAFKA_VERSION was asked for: run 'scripts/testenv.sh down kafka' first"
    step "kafka $KAFKA_VERSION already running on 127.0.0.1:$KAFKA_PORT"; return 0
  fi
  port_free "$KAFKA_PORT"; port_free "$KAFKA_CONTROLLER_PORT"
  rm -rf "$KAFKA_DIR/data" "$KAFKA_DIR/kafka.log"
  cat >"$KAFKA_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
default.replication.factor=1
group.initial.rebalance.delay.ms=0
log.flush.interval.messages=9223372036854775807
PROPS
  cat >"$KAFKA_DIR/log4j2.properties" <<'L4J'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
L4J
  cat >"$KAFKA_DIR/log4j.properties" <<'L4J'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.state.change.logger=WARN
L4J
  step "formatting KRaft storage for Kafka $KAFKA_VERSION"
  # A Kafka cluster id is 16 random bytes in unpadded base64url (what `StorageTool random-uuid` prints).
  local cluster_id; cluster_id=$(openssl rand 16 | base64 | tr '+/' '-_' | tr -d '=')
  kafka_java -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/format.log" 2>&1 \
    || { tail -n 20 "$KAFKA_DIR/format.log" >&2; die "formatting Kafka storage failed"; }
  step "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  echo "$KAFKA_VERSION" >"$KAFKA_DIR/version"
  spawn "$KAFKA_DIR/kafka.pid" "$KAFKA_DIR/kafka.log" "$(command -v java)" -Xms256m -Xmx768m -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties"
  wait_until 120 Kafka "$KAFKA_DIR/kafka.log" kafka_ready
  # The log line says the listeners are up; a metadata round trip proves the broker answers.
  kafka_java -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list >"$KAFKA_DIR/probe.log" 2>&1 \
    || { tail -n 20 "$KAFKA_DIR/probe.log" >&2; die "Kafka started but did not answer a metadata request"; }
  step "Kafka ready (127.0.0.1:$KAFKA_PORT)"
}

kafka_down() { stop_pid "$KAFKA_DIR/kafka.pid" kafka; }

kafka_status() {
  if pid_alive "$KAFKA_DIR/kafka.pid" && kafka_ready; then echo "kafka: ready 127.0.0.1:$KAFKA_PORT ($KAFKA_VERSION)"; else echo "kafka: down"; fi
}

kafka_env() { printf 'KAFKA_BROKERS=127.0.0.1:%s\nKAFKA_VERSION=%s\n' "$KAFKA_PORT" "$KAFKA_VERSION"; }

kafka_logs() { echo "$KAFKA_DIR/kafka.log"; }
