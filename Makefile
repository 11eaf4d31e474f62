# src-vipa: the one entry point. `make demo` and `make test` work on a fresh machine:
# they install what is missing (npm ci; Debian packages when root) and build first.
SHELL := /bin/bash
.DEFAULT_GOAL := all
# read without Node: a package build (rpmbuild from the `make dist` tarball) may have none
VERSION := $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' package.json)
BUILD := build
# A release tarball (make dist, mk/package.mk) carries mk/release.mk: the commit's date and
# id, and the note that build/engine.wasm and dist/ come built (no npm needed).
-include mk/release.mk
# Reproducible builds: every date in what is built (package file times, changelogs) is the
# last commit's, unless the caller sets SOURCE_DATE_EPOCH (reproducible-builds.org).
ifndef SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH := $(or $(RELEASE_DATE),$(shell git log -1 --format=%ct 2>/dev/null),0)
endif
export SOURCE_DATE_EPOCH

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

# Every suite; each mk/*.mk adds its own test-* target to TEST_TARGETS. Each prints TAP;
# test/run-suites.sh checks and counts them and ends with "N passed, N failed".
test: all
	@MAKE="$(MAKE)" test/run-suites.sh $(TEST_TARGETS)

clean:
	rm -rf $(BUILD) dist
include mk/demo.mk
