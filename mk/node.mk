# The Node host and the src-vipa CLI: host/*.ts -> dist/ (tsc), and their uvu tests.
NODE_SRC := $(shell find host -name '*.ts') tsconfig.json
TSC := node_modules/.bin/tsc
# uvu runs the TypeScript test files directly: tsx compiles them as they are imported
# TAP: every test prints its own ok/not ok line (test/helpers/uvu-tap.mjs)
UVU := node --import tsx --import ./test/helpers/tap.mjs node_modules/uvu/bin.js test --color=false

.PHONY: node test-node test-cases
node: dist/cli.js
dist/cli.js: $(NODE_SRC) | deps-npm
	rm -rf dist
	$(TSC) -p tsconfig.json
	chmod 0755 $@

# Every test/*.test.ts, type-checked first (tsx does not check types). The CLI tests run
# the compiled dist/cli.js.
TEST_TARGETS += test-node
test-node: $(BUILD)/engine.wasm dist/cli.js | deps-npm
	$(TSC) -p test/tsconfig.json
	$(UVU) '\.test\.ts$$'

# The shared cases (test/cases/*.json) against the Node host; with SV_DRIVER=PATH also
# against that native driver (mk/shim.mk: test-cases-native).
test-cases: $(BUILD)/engine.wasm | deps-npm
	$(UVU) '^cases\.test\.ts$$'
