// The Node host itself (host/engine.ts): what it refuses to load, one instance per
// configuration, and the shapes it hands out.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../host/engine.js';
import { AddressError } from '../host/errors.js';
import { connect, load, picks, ruled } from './helpers/engine.js';

const dir = mkdtempSync(join(tmpdir(), 'src-vipa-engine-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const ABI_EXPORTS = [
  'sv_abi_version', 'sv_input', 'sv_parse', 'sv_name_ptr', 'sv_name_len', 'sv_answer', 'sv_answer_error',
  'sv_finalize', 'sv_seed', 'sv_diag_count', 'sv_diag_ptr', 'sv_select', 'sv_result_ptr', 'sv_release',
  'sv_fork_prepare', 'sv_fork_child', 'sv_rule_count', 'sv_rule_ptr', 'sv_source_ptr', 'sv_scratch_ptr',
  'sv_addr_parse', 'sv_addr_format',
];

/**
 * A hand-made module whose every function export is one function returning `version`,
 * plus a memory: enough to meet the host's checks, which come before any real call.
 * With `importName`, it also imports a function src_vipa.importName.
 */
function fakeEngine(version: number, exports: string[], importName?: string,
                    trap: { exports: string[]; pages: number } = { exports: [], pages: 1 }): string {
  const uleb = (n: number): number[] => (n < 128 ? [n] : [(n & 0x7f) | 0x80, ...uleb(n >>> 7)]);
  const sleb = (n: number): number[] => {
    const byte = n & 0x7f;
    const rest = n >> 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    return done ? [byte] : [byte | 0x80, ...sleb(rest)];
  };
  const name = (s: string) => [...uleb(s.length), ...Buffer.from(s)];
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  const imported = importName ? 1 : 0; // imported functions come first in the index space
  const body = [0x00, 0x41, ...sleb(version), 0x0b]; // no locals; i32.const version; end
  const trapBody = [0x00, 0x00, 0x0b];                 // no locals; unreachable; end
  const entries = [
    ...exports.map((e) => [...name(e), 0x00, imported + (trap.exports.includes(e) ? 1 : 0)]),
    [...name('memory'), 0x02, 0x00],
  ];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 0, 1, 0x7f]),                 // type 0: () -> i32
    ...(importName ? section(2, [1, ...name('src_vipa'), ...name(importName), 0x00, 0]) : []),
    ...section(3, [2, 0, 0]),                             // two functions of type 0
    ...section(5, [1, 0x00, ...uleb(trap.pages)]),        // one memory
    ...section(7, [...uleb(entries.length), ...entries.flat()]),
    ...section(10, [2, ...uleb(body.length), ...body, ...uleb(trapBody.length), ...trapBody]),
  ];
  const file = join(dir, `fake-${version}-${exports.length}-${importName ?? ''}-${trap.exports.join()}-${trap.pages}.wasm`);
  writeFileSync(file, Buffer.from(bytes));
  return file;
}

// ---------------------------------------------------------------------------------------
const loading = suite('loading');

loading('a module of another ABI major version is refused, saying what to do', async () => {
  const error = await Engine.load('', { wasmPath: fakeEngine(0x00020000, ABI_EXPORTS) }).catch((e: Error) => e);
  assert.instance(error, Error);
  assert.match((error as Error).message, /has engine ABI 2\.0, but this host needs ABI 1\.x: rebuild the engine/);
});

loading('a module without the ABI exports is refused', async () => {
  const error = await Engine.load('', { wasmPath: fakeEngine(0x00010000, ABI_EXPORTS.slice(2)) }).catch((e: Error) => e);
  assert.match((error as Error).message, /is not a src-vipa engine: it lacks sv_abi_version, sv_input/);
});

loading('a module that needs imports this host does not have is refused', async () => {
  const error = await Engine.load('', { wasmPath: fakeEngine(0x00020000, ABI_EXPORTS, 'sv_future') }).catch((e: Error) => e);
  assert.match((error as Error).message, /needs imports this host does not provide \(src_vipa\.sv_future\)/);
});

loading('a module of a higher minor version passes the version check', async () => {
  // the fake's sv_input "returns" 0x10007, past its one page of memory: loading fails later
  const error = await Engine.load('', { wasmPath: fakeEngine(0x00010007, ABI_EXPORTS) }).catch((e: Error) => e);
  assert.instance(error, RangeError);
  assert.not.match((error as Error).message, /ABI|src-vipa engine/);
});

loading('a trap while loading is said in words: out of memory when the memory is full', async () => {
  const full = fakeEngine(0x00010001, ABI_EXPORTS, undefined, { exports: ['sv_parse'], pages: 4096 });
  let error = await Engine.load('10.0.0.0/8 onevipa 192.0.2.1', { wasmPath: full }).catch((e: Error) => e);
  assert.is((error as Error).message,
    'the engine ran out of memory (256 MiB) while parsing: the configuration is beyond its limits (see LIMITS in src_vipa(8)); nothing of it applies');
  const other = fakeEngine(0x00010001, ABI_EXPORTS, undefined, { exports: ['sv_parse'], pages: 2 });
  error = await Engine.load('', { wasmPath: other }).catch((e: Error) => e);
  assert.match((error as Error).message, /^the engine failed while parsing \(unreachable\); nothing of the configuration applies/);
});

loading('host names are readable until sv_finalize only (the host may discard the input area then)', async () => {
  const { readFileSync } = await import('node:fs');
  const module = new WebAssembly.Module(readFileSync(new URL('../build/engine.wasm', import.meta.url)));
  const x = new WebAssembly.Instance(module, {
    src_vipa: { random_u32: () => 1, rr_next: () => 0, log: () => {}, clock_ms: () => 0 },
  }).exports as unknown as import('../host/abi.js').EngineExports;
  const text = Buffer.from('db.example/32 onevipa 192.0.2.1\n');
  const at = x.sv_input(text.length);
  new Uint8Array(x.memory.buffer, at, text.length).set(text);
  assert.is(x.sv_parse(text.length), 1);
  assert.is(Buffer.from(x.memory.buffer, x.sv_name_ptr(0), x.sv_name_len(0)).toString(), 'db.example');
  x.sv_answer(0, 4, 0x0a000001, 0, 0, 0);
  // what a host that discards the input area sees: nothing of it is read any more
  new Uint8Array(x.memory.buffer, at, text.length).fill(0xff);
  assert.is(x.sv_finalize(), 1);
  assert.equal([x.sv_name_ptr(0), x.sv_name_len(0)], [0, 0]);
  assert.is(x.sv_select(1, 4, 0x0a000001, 0, 0, 0, 80, 6, 0), 1);
  assert.is(x.sv_diag_count(), 0);
});

loading('a missing module file is an error', async () => {
  const error = await Engine.load('', { wasmPath: join(dir, 'nothing.wasm') }).catch((e: Error) => e);
  assert.match((error as Error).message, /ENOENT/);
});

loading('bytes that are not UTF-8 are read as bytes', async () => {
  const text = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9, 0xff]), Buffer.from('\n10.0.0.0/8 onevipa 192.0.2.1\n')]);
  const e = await Engine.load(new Uint8Array(text), { resolver: async () => [] });
  assert.equal(e.diagnostics(), []);
  assert.is(ruled(connect(e, '10.0.0.1')).line, 2);
});

loading('a large configuration loads, and its last lines still apply', async () => {
  const lines = Array.from({ length: 20_000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24 onevipa 192.0.2.${i % 250 + 1}`);
  const e = await load(lines.join('\n'));
  assert.is(e.rules().length, 20_000);
  assert.is(ruled(connect(e, '10.78.31.9')).line, 78 * 256 + 31 + 1);
});

loading.run();

// ---------------------------------------------------------------------------------------
const instances = suite('one instance per configuration');

instances('two engines do not share policy state', async () => {
  const config = '10.0.0.0/8 lc 192.0.2.1 192.0.2.2\n11.0.0.0/8 rr:600 192.0.2.3 192.0.2.4';
  const a = await load(config);
  const b = await load(config);
  picks(a, '10.0.0.1', 3);
  picks(a, '11.0.0.1', 3);
  assert.is(b.rules()[0].connections, 0, 'lc counts');
  assert.is(ruled(connect(b, '11.0.0.1')).index, 0, 'the rr counter starts afresh');
});

instances.run();

// ---------------------------------------------------------------------------------------
const shapes = suite('what the host hands out');

shapes('a decision has every field', async () => {
  const e = await load('# x\n10.0.0.0/8 lc 192.0.2.1');
  assert.equal(connect(e, '10.0.0.1'), {
    code: 'bind', rule: 0, index: 0, family: 4, source: '192.0.2.1', line: 2, policy: 'lc',
    mapped: false, counted: true, stable: false,
  });
  assert.equal(connect(e, '11.0.0.1'), { code: 'pass', stable: true });
});

shapes('rule(id) is rules()[id]; other ids have none', async () => {
  const e = await load('10.0.0.0/8 onevipa 192.0.2.1\n.INADDR_ANY 80-90 lrr 192.0.2.2 192.0.2.3');
  assert.equal(e.rule(1), e.rules()[1]);
  assert.equal(e.rule(1), {
    id: 1, line: 2, family: 4, policy: 'lrr', sources: ['192.0.2.2', '192.0.2.3'], shadowedBy: null,
    connections: 0, kind: 'bind', ports: [80, 90],
  });
  for (const id of [2, -1, 0.5, 2 ** 32]) assert.is(e.rule(id), null, String(id));
});

shapes('diagnostics() hands out copies', async () => {
  const e = await load('10.0.0.0/8 bogus 192.0.2.1');
  e.diagnostics()[0].message = 'changed';
  assert.is.not(e.diagnostics()[0].message, 'changed');
});

shapes('bad arguments are refused before they reach the engine', async () => {
  const e = await load('');
  const addressError = (e: unknown) => e instanceof AddressError && e.code === 'ERR_SV_ADDRESS';
  assert.throws(() => e.select({ kind: 'bind', port: 80, family: 5 as 4 }), addressError);
  assert.throws(() => e.select({ kind: 'bind', port: 80.5, family: 4 }), addressError);
  assert.throws(() => e.formatAddress(6, new Uint8Array(4)), addressError);
  assert.is(e.parseAddress('not an address'), null);
});

shapes.run();
