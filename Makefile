# src-vipa: the one entry point. `make demo` and `make test` work on a fresh machine:
# they install what is missing (npm ci; Debian packages when root) and build first.
SHELL := /bin/bash
.DEFAULT_GOAL := all
VERSION := $(shell node -p "require('./package.json').version" 2>/dev/null || echo 0.0.0)
BUILD := build

.PHONY: all deps test demo bench clean
all: deps engine shim node

include mk/tests.mk
include mk/deps.mk
include mk/engine.mk
include mk/shim.mk
include mk/node.mk
include mk/e2e.mk
include mk/package.mk
include mk/bench.mk
include mk/hostile.mk

# Every suite; each mk/*.mk adds its own test-* target to TEST_TARGETS.
test: all
	@set -e; for t in $(TEST_TARGETS); do echo "=== $$t"; $(MAKE) --no-print-directory $$t; done
	@echo "all test suites passed"

clean:
	rm -rf $(BUILD) dist
include mk/demo.mk
