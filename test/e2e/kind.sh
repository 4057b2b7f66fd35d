#!/usr/bin/env bash
# End to end on a real cluster, for machines with Docker: builds the image, installs the chart on a
# kind cluster, runs MariaDB and a single-node Kafka in it, applies a SyncJob, waits for Syncing,
# inserts a row and reads it back from the topic as DTS-Avro.
#
#   test/e2e/kind.sh            # needs docker, kind, kubectl and helm on PATH
#   KEEP=1 test/e2e/kind.sh     # keep the cluster afterwards (kind delete cluster --name syncjob-e2e)
#
# Overrides: CLUSTER, IMAGE, NS, MARIADB_IMAGE, KAFKA_IMAGE.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLUSTER=${CLUSTER:-syncjob-e2e}
# Not :latest, so pods use the image kind loaded (IfNotPresent) instead of pulling it.
IMAGE=${IMAGE:-ghcr.io/syncjob/syncjob-operator:e2e}
NS=${NS:-syncjob-e2e}
OPERATOR_NS=syncjob-system
MARIADB_IMAGE=${MARIADB_IMAGE:-mariadb:10.11}
KAFKA_IMAGE=${KAFKA_IMAGE:-apache/kafka:4.1.2}
JOB=orders-sync
TOPIC=orders-sync
# A throwaway cluster's passwords; the sync one only ever travels in a Secret.
ROOT_PASSWORD=e2e-root
SYNC_PASSWORD=e2e-sync-password
MARIADB_HOST=mariadb.$NS.svc.cluster.local
KAFKA_BROKERS=kafka.$NS.svc.cluster.local:9092

step() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[e2e] FAILED: %s\n' "$*" >&2; exit 1; }

# `retry N cmd...`: runs cmd until it succeeds, N times 5 s apart (exec into a pod that just started).
retry() {
  local n=$1 i
  shift
  for ((i = 1; i <= n; i++)); do
    "$@" && return 0
    sleep 5
  done
  return 1
}

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || die "$tool not found on PATH"
done

KCTX=kind-$CLUSTER
k() { kubectl --context "$KCTX" "$@"; }

diagnose() {
  step "diagnostics"
  k get pods -A -o wide || true
  k -n "$NS" get sj "$JOB" -o yaml || true
  k -n "$NS" get events --sort-by=.lastTimestamp | tail -30 || true
  k -n "$OPERATOR_NS" logs deploy/syncjob-operator --all-containers --tail=100 || true
  k -n "$NS" logs "$JOB-worker" --tail=100 || true
}

cleanup() {
  local rc=$?
  [ "$rc" -ne 0 ] && diagnose
  if [ "${KEEP:-0}" = 1 ]; then
    step "kept cluster $CLUSTER (kubectl --context $KCTX ...; kind delete cluster --name $CLUSTER)"
  else
    step "deleting cluster $CLUSTER"
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  fi
  exit "$rc"
}

if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  step "deleting the previous cluster $CLUSTER"
  kind delete cluster --name "$CLUSTER"
fi
trap cleanup EXIT
step "creating kind cluster $CLUSTER"
kind create cluster --name "$CLUSTER" --wait 120s

step "building $IMAGE"
docker build -t "$IMAGE" "$ROOT"
step "loading $IMAGE into $CLUSTER"
kind load docker-image "$IMAGE" --name "$CLUSTER"

step "installing the chart (operator in $OPERATOR_NS)"
helm --kube-context "$KCTX" install syncjob-operator "$ROOT/charts/syncjob-operator" \
  --namespace "$OPERATOR_NS" --create-namespace \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" \
  --wait --timeout 3m

step "starting MariaDB ($MARIADB_IMAGE) and Kafka ($KAFKA_IMAGE) in $NS"
k create namespace "$NS"
k apply -n "$NS" -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: mariadb
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: mariadb}}
  template:
    metadata: {labels: {app: mariadb}}
    spec:
      containers:
        - name: mariadb
          image: $MARIADB_IMAGE
          args: [--log-bin, --binlog-format=ROW, --binlog-row-image=FULL, --server-id=1, --binlog-row-metadata=FULL]
          env:
            - {name: MARIADB_ROOT_PASSWORD, value: $ROOT_PASSWORD}
          ports: [{name: mysql, containerPort: 3306}]
          readinessProbe:
            exec: {command: [healthcheck.sh, --connect, --innodb_initialized]}
            periodSeconds: 5
---
apiVersion: v1
kind: Service
metadata:
  name: mariadb
spec:
  selector: {app: mariadb}
  ports: [{name: mysql, port: 3306, targetPort: mysql}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kafka
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: kafka}}
  template:
    metadata: {labels: {app: kafka}}
    spec:
      # The image turns every KAFKA_* variable into a broker setting: no KAFKA_PORT etc. from the Service.
      enableServiceLinks: false
      containers:
        - name: kafka
          image: $KAFKA_IMAGE
          env:
            - {name: KAFKA_NODE_ID, value: "1"}
            - {name: KAFKA_PROCESS_ROLES, value: "broker,controller"}
            - {name: KAFKA_LISTENERS, value: "PLAINTEXT://:9092,CONTROLLER://:9093"}
            - {name: KAFKA_ADVERTISED_LISTENERS, value: "PLAINTEXT://$KAFKA_BROKERS"}
            - {name: KAFKA_CONTROLLER_LISTENER_NAMES, value: CONTROLLER}
            - {name: KAFKA_LISTENER_SECURITY_PROTOCOL_MAP, value: "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"}
            - {name: KAFKA_CONTROLLER_QUORUM_VOTERS, value: "1@localhost:9093"}
            # One broker: internal topics at replication factor 1, so transactions work.
            - {name: KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, value: "1"}
            - {name: KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR, value: "1"}
            - {name: KAFKA_TRANSACTION_STATE_LOG_MIN_ISR, value: "1"}
            - {name: KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS, value: "0"}
            # The product requires the topic to exist: no auto-creation.
            - {name: KAFKA_AUTO_CREATE_TOPICS_ENABLE, value: "false"}
          ports: [{name: kafka, containerPort: 9092}]
          readinessProbe:
            tcpSocket: {port: kafka}
            periodSeconds: 5
---
apiVersion: v1
kind: Service
metadata:
  name: kafka
spec:
  selector: {app: kafka}
  ports: [{name: kafka, port: 9092, targetPort: kafka}]
EOF
k -n "$NS" rollout status deploy/mariadb --timeout=5m
k -n "$NS" rollout status deploy/kafka --timeout=5m

sql() { k -n "$NS" exec deploy/mariadb -- mariadb -uroot -p"$ROOT_PASSWORD" -e "$1"; }
step "creating shop.orders and the sync account (SELECT, REPLICATION SLAVE, BINLOG MONITOR)"
# Idempotent, so a retry after a half-applied attempt is harmless.
retry 24 sql "CREATE DATABASE IF NOT EXISTS shop;
  CREATE TABLE IF NOT EXISTS shop.orders (id INT PRIMARY KEY, note VARCHAR(20));
  CREATE USER IF NOT EXISTS 'syncjob'@'%' IDENTIFIED BY '$SYNC_PASSWORD';
  GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'syncjob'@'%';" \
  || die "could not set up MariaDB"

step "creating topic $TOPIC"
retry 24 k -n "$NS" exec deploy/kafka -- /opt/kafka/bin/kafka-topics.sh --bootstrap-server localhost:9092 \
  --create --if-not-exists --topic "$TOPIC" --partitions 1 --replication-factor 1 \
  || die "could not create topic $TOPIC"

step "applying SyncJob $JOB"
k -n "$NS" create secret generic mariadb-sync --from-literal=password="$SYNC_PASSWORD"
k -n "$NS" apply -f - <<EOF
apiVersion: syncjob.io/v1alpha1
kind: SyncJob
metadata:
  name: $JOB
spec:
  source:
    type: mariadb
    host: $MARIADB_HOST
    port: 3306
    username: syncjob
    passwordSecretRef:
      name: mariadb-sync
      key: password
    timezone: '+00:00'
  target:
    brokers:
      - $KAFKA_BROKERS
    topic: $TOPIC
    version: '4.x'
    partitioning: primaryKey
    acks: all
  objects:
    - database: shop
      tables:
        - name: orders
  conflictMode: precheckError
  # No DDL record first, so the topic's first record is the row inserted below.
  initialization:
    schema: false
    data: true
  state: running
  worker:
    resources:
      requests:
        cpu: 100m
        memory: 256Mi
      limits:
        memory: 512Mi
EOF

step "waiting for $JOB to reach Syncing"
k -n "$NS" wait --for=jsonpath='{.status.phase}'=Syncing "sj/$JOB" --timeout=5m
k -n "$NS" get sj "$JOB"

step "inserting a row"
sql "INSERT INTO shop.orders VALUES (1, 'hello-e2e')"

step "decoding the first record of $TOPIC"
record=$(k -n "$OPERATOR_NS" exec deploy/syncjob-operator -- node dist/cli/main.js decode \
  --brokers "$KAFKA_BROKERS" --topic "$TOPIC" --from-beginning --max 1 --idle-seconds 120)
printf '%s\n' "$record"
for want in '"operation":"INSERT"' '"objectName":"shop.orders"' 'hello-e2e'; do
  grep -qF -- "$want" <<<"$record" || die "the record lacks $want"
done
step "PASSED: the row went MariaDB → binlog → worker → Kafka as DTS-Avro"
