# owned by the e2e work: real programs through the preload library, inside a private
# network namespace (test/e2e/run.sh; `test/e2e/run.sh WORD` runs only t_*WORD*.sh).
.PHONY: test-e2e
TEST_TARGETS += test-e2e
test-e2e: shim engine
	test/e2e/run.sh
