# Apache Kafka from Maven Central, single-node KRaft (4.x default, 3.9 selectable with
# SYNCJOB_KAFKA_VERSION=3.9.1), on Java 17. Every replication factor is 1 so transactions work on
# one node. Client listeners: PLAINTEXT, SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and
# SSL (a test CA made here); the controller and inter-broker traffic stay PLAINTEXT.
# Sourced by testenv.sh.

KAFKA_DIR="$STATE/kafka"
KAFKA_LIBS="$CACHE/kafka/$KAFKA_VERSION/libs"
KAFKA_TLS="$KAFKA_DIR/tls"
# One SASL test user for every mechanism: PLAIN from the listener's JAAS config, SCRAM credentials
# written into the metadata log when the storage is formatted.
KAFKA_SASL_USER=syncjob
KAFKA_SASL_PASSWORD=syncjob-kafka-pw
# A SCRAM user that is no super user: it may do only what a test grants it by ACL.
KAFKA_ACL_USER=syncjoblimited
KAFKA_ACL_PASSWORD=syncjob-limited-pw
# What a running broker must have been started with, beyond its listeners.
KAFKA_FEATURES="acl-authorizer"
KAFKA_LISTENERS="PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PORT,SSL://127.0.0.1:$KAFKA_SSL_PORT"

# The broker's POM brings its runtime; kafka-tools adds the CLI classes (the readiness probe and
# debugging); the logging binding is in neither, so it is added here.
kafka_install() {
  # The JDK, not only the runtime: the consumer harnesses of the tests (test/consumers/*.java)
  # run as Java source files.
  apt_ensure openjdk-17-jdk-headless maven
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

# A Kafka CLI class (kafka-tools) on the broker's classpath, logging configured for either log4j.
kafka_tool() {
  kafka_java -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" "$@"
}

# A self-signed test CA and a server certificate for 127.0.0.1 and localhost, kept across restarts
# (clients may hold the CA's path). The keystore is PEM (Kafka 2.7+): unencrypted PKCS#8 key, then
# the chain; no keytool, no keystore password.
kafka_tls() {
  if [ -s "$KAFKA_TLS/ca.crt" ] && [ -s "$KAFKA_TLS/server.pem" ] \
    && openssl x509 -checkend 86400 -noout -in "$KAFKA_TLS/server.crt" >/dev/null 2>&1; then
    return 0
  fi
  command -v openssl >/dev/null || die "openssl not found: it makes the test CA for Kafka's SSL listener (apt-get install openssl)"
  step "generating a test CA and a Kafka server certificate for 127.0.0.1/localhost in $KAFKA_TLS"
  rm -rf "$KAFKA_TLS"; mkdir -p "$KAFKA_TLS"
  (
    cd "$KAFKA_TLS" && umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout ca.key -out ca.crt \
      -subj '/CN=syncjob-operator testenv CA' \
      -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr -subj '/CN=localhost'
    printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=CA:FALSE' \
      'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' >server.ext
    openssl x509 -req -sha256 -days 3650 -in server.csr -CA ca.crt -CAkey ca.key \
      -set_serial "0x$(openssl rand -hex 16)" -extfile server.ext -out server.crt
    cat server.key server.crt ca.crt >server.pem
    chmod 644 ca.crt
  ) >"$KAFKA_DIR/tls.log" 2>&1 || { tail -n 20 "$KAFKA_DIR/tls.log" >&2; die "openssl could not make the Kafka test certificates"; }
}

# True when every client listener accepts TCP connections.
kafka_ports_open() {
  local port
  for port in "$KAFKA_PORT" "$KAFKA_SASL_PORT" "$KAFKA_SSL_PORT"; do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || return 1
  done
}

kafka_ready() {
  # Polled cheaply (a JVM per poll would cost seconds); kafka_up follows it with real requests.
  grep -q 'Kafka Server started\|\[KafkaRaftServer nodeId=1\] Kafka Server started' "$KAFKA_DIR/kafka.log" 2>/dev/null \
    && kafka_ports_open
}

# The standard Kafka CLI names for this broker's tools, as the bin/*.sh scripts of a Kafka
# distribution would run them (warnings only, on stderr), so docs and fix messages can say
# `kafka-topics --bootstrap-server ... --create ...` and mean a command that runs here.
kafka_wrappers() {
  mkdir -p "$TOOLS_BIN"
  cat >"$KAFKA_DIR/tools-log4j2.properties" <<'L4J'
status = warn
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
L4J
  printf '%s\n' 'log4j.rootLogger=WARN, stderr' 'log4j.appender.stderr=org.apache.log4j.ConsoleAppender' \
    'log4j.appender.stderr.Target=System.err' 'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout' \
    'log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n' >"$KAFKA_DIR/tools-log4j.properties"
  local java name class
  java=$(command -v java)
  [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ] && java=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
  for name in kafka-topics:org.apache.kafka.tools.TopicCommand kafka-configs:kafka.admin.ConfigCommand \
    kafka-console-consumer:org.apache.kafka.tools.consumer.ConsoleConsumer \
    kafka-console-producer:org.apache.kafka.tools.ConsoleProducer \
    kafka-consumer-groups:org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    kafka-get-offsets:org.apache.kafka.tools.GetOffsetShell kafka-log-dirs:org.apache.kafka.tools.LogDirsCommand; do
    class=${name#*:}; name=${name%%:*}
    cat >"$TOOLS_BIN/$name" <<SH
#!/usr/bin/env bash
# $name of the test broker (Kafka $KAFKA_VERSION), written by scripts/testenv.sh.
exec "$java" -Xmx256m -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.properties" \\
  -Dlog4j.configuration="file:$KAFKA_DIR/tools-log4j.properties" $class "\$@"
SH
    chmod +x "$TOOLS_BIN/$name"
  done
}

kafka_up() {
  kafka_install
  mkdir -p "$KAFKA_DIR"
  kafka_wrappers
  mkdir -p "$KAFKA_DIR"
  if pid_alive "$KAFKA_DIR/kafka.pid"; then
    local running; running=$(cat "$KAFKA_DIR/version" 2>/dev/null || echo unknown)
    [ "$running" = "$KAFKA_VERSION" ] \
      || die "Kafka $running is running but $KAFKA_VERSION was asked for: run 'scripts/testenv.sh down kafka' first"
    local listening; listening=$(cat "$KAFKA_DIR/listeners" 2>/dev/null || echo 'PLAINTEXT only')
    [ "$listening" = "$KAFKA_LISTENERS" ] \
      || die "the running Kafka listens on $listening, not $KAFKA_LISTENERS (started by an older testenv or other ports): run 'scripts/testenv.sh down kafka' then 'up kafka'"
    [ "$(cat "$KAFKA_DIR/features" 2>/dev/null)" = "$KAFKA_FEATURES" ] \
      || die "the running Kafka was started by an older testenv (without $KAFKA_FEATURES): run 'scripts/testenv.sh down kafka' then 'up kafka'"
    step "kafka $KAFKA_VERSION already running on 127.0.0.1:$KAFKA_PORT (SASL $KAFKA_SASL_PORT, SSL $KAFKA_SSL_PORT)"; return 0
  fi
  local port
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$KAFKA_SASL_PORT" "$KAFKA_SSL_PORT"; do port_free "$port"; done
  kafka_tls
  rm -rf "$KAFKA_DIR/data" "$KAFKA_DIR/kafka.log" "$KAFKA_DIR/listeners" "$KAFKA_DIR/features"
  local plain_jaas="org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_SASL_USER=\"$KAFKA_SASL_PASSWORD\";"
  local scram_jaas='org.apache.kafka.common.security.scram.ScramLoginModule required;'
  cat >"$KAFKA_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=$KAFKA_LISTENERS,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=$KAFKA_LISTENERS
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
inter.broker.listener.name=PLAINTEXT
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=$plain_jaas
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=$scram_jaas
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$scram_jaas
listener.name.ssl.ssl.keystore.type=PEM
listener.name.ssl.ssl.keystore.location=$KAFKA_TLS/server.pem
listener.name.ssl.ssl.client.auth=none
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
# ACLs apply to the limited SASL user only: everyone else (PLAINTEXT and SSL clients, the
# controller, the SASL test user) is a super user, so other tests see no difference.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS;User:$KAFKA_SASL_USER
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
  # What the SASL readiness probe (and anyone debugging by hand) passes as --command-config.
  cat >"$KAFKA_DIR/client-sasl.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$KAFKA_SASL_USER" password="$KAFKA_SASL_PASSWORD";
PROPS
  cat >"$KAFKA_DIR/client-ssl.properties" <<PROPS
security.protocol=SSL
ssl.truststore.type=PEM
ssl.truststore.location=$KAFKA_TLS/ca.crt
PROPS
  step "formatting KRaft storage for Kafka $KAFKA_VERSION (SCRAM user $KAFKA_SASL_USER)"
  local cluster_id; cluster_id=$(kafka_cluster_id)
  kafka_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
    --add-scram "SCRAM-SHA-256=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=$KAFKA_ACL_USER,password=$KAFKA_ACL_PASSWORD]" \
    >"$KAFKA_DIR/format.log" 2>&1 \
    || { tail -n 20 "$KAFKA_DIR/format.log" >&2; die "formatting Kafka storage failed"; }
  step "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (SASL $KAFKA_SASL_PORT, SSL $KAFKA_SSL_PORT)"
  echo "$KAFKA_VERSION" >"$KAFKA_DIR/version"
  echo "$KAFKA_LISTENERS" >"$KAFKA_DIR/listeners"
  echo "$KAFKA_FEATURES" >"$KAFKA_DIR/features"
  spawn "$KAFKA_DIR/kafka.pid" "$KAFKA_DIR/kafka.log" "$(command -v java)" -Xms256m -Xmx768m -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties"
  wait_until 120 Kafka "$KAFKA_DIR/kafka.log" kafka_ready
  # The log line says the listeners are up; metadata round trips prove the broker answers, on the
  # SASL listener as the SCRAM user (so the formatted credentials work), and the SSL listener's
  # certificate verifies against the test CA for 127.0.0.1.
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list \
    >"$KAFKA_DIR/probe.log" 2>&1 &
  local plain_probe=$!
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_SASL_PORT" \
    --command-config "$KAFKA_DIR/client-sasl.properties" --list >"$KAFKA_DIR/probe-sasl.log" 2>&1 &
  local sasl_probe=$!
  openssl s_client -connect "127.0.0.1:$KAFKA_SSL_PORT" -CAfile "$KAFKA_TLS/ca.crt" -verify_ip 127.0.0.1 \
    -verify_return_error </dev/null >"$KAFKA_DIR/probe-ssl.log" 2>&1 \
    || { tail -n 20 "$KAFKA_DIR/probe-ssl.log" >&2; die "Kafka's SSL listener did not present a certificate that verifies with $KAFKA_TLS/ca.crt"; }
  wait "$plain_probe" || { tail -n 20 "$KAFKA_DIR/probe.log" >&2; die "Kafka started but did not answer a metadata request"; }
  wait "$sasl_probe" \
    || { tail -n 20 "$KAFKA_DIR/probe-sasl.log" >&2; die "Kafka's SASL listener refused SCRAM-SHA-512 user $KAFKA_SASL_USER"; }
  step "Kafka ready (127.0.0.1:$KAFKA_PORT, SASL 127.0.0.1:$KAFKA_SASL_PORT, SSL 127.0.0.1:$KAFKA_SSL_PORT)"
}

kafka_down() { stop_pid "$KAFKA_DIR/kafka.pid" kafka; }

kafka_status() {
  if pid_alive "$KAFKA_DIR/kafka.pid" && kafka_ready; then
    echo "kafka: ready 127.0.0.1:$KAFKA_PORT, SASL $KAFKA_SASL_PORT, SSL $KAFKA_SSL_PORT ($KAFKA_VERSION)"
  else
    echo "kafka: down"
  fi
}

kafka_env() {
  printf 'KAFKA_BROKERS=127.0.0.1:%s\nKAFKA_VERSION=%s\n' "$KAFKA_PORT" "$KAFKA_VERSION"
  printf 'KAFKA_SASL_BROKERS=127.0.0.1:%s\nKAFKA_SASL_MECHANISMS=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512\n' "$KAFKA_SASL_PORT"
  printf 'KAFKA_SASL_USER=%s\nKAFKA_SASL_PASSWORD=%s\n' "$KAFKA_SASL_USER" "$KAFKA_SASL_PASSWORD"
  printf 'KAFKA_ACL_USER=%s\nKAFKA_ACL_PASSWORD=%s\n' "$KAFKA_ACL_USER" "$KAFKA_ACL_PASSWORD"
  printf 'KAFKA_SSL_BROKERS=127.0.0.1:%s\nKAFKA_SSL_CA=%s\n' "$KAFKA_SSL_PORT" "$KAFKA_TLS/ca.crt"
  # For outage tests, which freeze the broker (SIGSTOP) and thaw it.
  printf 'KAFKA_PID_FILE=%s\n' "$KAFKA_DIR/kafka.pid"
}

kafka_logs() { echo "$KAFKA_DIR/kafka.log"; }
