# The policy engine: AssemblyScript -> build/engine.wasm (the single source of truth).
ENGINE_SRC := $(shell find assembly -name '*.ts') asconfig.json
.PHONY: engine
engine: $(BUILD)/engine.wasm
# npm builds the engine, except in a release tarball (make dist), which ships it built
ENGINE_NPM := $(if $(RELEASE_DATE),,deps-npm)
$(BUILD)/engine.wasm: $(ENGINE_SRC) | $(ENGINE_NPM)
	@mkdir -p $(BUILD)
	npx asc assembly/index.ts --target release -o $@
