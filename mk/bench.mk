# `make bench`: the six measurements of issue 5 (bench/run.py), written to
# build/bench/results.json and build/bench/benchmarks.md only, so that a run never dirties
# the work tree; `make bench-record` then copies them to bench/results.json and
# docs/benchmarks.md (the checked-in page). Not part of `make test` (minutes, and the
# figures depend on the machine). `make bench BENCH_ARGS=--quick` is a smoke run;
# `BENCH_ARGS="--only select,memory"` re-runs some steps and keeps the others' results.
#
# The engine is measured alone too: build/engine.wasm through `wasm2c -n engine` and
# wabt's stock runtime (bench only; the shim has its own runtime), with the same
# compile-time settings as the shim (bounds-checked memory, no signal handler).
BENCH_DIR := $(BUILD)/bench
BENCH_CFLAGS := -O2 -g -Wall -Wextra
WASM2C_RT := /usr/share/wabt/wasm2c
BENCH_PROGS := $(addprefix $(BENCH_DIR)/,lifecycle tcp_sink portscale spawn engine_bench \
  engine_bench_prof empty_preload.so)
BENCH_ARGS ?=

.PHONY: bench bench-record bench-progs deps-bench
bench: all deps-bench bench-progs
	python3 bench/run.py $(BENCH_ARGS)
	@echo "results in $(BENCH_DIR)/benchmarks.md; make bench-record checks them in"

bench-record:
	python3 bench/report.py --record

bench-progs: $(BENCH_PROGS)

deps-bench:
	$(call need_tools,valgrind:valgrind python3:python3 node:nodejs unshare:util-linux ip:iproute2 wasm2c:wabt strace:strace)

$(BENCH_DIR)/%: bench/%.c | deps-bench
	@mkdir -p $(BENCH_DIR)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

$(BENCH_DIR)/empty_preload.so: bench/empty_preload.c
	@mkdir -p $(BENCH_DIR)
	$(CC) -O2 -shared -fPIC -o $@ $<

$(BENCH_DIR)/engine.c $(BENCH_DIR)/engine.h: $(BUILD)/engine.wasm
	@mkdir -p $(BENCH_DIR)
	wasm2c -n engine $< -o $(BENCH_DIR)/engine.c

ENGINE_BENCH_SRC := bench/engine_bench.c $(BENCH_DIR)/engine.c $(WASM2C_RT)/wasm-rt-impl.c
ENGINE_BENCH_FLAGS := -O2 -g -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -I$(BENCH_DIR) -I$(WASM2C_RT)

$(BENCH_DIR)/engine_bench: bench/engine_bench.c $(BENCH_DIR)/engine.c
	$(CC) $(ENGINE_BENCH_FLAGS) -o $@ $(ENGINE_BENCH_SRC) -lm

# the same without inlining: only for the per-function split of callgrind's counts
$(BENCH_DIR)/engine_bench_prof: bench/engine_bench.c $(BENCH_DIR)/engine.c
	$(CC) $(ENGINE_BENCH_FLAGS) -fno-inline -fno-inline-small-functions -o $@ $(ENGINE_BENCH_SRC) -lm
