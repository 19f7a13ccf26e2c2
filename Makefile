# Top-level entry points: setup, build, test, and the replication itself.
# Every target that needs packages depends on setup, which is idempotent and fast when nothing is missing.
SHELL := /bin/bash
PROFILE ?= quick
RESULTS ?= results/reference
FIGURES ?= paper-figures
TSX := node --import tsx
UVU := $(TSX) node_modules/uvu/bin.js

.PHONY: all setup build test test-unit test-servers test-e2e fuzz replicate figures calibrate testbed-up testbed-down testbed-status testbed-report clean

all: build

setup:
	@bash scripts/setup-host.sh

build: setup
	@$(MAKE) -s -C servers
	@$(MAKE) -s -C harness/loadgen
	@$(MAKE) -s -C env/disk

# The whole test suite, as CI runs it: unit tests, the servers' black-box tests, a tiny end-to-end run.
test: build
	@$(MAKE) -s -C servers test-builds
	@$(MAKE) -s -C harness/loadgen asan
	@bash scripts/run-tests.sh

# The pure unit tests: no root, no testbed, no server or load generator under load; under a minute. They need only
# the npm packages (`make setup` once). `TESTS=regex bash scripts/run-tests.sh` runs any other selection.
UNIT_TESTS := ^(lib/test/.*|harness/(workload|profiler|verifier|lib)/test/.*|harness/runner/test/(page-cache|cli|labels|run|run-context|search)|env/test/config|notebooks/test/(claims|coverage|fidelity|figures|markdown|report|results|rules|stats|table1))\.test\.ts$$
test-unit:
	@TESTS='$(UNIT_TESTS)' bash scripts/run-tests.sh

# The servers' tests: the conformance suite for every configuration and sanitizer build, each server's own tests
# (some bring up load: run them alone on the machine), then the request-path fuzzer.
test-servers: build
	@$(MAKE) -s -C servers test-builds
	@TESTS='^servers/.*\.test\.ts$$' bash scripts/run-tests.sh
	@$(MAKE) -s -C servers fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-60}

# The tiny end-to-end run: a testbed, the load generator and a server, as `make replicate` uses them.
test-e2e: build
	@TESTS='^harness/runner/test/e2e\.test\.ts$$' bash scripts/run-tests.sh

fuzz: build
	@$(MAKE) -s -C servers fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-600}

testbed-up: setup
	@$(TSX) env/testbed.ts up
testbed-down: setup
	@$(TSX) env/testbed.ts down
testbed-status: setup
	@$(TSX) env/testbed.ts status

calibrate: build
	@$(TSX) harness/runner/cli.ts calibrate

# Each `make replicate` is a new run in results/$(RUN_ID)/; `make replicate RUN_ID=<an earlier id> PROFILE=<its profile>`
# resumes that one (finished points are kept). Its figures, Table 1 and claims report go to results/$(RUN_ID)/figures/, leaving the
# committed reference's paper-figures/ alone.
ifndef RUN_ID
RUN_ID := $(shell date -u +%Y%m%d-%H%M%S)-$(PROFILE)
endif
replicate: build
	@$(TSX) harness/runner/cli.ts replicate --profile $(PROFILE) --run-id $(RUN_ID)
	@$(TSX) notebooks/run-notebooks.ts --results results/$(RUN_ID) --out results/$(RUN_ID)/figures
	@echo "replicate: figures, Table 1 and the claims report of run $(RUN_ID) are in results/$(RUN_ID)/figures/"

figures: setup
	@$(TSX) notebooks/run-notebooks.ts --results $(RESULTS) --out $(FIGURES)
	@echo "figures: open $(FIGURES)/index.html in a browser for the report (figures, Table 1, claims, fidelity)"

clean:
	@$(MAKE) -s -C servers clean
	@$(MAKE) -s -C harness/loadgen clean
	@$(MAKE) -s -C env/disk clean

testbed-report: setup
	@$(TSX) env/testbed.ts report --out $(RESULTS)/testbed.json
