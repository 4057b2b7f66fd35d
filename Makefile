# The README's commands. `make test` needs nothing installed beforehand but Node/npm, Go, Java and
# apt (all on this kind of machine): it installs and starts every service it uses.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help deps build check test test-unit test-integration testenv-up testenv-down testenv-status

help:
	@echo "make test           install deps, start MariaDB + Kafka + kube-apiserver, run every check and test"
	@echo "make test-unit      unit tests only (no services)"
	@echo "make testenv-up     start the test services (scripts/testenv.sh up)"
	@echo "make testenv-down   stop them"

# npm ci only when the lock file changed since the last install.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

build: deps
	npm run build

check: deps
	npm run typecheck
	npm run lint

testenv-up:
	scripts/testenv.sh up

testenv-down:
	scripts/testenv.sh down

testenv-status:
	scripts/testenv.sh status

test-unit: deps
	npm run test:unit

test-integration: deps testenv-up
	npm run test:integration

test: deps testenv-up check
	npm test
