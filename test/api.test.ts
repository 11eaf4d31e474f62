// The package's API beyond decisions: Engine.open, the error classes and their codes, the
// diagnostics' code names, the rr counter provider, and what a trapped engine does to
// connections.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { check } from '../host/commands/check.js';
import type { CommandContext } from '../host/commands/context.js';
import { explain } from '../host/commands/explain.js';
import { connect } from '../host/connect.js';
import { Engine } from '../host/engine.js';
import {
  AbiError, AddressError, CaseError, ConfigError, ConnectTimeoutError, EngineError, OptionsError,
  SrcVipaError, UsageError,
} from '../host/errors.js';
import { type RrCounters, setDefaultRrProvider } from '../host/rr.js';
import { tcpRecorder } from './helpers/servers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'src-vipa-api-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const quiet = { onLog: () => {} };

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

// ---------------------------------------------------------------------------------------
const errors = suite('errors');

errors('every class has its stable code, its own name, and is a SrcVipaError', () => {
  const table: [SrcVipaError, string, string][] = [
    [new ConfigError('m', '/x'), 'ERR_SV_CONFIG', 'ConfigError'],
    [new AddressError('m'), 'ERR_SV_ADDRESS', 'AddressError'],
    [new AbiError('m'), 'ERR_SV_ABI', 'AbiError'],
    [new EngineError('m'), 'ERR_SV_ENGINE', 'EngineError'],
    [new OptionsError('m'), 'ERR_SV_OPTIONS', 'OptionsError'],
    [new ConnectTimeoutError('m'), 'ERR_SV_TIMEOUT', 'ConnectTimeoutError'],
    [new UsageError('m'), 'ERR_SV_USAGE', 'UsageError'],
    [new CaseError('m'), 'ERR_SV_CASE', 'CaseError'],
  ];
  for (const [error, code, name] of table) {
    assert.ok(error instanceof SrcVipaError && error instanceof Error, name);
    assert.equal([error.code, error.name], [code, name]);
    assert.match(String(error), `${name}: m`);
  }
});

errors('a module of another ABI is an AbiError; a missing one says so in words', async () => {
  const missing = await Engine.load('', { wasmPath: join(dir, 'none.wasm') }).catch((e: Error) => e);
  assert.instance(missing, AbiError);
  assert.match((missing as Error).message, /cannot read the engine .*none\.wasm: no such file \(ENOENT\)/);
  const garbage = await Engine.load('', { wasmPath: file('garbage.wasm', 'not wasm') }).catch((e: Error) => e);
  assert.instance(garbage, AbiError);
  assert.match((garbage as Error).message, /is not a WebAssembly module/);
});

errors.run();

// ---------------------------------------------------------------------------------------
const open = suite('Engine.open');

open('reads the file given, and remembers it', async () => {
  const path = file('open.conf', '10.0.0.0/8 onevipa 192.0.2.1\n');
  const e = await Engine.open(path, quiet);
  assert.is(e.file, path);
  assert.is(e.rules().length, 1);
  assert.is((await Engine.load('', quiet)).file, undefined);
});

open('without a path: $SRC_VIPA_CONFIG_FILE, as the library does', async () => {
  const path = file('env.conf', '10.0.0.0/8 onevipa 192.0.2.7\n');
  const before = process.env.SRC_VIPA_CONFIG_FILE;
  process.env.SRC_VIPA_CONFIG_FILE = path;
  try {
    const e = await Engine.open(undefined, quiet);
    assert.is(e.file, path);
  } finally {
    if (before === undefined) delete process.env.SRC_VIPA_CONFIG_FILE;
    else process.env.SRC_VIPA_CONFIG_FILE = before;
  }
});

open('a file that cannot be read is a ConfigError in plain words', async () => {
  const sub = join(dir, 'a-directory');
  mkdirSync(sub, { recursive: true });
  for (const [path, reason] of [[join(dir, 'missing.conf'), 'no such file'], [sub, 'it is a directory, not a file']]) {
    const error = await Engine.open(path, quiet).catch((e: Error) => e);
    assert.instance(error, ConfigError);
    assert.equal([(error as ConfigError).code, (error as ConfigError).path], ['ERR_SV_CONFIG', path]);
    assert.is((error as Error).message, `cannot read ${path}: ${reason}`);
  }
});

open('Engine.load(text) is still text: a path given to it is not opened', async () => {
  const e = await Engine.load('/etc/src_vipa.conf', quiet);
  assert.equal(e.diagnostics().map((d) => [d.line, d.severity]), [[1, 'error']], 'line 1 of the text is not a rule');
});

open('diagnostics carry the code names the CLI prints, and the ABI number', async () => {
  const path = file('diag.conf', '10.0.0.0/8 roundrobin 192.0.2.1\n10.0.0.0/33 onevipa 192.0.2.2\n');
  const e = await Engine.open(path, quiet);
  assert.equal(e.diagnostics().map((d) => [d.code, d.name, d.abiCode]), [['BAD_POLICY', 'BAD_POLICY', 20], ['BAD_MASK', 'BAD_MASK', 3]]);
  const out: string[] = [];
  const ctx: CommandContext = { io: { out: (l) => out.push(l), err: () => {} }, env: {} };
  await check({ file: path, json: true }, ctx);
  const report = JSON.parse(out[0]);
  const cli = [...report.errors, ...report.warnings].map((d: { code: string }) => d.code).sort();
  assert.equal(cli, e.diagnostics().map((d) => d.code).sort());
});

open.run();

// ---------------------------------------------------------------------------------------
const rr = suite('rr counters');

rr('by default: per Engine, scope "process"; explain --json says so', async () => {
  const e = await Engine.load('10.0.0.0/8 rr:600 192.0.2.1 192.0.2.2', quiet);
  assert.is(e.rrScope, 'process');
  const path = file('rr.conf', '10.0.0.0/8 rr:600 192.0.2.1 192.0.2.2\n11.0.0.0/8 lrr 192.0.2.3\n');
  const out: string[] = [];
  const ctx: CommandContext = { io: { out: (l) => out.push(l), err: () => {} }, env: {} };
  await explain({ config: path, dest: '10.1.1.1', json: true }, ctx);
  await explain({ config: path, dest: '11.1.1.1', json: true }, ctx);
  const [ruled, other] = out.map((l) => JSON.parse(l));
  assert.is(ruled.rrCounter, 'process');
  assert.is('rrCounter' in other, false, 'only rr rules have it');
});

rr('a provider installed as the default makes every Engine\'s counters, knowing the file', async () => {
  const seen: (string | undefined)[] = [];
  const calls: number[] = [];
  setDefaultRrProvider(({ file: f }): RrCounters => {
    seen.push(f);
    let value = 100;
    return { scope: 'host', next: (line) => { calls.push(line); return value++; } };
  });
  try {
    const path = file('host.conf', '# shared\n10.0.0.0/8 rr:640 192.0.2.1 192.0.2.2 192.0.2.3\n');
    const e = await Engine.open(path, quiet);
    assert.is(e.rrScope, 'host');
    const picks = [0, 1, 2].map(() => e.select({ kind: 'connect', address: '10.0.0.1' }));
    assert.equal(picks.map((d) => d.code === 'bind' && d.index), [100 % 3, 101 % 3, 102 % 3]);
    assert.equal([seen, calls], [[path], [2, 2, 2]]);
  } finally {
    setDefaultRrProvider(null);
  }
  assert.is((await Engine.load('', quiet)).rrScope, 'process', 'null restores per-process counting');
});

// The notice is due once per process: two Engines with rr rules in a fresh process.
function freshProcess(env: Record<string, string>) {
  const script = "import { Engine } from 'src-vipa';" +
    "await Engine.load('10.0.0.0/8 rr:600 192.0.2.1 192.0.2.2');" +
    "await Engine.load('11.0.0.0/8 rr:600 192.0.2.3 192.0.2.4');" +
    "await Engine.load('12.0.0.0/8 lrr 192.0.2.5 192.0.2.6');";
  return spawnSync(process.execPath, ['--input-type=module', '-e', script],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SRC_VIPA_DEBUG: '', ...env }, timeout: 30_000 });
}

rr('counting per process is said once, as a process warning', () => {
  const r = freshProcess({});
  assert.is(r.status, 0, r.stderr);
  const warnings = r.stderr.split('\n').filter((l) => l.includes('SrcVipaWarning'));
  assert.is(warnings.length, 1, r.stderr);
  assert.match(warnings[0], /rr:ABC rules count round robin in this process only/);
  const debug = freshProcess({ SRC_VIPA_DEBUG: '1' });
  const lines = debug.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, debug.stderr);
  assert.match(lines[0], /^src-vipa: warning: rr:ABC rules count round robin in this process only/, 'SRC_VIPA_DEBUG: on stderr instead');
});

rr.run();

// ---------------------------------------------------------------------------------------
const trap = suite('a trapped engine');

trap('connections go on from Node\'s default source, and the trap is said once', async () => {
  const wasm = join(dir, 'trap.wasm');
  execFileSync('wat2wasm', [join(ROOT, 'test/fixtures/trap_engine.wat'), '-o', wasm]);
  const engine = await Engine.load('', { wasmPath: wasm, ...quiet });
  const server = await tcpRecorder();
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    for (let i = 0; i < 2; i++) {
      await new Promise<void>((resolve, reject) => {
        const s = connect({ engine, host: '127.0.0.1', port: server.port });
        s.on('data', () => { s.destroy(); resolve(); });
        s.on('error', reject);
      });
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(server.sources, ['127.0.0.1', '127.0.0.1']);
    assert.is(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /the engine trapped .*connections now use Node's default source/);
    assert.throws(() => engine.select({ kind: 'connect', address: '10.0.0.1' }), (e: Error) => e instanceof EngineError);
  } finally {
    process.off('warning', onWarning);
    await server.close();
  }
});

trap.run();

// ---------------------------------------------------------------------------------------
const docs = suite('docs/node.md');

docs('documents every export of the package, values and types', () => {
  const index = readFileSync(join(ROOT, 'host/index.ts'), 'utf8');
  const exported = [...index.matchAll(/export (?:type )?\{([^}]*)\}/g)]
    .flatMap((m) => m[1].split(',')).map((name) => name.replace(/\btype\b/, '').trim()).filter(Boolean);
  assert.ok(exported.length > 50, `${exported.length} exports`);
  const page = readFileSync(join(ROOT, 'docs/node.md'), 'utf8');
  const missing = exported.filter((name) => !new RegExp(`\`${name}\\b`).test(page));
  assert.equal(missing, []);
});

docs.run();
