// The engine in Node: configuration load time and ns per sv_select, for the same files
// and destinations as the native bench/engine_bench.c.
//
//   node bench/node_engine.mjs WASM CONFIG REPS N   -> one JSON line
//
// Uses the Node host's class Engine (dist/engine.js) when it is built and has the methods
// this script knows; otherwise build/engine.wasm through WebAssembly directly, with
// trivial imports (the decision path calls none of them). The JSON says which ("via").
import { readFileSync, existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [wasmPath, configPath, repsArg, nArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 5);
const n = Number(nArg ?? 1000000);
const wasm = readFileSync(wasmPath);
const text = readFileSync(configPath);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Destinations as in engine_bench.c: [family, a0, a1, a2, a3]
const DESTS = {
  hit4: [[4, 0x7f000001, 0, 0, 0]],
  hit6: [[6, 0, 0, 0, 1]],
  rand4: (() => {
    const out = [];
    let x = 2463534242;
    for (let i = 0; i < 1024; i++) {
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      out.push([4, x, 0, 0, 0]);
    }
    return out;
  })(),
};

// ---- raw WebAssembly --------------------------------------------------------------------
const t0 = performance.now();
const module = new WebAssembly.Module(wasm);
const compileMs = performance.now() - t0;
let rr = 0;
const imports = {
  src_vipa: {
    random_u32: () => 0x12345678,
    rr_next: () => rr++ >>> 0,
    log: () => {},
    clock_ms: () => performance.now(),
  },
};

function loadRaw() {
  const inst = new WebAssembly.Instance(module, imports);
  const ex = inst.exports;
  const p = ex.sv_input(text.length);
  new Uint8Array(ex.memory.buffer, p, text.length).set(text);
  const names = ex.sv_parse(text.length);
  for (let i = 0; i < names; i++) ex.sv_answer_error(i, 1);
  const rules = ex.sv_finalize();
  if (names < 0 || rules < 0) throw new Error(`load failed: ${names} ${rules}`);
  return { ex, rules };
}

// ---- the Node host's class, when present -------------------------------------------------
let via = "WebAssembly (build/engine.wasm, raw exports)";
let hostLoad = null;
const dist = resolve(root, "dist/engine.js");
if (existsSync(dist)) {
  try {
    const mod = await import(pathToFileURL(dist).href);
    const Engine = mod.Engine ?? mod.default;
    if (Engine && typeof Engine.load === "function") {
      hostLoad = async () => Engine.load(new Uint8Array(text), { wasmPath: resolve(wasmPath) });
      via = "class Engine (dist/engine.js) and raw exports";
    }
  } catch (e) {
    via += ` (dist/engine.js not usable: ${e.message})`;
  }
}

const out = { via, compile_ms: +compileMs.toFixed(3), bytes: text.length };
const loads = [];
let loaded;
for (let r = 0; r < reps; r++) {
  const s = performance.now();
  loaded = loadRaw();
  loads.push(performance.now() - s);
}
out.rules = loaded.rules;
out.load_ms = +median(loads).toFixed(4);
out.load_min_ms = +Math.min(...loads).toFixed(4);
out.memory_bytes = loaded.ex.memory.buffer.byteLength;

let hostEngine = null;
if (hostLoad) {
  const hl = [];
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    hostEngine = await hostLoad();
    hl.push(performance.now() - s);
  }
  out.host_load_ms = +median(hl).toFixed(4);
  out.host_load_min_ms = +Math.min(...hl).toFixed(4);
}

const ex = loaded.ex;
const select = ex.sv_select;
out.select = {};
for (const [name, dests] of Object.entries(DESTS)) {
  const m = dests.length;
  const run = (count) => {
    let acc = 0;
    let j = 0;
    for (let i = 0; i < count; i++) {
      const d = dests[j];
      acc += select(1, d[0], d[1], d[2], d[3], d[4], 80, 17, 0);
      if (++j === m) j = 0;
    }
    return acc;
  };
  run(n / 10); // warm up: the JIT tiers up
  const v = [];
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    run(n);
    v.push(((performance.now() - s) * 1e6) / n);
  }
  out.select[name] = +median(v).toFixed(2);
}
// The host class's select() takes the address as text and returns the source as text
// (two more engine calls: sv_addr_parse and sv_addr_format), so it costs more per call.
if (hostEngine && typeof hostEngine.select === "function") {
  const q = { kind: "connect", address: "127.0.0.1", port: 80, proto: "udp" };
  const m = Math.max(1000, Math.floor(n / 10));
  for (let i = 0; i < m / 10; i++) hostEngine.select(q);
  const v = [];
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    for (let i = 0; i < m; i++) hostEngine.select(q);
    v.push(((performance.now() - s) * 1e6) / m);
  }
  out.host_select_hit4 = +median(v).toFixed(2);
}
console.log(JSON.stringify(out));
