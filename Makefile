# The README's commands. `make test` needs nothing installed beforehand but Node/npm, Go, Java and
# apt (all on this kind of machine): it installs and starts every service it uses.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help demo deps build check deploy e2e test test-unit test-integration test-compat testenv-up testenv-down testenv-status

help:
	@echo "make demo           start MariaDB + MySQL + Kafka + kube-apiserver and the operator, sync examples/syncjob.yaml"
	@echo "make test           install deps, start MariaDB + MySQL + Kafka + kube-apiserver, run every check and test"
	@echo "make test-unit      unit tests only (no services)"
	@echo "make test-compat    start Kafka 0.10.2.2, 1.0.2 and 3.9.1 beside the default broker, run the version matrix"
	@echo "make testenv-up     start the test services (scripts/testenv.sh up)"
	@echo "make testenv-down   stop them"
	@echo "make deploy         regenerate deploy/ from charts/ (needs helm: scripts/testenv.sh install kube)"
	@echo "make e2e            the end-to-end test on kind (needs Docker)"

# npm ci only when the lock file changed since the last install; the Kafka client's native module
# is built from source (scripts/install-deps.sh says why).
node_modules/.package-lock.json: package.json package-lock.json scripts/install-deps.sh
	scripts/install-deps.sh
	@touch $@

deps: node_modules/.package-lock.json

build: deps
	npm run build

check: deps
	npm run typecheck
	npm run lint

# Plus the Kafka 0.10.2.2 compat broker: `make test` runs the version matrix's subset against it.
testenv-up:
	scripts/testenv.sh up
	scripts/testenv.sh up kafka-compat

testenv-down:
	scripts/testenv.sh down

testenv-status:
	scripts/testenv.sh status

# The main job end to end: services, operator, kubelet stand-in, kubectl apply, rows decoded.
demo: deps
	scripts/testenv.sh up
	npm run -s demo

deploy: deps
	scripts/testenv.sh install kube
	eval "$$(scripts/testenv.sh env)" && npm run -s gen:deploy

e2e:
	test/e2e/kind.sh

test-unit: deps
	npm run test:unit

test-integration: deps testenv-up
	npm run test:integration

# Every compat broker, then the version matrix (test/integration/compat) against all of them.
test-compat: export SYNCJOB_KAFKA_COMPAT_VERSIONS ?= 0.10.2.2 1.0.2 3.9.1
test-compat: deps
	scripts/testenv.sh up kafka-compat
	npm run test:compat

test: deps testenv-up check
	npm test
