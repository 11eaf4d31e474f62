# The Node host and the src-vipa CLI: host/*.ts -> dist/ (tsc), and their uvu tests.
NODE_SRC := $(shell find host -name '*.ts') tsconfig.json
TSC := node_modules/.bin/tsc
CLI_COMPLETION := $(BUILD)/completion/src-vipa
# uvu runs the TypeScript test files directly: tsx compiles them as they are imported
# TAP: every test prints its own ok/not ok line (test/helpers/uvu-tap.mjs)
UVU := node --import tsx --import ./test/helpers/tap.mjs node_modules/uvu/bin.js test --color=false

.PHONY: node test-node test-cases deps-cases
node: dist/cli.js $(CLI_COMPLETION)
dist/cli.js: $(NODE_SRC) | deps-npm
	rm -rf dist
	$(TSC) -p tsconfig.json
	chmod 0755 $@

# the bash completion script, made by the CLI from its own commands (installed by mk/package.mk)
$(CLI_COMPLETION): dist/cli.js
	@mkdir -p $(@D)
	node dist/cli.js completion bash > $@

# Every test/*.test.ts, type-checked first (tsx does not check types). The CLI tests run
# the compiled dist/cli.js.
TEST_TARGETS += test-node
test-node: $(BUILD)/engine.wasm dist/cli.js | deps-npm deps-cases
	$(TSC) -p test/tsconfig.json
	$(UVU) '\.test\.ts$$'

# The shared cases (test/cases/*.json) through `src-vipa test`, as an operator runs
# policy tests, in TAP (test/run-suites.sh checks it as prove would; test/policytest.test.ts
# runs prove itself). test-node also runs them through the same runner, and
# test-cases-native compares them with the native driver: mk/shim.mk.
TEST_TARGETS += test-cases
test-cases: dist/cli.js $(BUILD)/engine.wasm
	node dist/cli.js test --tap test/cases/*.json

# prove, for test/policytest.test.ts (test-node)
deps-cases:
	$(call need_tools,prove:perl)
