# The policy engine: AssemblyScript -> build/engine.wasm (the single source of truth).
ENGINE_SRC := $(shell find assembly -name '*.ts') asconfig.json
.PHONY: engine
engine: $(BUILD)/engine.wasm
$(BUILD)/engine.wasm: $(ENGINE_SRC) | deps-npm
	@mkdir -p $(BUILD)
	npx asc assembly/index.ts --target release -o $@
