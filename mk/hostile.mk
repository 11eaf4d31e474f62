# The hostile-conditions suite of issue 8 (test/hostile/): cancellation and siglongjmp
# during the load, signal handlers at the worst moment, invalid pointers, odd
# configuration files, a silent nameserver, log floods, dual-stack wildcard binds (Python,
# Java, Node), descriptors closed behind the library's back. Every program run is bounded
# by a timeout; run.sh compares with the same programs without the library.
#
#   make test-hostile          build/hostile/hostile, then test/hostile/run.sh
#   test/hostile/run.sh WORD   only the sections whose name contains WORD
.PHONY: test-hostile
HOSTILE_DIR := $(BUILD)/hostile
TEST_TARGETS += test-hostile
# the dual-stack checks run a Java program (javac, java) as well as Python and Node
DEBIAN_PKGS += openjdk-17-jdk-headless

$(HOSTILE_DIR)/hostile: test/hostile/hostile.c
	@mkdir -p $(@D)
	$(SHIM_CC) $(TEST_PROG_CFLAGS) -o $@ $< -lpthread

$(HOSTILE_DIR)/altstack: test/hostile/altstack.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -o $@ $< -lpthread

test-hostile: $(BUILD)/src_vipa.so $(HOSTILE_DIR)/hostile $(HOSTILE_DIR)/altstack
	SV_BUILD=$(abspath $(BUILD)) test/hostile/run.sh
