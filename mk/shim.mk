# The preload library (shim/) and its native tests (test/native/).
#
#   build/engine.wasm --wasm2c--> build/engine.c/.h, compiled with our small runtime
#   (shim/wasm_rt.c, see its header comment for why not wabt's) and the shim into
#   build/src_vipa.so; build/sv_driver links the same engine, runtime, engine_host and
#   config_load objects to run the shared test cases natively.
#
#   make shim                  build/src_vipa.so, build/sv_driver, build/sv_stress
#   make test-shim             C-level tests through LD_PRELOAD in a private namespace,
#                              the stress tests, and valgrind on small runs
#   make test-cases-native     test/cases/*.json through build/sv_driver (Node runner)
#   make test-fuzz             generated configurations, Node host against build/sv_driver
.PHONY: shim test-shim test-cases-native test-fuzz

SHIM_DIR := $(BUILD)/shim
NATIVE_DIR := $(BUILD)/native
SHIM_CC ?= gcc
SHIM_WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter
# -flto: the engine (build/engine.c) is inlined into the host glue and small helpers into
# their callers; about 100 instructions less per connect (bench/analysis.md, second round).
# A job count rather than `auto` (GCC 10+ only) or none (GCC 11+ warns about serial jobs);
# the generated code does not depend on it. Every link of these objects passes it too.
SHIM_LTO := -O2 -flto=2
# Hardening by default: neither costs an instruction on the measured connect path
# (bench/analysis.md, "Build flags"). _FORTIFY_SOURCE only if the caller's CPPFLAGS do not
# set their own level (Fedora's 3, Debian's 2).
SHIM_HARDEN := -fstack-protector-strong $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS)),,-D_FORTIFY_SOURCE=2)
# Paths in the debug information relative to the checkout, at compile and at the LTO
# link alike, so the library does not depend on where it was built (test-package checks).
SHIM_REPRO := -ffile-prefix-map=$(CURDIR)=.
SHIM_BASE := -std=gnu11 -g $(SHIM_LTO) -fPIC -fvisibility=hidden -D_GNU_SOURCE -DNDEBUG \
  $(SHIM_HARDEN) $(SHIM_REPRO) -include shim/wasm_rt_config.h -I$(BUILD) -Ishim
# CPPFLAGS, CFLAGS and LDFLAGS from the environment or the command line (dpkg-buildflags,
# rpm's %set_build_flags) come after the project's own, so a distribution's win.
SHIM_CFLAGS := $(SHIM_BASE) $(SHIM_WARN) $(CPPFLAGS) $(CFLAGS)
# generated code: its warnings are wasm2c's, not ours
ENGINE_CFLAGS := $(SHIM_BASE) -w $(CPPFLAGS) $(CFLAGS)
SHIM_LIBS := -ldl -lpthread
# the name programs record when linked against the library (none is: it is preloaded);
# package tools need one on every library in a library directory (and rpmlint a SysV
# .hash section besides the GNU one: --hash-style=both below)
SHIM_SONAME := src_vipa.so

# shared by the library and the driver: the engine, its runtime, the imports, loading
SHIM_CORE := engine_host config_load wasm_rt
SHIM_ONLY := connect bind send close socket init decide fdtrack log shm_counter resvport usermem \
  resolve
SHIM_CORE_OBJS := $(SHIM_DIR)/engine.o $(SHIM_CORE:%=$(SHIM_DIR)/%.o)
SHIM_OBJS := $(SHIM_CORE_OBJS) $(SHIM_ONLY:%=$(SHIM_DIR)/%.o)

shim: $(BUILD)/src_vipa.so $(BUILD)/sv_driver $(BUILD)/sv_stress

$(BUILD)/engine.c $(BUILD)/engine.h &: $(BUILD)/engine.wasm
	wasm2c -n engine $< -o $(BUILD)/engine.c

$(SHIM_DIR)/engine.o: $(BUILD)/engine.c $(BUILD)/engine.h shim/wasm_rt_config.h
	@mkdir -p $(@D)
	$(SHIM_CC) $(ENGINE_CFLAGS) -c $< -o $@

$(SHIM_DIR)/%.o: shim/%.c $(BUILD)/engine.h
	@mkdir -p $(@D)
	$(SHIM_CC) $(SHIM_CFLAGS) -MMD -MP -c $< -o $@

# No -z now (lazy binding stays): the library is loaded into every process it wraps, and
# binding all 46 of its imports at start-up cost 32,000 dynamic-linker instructions per
# process (/bin/true: 147 k -> 179 k, bench/); lazily, only the calls a process makes are
# bound. The price is partial RELRO (.got.plt stays writable); a distribution whose
# LDFLAGS carry -Wl,-z,now (Fedora's do) trades start-up for it, and so can `make LDFLAGS=-Wl,-z,now`.
$(BUILD)/src_vipa.so: $(SHIM_OBJS) shim/src_vipa.map
	$(SHIM_CC) $(SHIM_LTO) $(SHIM_REPRO) $(CFLAGS) -shared -Wl,-soname,$(SHIM_SONAME) \
	  -Wl,--version-script=shim/src_vipa.map -Wl,-z,relro -Wl,--no-undefined \
	  -Wl,--hash-style=both $(LDFLAGS) \
	  -o $@ $(SHIM_OBJS) $(SHIM_LIBS)

$(BUILD)/sv_driver: test/native/sv_driver.c $(SHIM_CORE_OBJS) $(wildcard shim/*.h)
	$(SHIM_CC) $(SHIM_CFLAGS) -o $@ $< $(SHIM_CORE_OBJS)

# test programs: plain executables, run through LD_PRELOAD by test/native/run.sh
# (sv_stress sits in build/ for the end-to-end suite to find as well)
TEST_PROG_CFLAGS := -std=gnu11 -O2 -g -D_GNU_SOURCE $(SHIM_WARN)
$(NATIVE_DIR)/shim_test: test/native/shim_test.c
	@mkdir -p $(@D)
	$(SHIM_CC) $(TEST_PROG_CFLAGS) -o $@ $<
$(NATIVE_DIR)/shmtool: test/native/shmtool.c
	@mkdir -p $(@D)
	$(SHIM_CC) $(TEST_PROG_CFLAGS) -o $@ $<
$(NATIVE_DIR)/failalloc.so: test/native/failalloc.c
	@mkdir -p $(@D)
	$(SHIM_CC) $(TEST_PROG_CFLAGS) -shared -fPIC -o $@ $<
$(BUILD)/sv_stress: test/native/stress.c
	$(SHIM_CC) $(TEST_PROG_CFLAGS) -o $@ $< -lpthread

-include $(SHIM_OBJS:.o=.d)

# The same library around test/native/trap_engine.wat, whose sv_select traps: the trap
# test of run.sh. Every object is rebuilt against that engine's header (the instance
# struct differs).
TRAP_DIR := $(NATIVE_DIR)/trap
TRAP_OBJS := $(TRAP_DIR)/engine.o $(SHIM_CORE:%=$(TRAP_DIR)/%.o) $(SHIM_ONLY:%=$(TRAP_DIR)/%.o)
$(TRAP_DIR)/engine.c $(TRAP_DIR)/engine.h &: test/native/trap_engine.wat
	@mkdir -p $(TRAP_DIR)
	wat2wasm $< -o $(TRAP_DIR)/engine.wasm
	wasm2c -n engine $(TRAP_DIR)/engine.wasm -o $(TRAP_DIR)/engine.c
$(TRAP_DIR)/engine.o: $(TRAP_DIR)/engine.c $(TRAP_DIR)/engine.h
	$(SHIM_CC) -I$(TRAP_DIR) $(ENGINE_CFLAGS) -c $< -o $@
$(TRAP_DIR)/%.o: shim/%.c $(TRAP_DIR)/engine.h
	$(SHIM_CC) -I$(TRAP_DIR) $(SHIM_CFLAGS) -MMD -MP -c $< -o $@
-include $(TRAP_OBJS:.o=.d)
$(NATIVE_DIR)/src_vipa_trap.so: $(TRAP_OBJS) shim/src_vipa.map
	$(SHIM_CC) $(SHIM_LTO) -shared -Wl,--version-script=shim/src_vipa.map -o $@ $(TRAP_OBJS) \
	  $(SHIM_LIBS)

# test-shim runs valgrind at a small scale and counts system calls with strace
DEBIAN_PKGS += valgrind strace

test-shim: $(BUILD)/src_vipa.so $(NATIVE_DIR)/shim_test $(BUILD)/sv_stress \
  $(NATIVE_DIR)/src_vipa_trap.so $(NATIVE_DIR)/failalloc.so $(NATIVE_DIR)/shmtool
	SV_BUILD=$(abspath $(BUILD)) test/native/run.sh

# The Node case runner (test/cases.test.ts) also drives build/sv_driver when SV_DRIVER
# is set: the results must be identical to the Node host's. ($(UVU): mk/node.mk)
test-cases-native: $(BUILD)/sv_driver $(BUILD)/engine.wasm | deps-npm
	SV_DRIVER=$(abspath $(BUILD)/sv_driver) $(UVU) '^cases\.test\.ts$$'

# The configuration parser fuzzed differentially, Node host against the native driver
# (test/fuzz/config-fuzz.ts) for a fixed time; FUZZ_SEED repeats a run, and a difference
# prints its seed. docs/reliability.md has the figures of a long run.
FUZZ_SECONDS ?= 25
# TAP for test/run-suites.sh: one test, the whole run (its lines say what was compared)
test-fuzz: $(BUILD)/sv_driver $(BUILD)/engine.wasm | deps-npm
	@if node --import tsx test/fuzz/config-fuzz.ts --driver $(BUILD)/sv_driver --out $(BUILD)/fuzz \
	  --seconds $(FUZZ_SECONDS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) 2>&1 | sed 's/^/# /'; \
	  test "$${PIPESTATUS[0]}" = 0; then \
	  echo "ok 1 - configuration fuzzing: the Node host and the native driver agree"; echo 1..1; \
	else echo "not ok 1 - configuration fuzzing: a difference (seed and inputs above, build/fuzz/)"; \
	  echo 1..1; exit 1; fi

# Secure execution (set-user-ID): needs the real root user, says so and passes otherwise
test-secure: $(BUILD)/src_vipa.so
	SV_BUILD=$(abspath $(BUILD)) test/secure/run.sh

TEST_TARGETS += test-shim test-cases-native test-fuzz test-secure
