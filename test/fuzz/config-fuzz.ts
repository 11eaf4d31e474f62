// Differential fuzzing of the configuration parser: generated configurations (valid and
// hostile: random bytes, control characters, invalid UTF-8, long lines, huge prefixes,
// many sources, host names answered by a stub table) and queries, loaded by the Node host
// and by the native driver (build/sv_driver: the engine as the C shim embeds it). Every
// diagnostic (line, column, severity, code, message), the rule count and every decision
// must be identical, and neither host may fail. Iteration i uses seed BASE + i; a
// difference prints that seed and keeps the inputs under build/fuzz/ for replaying:
//
//   node --import tsx test/fuzz/config-fuzz.ts --driver build/sv_driver --seconds 25
//   node --import tsx test/fuzz/config-fuzz.ts --driver build/sv_driver --seed S --iterations 1
//
// docs/reliability.md, "Configuration parser fuzzing", has the figures of the long runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Engine, type Query } from '../../host/engine.js';
import { type ResolveTable, tableResolver } from '../../host/resolve.js';
import { comparable, nodeDiagnostics, queryCommand, resultOf, runDriver } from '../helpers/driver.js';
import { generator } from '../helpers/engine.js';

const { values } = parseArgs({
  options: {
    driver: { type: 'string', default: 'build/sv_driver' },
    wasm: { type: 'string' }, // default: the package's build/engine.wasm
    seconds: { type: 'string', default: '25' },
    seed: { type: 'string' },
    iterations: { type: 'string' },
    out: { type: 'string', default: 'build/fuzz' },
  },
});
const SECONDS = Number(values.seconds);
const BASE = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const ITERATIONS = values.iterations !== undefined ? Number(values.iterations) : Infinity;

// --- generation -----------------------------------------------------------------------------

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, items: readonly T[]): T => items[int(r, items.length)];
const chance = (r: Rand, p: number) => r() < p;

const POLICIES = ['onevipa', 'random', 'lrr', 'lc', 'rr:600', 'rr:644', 'RR:007', 'rr', 'rr:6', 'rr:9xx', 'roundrobin', 'LRR', ''];
const NAMES = ['db.example', 'vipa.example', 'v6.example', 'gone.example', 'dual.example', 'mapped.example', 'Big.Example', 'x', 'a-b_c.d'];

function v4(r: Rand): string {
  return pick(r, [
    () => `10.${int(r, 4)}.${int(r, 256)}.${int(r, 256)}`,
    () => `192.0.2.${int(r, 256)}`,
    () => `${int(r, 256)}.${int(r, 256)}.${int(r, 256)}.${int(r, 256)}`,
    () => '0.0.0.0',
  ])();
}

function v6(r: Rand): string {
  return pick(r, [
    () => `2001:db8:${int(r, 4).toString(16)}::${int(r, 65536).toString(16)}`,
    () => `fd00::${int(r, 65536).toString(16)}:${int(r, 65536).toString(16)}`,
    () => `::ffff:${v4(r)}`,
    () => '::',
    () => '::1',
    () => `64:ff9b::${v4(r)}`,
    () => Array.from({ length: 8 }, () => int(r, 65536).toString(16)).join(':'),
  ])();
}

function source(r: Rand, family: 4 | 6): string {
  if (chance(r, 0.1)) return pick(r, NAMES);
  if (chance(r, 0.03)) return family === 4 ? v6(r) : v4(r); // mixed families
  if (chance(r, 0.03)) return hostileToken(r);
  return family === 4 ? v4(r) : v6(r);
}

function hostileToken(r: Rand): string {
  return pick(r, [
    () => String.fromCharCode(...Array.from({ length: 1 + int(r, 12) }, () => int(r, 256))),
    () => `\x1b[${int(r, 99)}m${v4(r)}`,
    () => `${v4(r)}\u202e\u0085`,
    () => '1.2.3.4,',
    () => `${int(r, 1e6)}`,
    () => '\u00e9\ud83d\ude00',
    () => '.'.repeat(1 + int(r, 4)),
    () => `${'a'.repeat(60 + int(r, 10))}.example`,
  ])();
}

function prefix(r: Rand, family: 4 | 6 | 0): string {
  if (chance(r, 0.05)) return pick(r, ['', '/', '/x', '/-1', '/99999', '/0x10', `/${int(r, 1000)}`, '/08']);
  if (chance(r, 0.05)) return ''; // no prefix at all
  return `/${family === 4 ? int(r, 33) : family === 6 ? pick(r, [0, 32, 48, 64, 96, 104, 112, 120, 128, int(r, 129)]) : int(r, 129)}`;
}

function ruleLine(r: Rand, hugeSources: boolean): string {
  const n = hugeSources ? 4090 + int(r, 10) : 1 + int(r, chance(r, 0.1) ? 20 : 4);
  if (chance(r, 0.2)) {
    const family = chance(r, 0.6) ? 4 : 6;
    const lo = int(r, 70000);
    const ports = pick(r, [`${lo}`, `${lo}-${lo + int(r, 2000)}`, `${lo}-${int(r, 65536)}`, '0-65535', '0', 'http', '80-', '-1']);
    const srcs = Array.from({ length: n }, () => source(r, family));
    return `${pick(r, ['.INADDR_ANY', '.inaddr_any', 'INADDR_ANY'])} ${ports} ${pick(r, POLICIES)} ${srcs.join(' ')}`;
  }
  const kind = int(r, 10);
  const family: 4 | 6 = kind < 5 ? 4 : 6;
  const dest = kind === 9 ? pick(r, NAMES) : family === 4 ? v4(r) : v6(r);
  const srcs = Array.from({ length: n }, () => source(r, family));
  const policy = chance(r, 0.05) ? '' : pick(r, POLICIES); // '' : the 1.x form
  return [`${dest}${prefix(r, kind === 9 ? 0 : family)}`, policy, ...srcs].filter(Boolean).join(pick(r, [' ', ' ', '\t', '  ']));
}

function hostileLine(r: Rand): string {
  return pick(r, [
    () => String.fromCharCode(...Array.from({ length: int(r, 200) }, () => int(r, 256))),
    () => `# comment \x1b]0;title\x07 ${hostileToken(r)}`,
    () => `${v4(r)}/8 onevipa ${'x'.repeat(65536 + int(r, 100))}`,
    () => '',
    () => '   \t ',
    () => `${ruleLine(r, false)} # trailing \x00 comment`,
    () => `${ruleLine(r, false)}\r`,
    () => ruleLine(r, false).replace(/ /g, () => pick(r, [' ', '\x0b', '\x0c', '\x00', '\x85'])),
    () => `${hostileToken(r)} ${pick(r, POLICIES)} ${hostileToken(r)}`,
    () => `${v6(r)}${prefix(r, 6)} lrr ${Array.from({ length: 5000 }, () => '::1').join(' ')}`,
  ])();
}

function resolveTable(r: Rand): ResolveTable {
  const table: Record<string, readonly string[] | 'fail'> = {};
  for (const name of NAMES) {
    const what = int(r, 6);
    if (what === 0) continue; // unknown
    if (what === 1) { table[name] = 'fail'; continue; }
    const n = what === 5 && chance(r, 0.3) ? 250 + int(r, 20) : 1 + int(r, 4);
    table[name] = Array.from({ length: n }, () => (chance(r, 0.5) ? v4(r) : v6(r)));
  }
  return table;
}

function query(r: Rand): Query {
  if (chance(r, 0.25)) {
    const family = chance(r, 0.5) ? 4 : 6;
    return { kind: 'bind', port: pick(r, [0, 22, 80, 1023, 8080, int(r, 65536)]), family, dualstack: family === 6 && chance(r, 0.5) };
  }
  return { kind: 'connect', address: chance(r, 0.5) ? v4(r) : v6(r), port: int(r, 65536), proto: pick(r, ['tcp', 'udp'] as const) };
}

interface Input { config: Buffer; resolve: ResolveTable; queries: Query[] }

function generate(seed: number): Input {
  const r = generator(seed);
  const lines: string[] = [];
  const count = chance(r, 0.05) ? 2000 + int(r, 3000) : 1 + int(r, 60);
  const hostile = r() * 0.5;
  for (let i = 0; i < count; i++) {
    if (chance(r, hostile)) lines.push(hostileLine(r));
    else lines.push(ruleLine(r, chance(r, 0.002)));
  }
  // latin1: every generated code unit below 256 is one byte, so random bytes stay random bytes
  const text = lines.join(chance(r, 0.1) ? '\r\n' : '\n') + (chance(r, 0.8) ? '\n' : '');
  const config = Buffer.from(text.replace(/[^\u0000-\u00ff]/g, (c) => Buffer.from(c, 'utf8').toString('latin1')), 'latin1');
  return { config, resolve: resolveTable(r), queries: Array.from({ length: 5 + int(r, 40) }, () => query(r)) };
}

// --- one iteration --------------------------------------------------------------------------

async function differences(seed: number, dir: string): Promise<string[]> {
  const input = generate(seed);
  const engineSeed = [seed >>> 0, 0x5eed] as const;
  let engine: Engine;
  try {
    engine = await Engine.load(new Uint8Array(input.config), {
      resolver: tableResolver(input.resolve), seed: engineSeed, ...(values.wasm ? { wasmPath: values.wasm } : {}),
    });
  } catch (error) {
    return [`the Node host failed to load: ${(error as Error).message}`];
  }
  const want = input.queries.map((q) => resultOf(engine.select(q)));
  const commands = input.queries.map((q) => queryCommand(engine, q));
  const run = runDriver(values.driver!, join(dir, 'current'), input.config, input.resolve, engineSeed, commands, 20_000);
  const found: string[] = [];
  if (run.status !== 0) found.push(`the driver exited with ${run.status ?? run.signal}: ${run.stderr.slice(0, 500)}`);
  if (run.unexpected.length) found.push(`the driver printed lines outside its protocol: ${JSON.stringify(run.unexpected.slice(0, 3))}`);
  const nodeDiags = nodeDiagnostics(engine);
  if (JSON.stringify(run.diagnostics) !== JSON.stringify(nodeDiags)) {
    const k = nodeDiags.findIndex((d, i) => JSON.stringify(d) !== JSON.stringify(run.diagnostics[i]));
    found.push(`diagnostics differ (Node ${nodeDiags.length}, driver ${run.diagnostics.length}); first at ${k}: ` +
      `Node ${JSON.stringify(nodeDiags[k])} driver ${JSON.stringify(run.diagnostics[k])}`);
  }
  const rules = engine.rules().length;
  if (run.rules !== rules) found.push(`rule count: Node ${rules}, driver ${run.rules}`);
  if (run.results.length !== want.length) found.push(`results: Node ${want.length}, driver ${run.results.length}`);
  want.forEach((w, k) => {
    const got = run.results[k];
    if (got && JSON.stringify(comparable(got)) !== JSON.stringify(comparable(w))) {
      found.push(`query ${k + 1} (${commands[k]}): Node ${JSON.stringify(w)}, driver ${JSON.stringify(got)}`);
    }
  });
  if (found.length) {
    const base = join(dir, `seed-${seed}`);
    writeFileSync(`${base}.conf`, input.config);
    writeFileSync(`${base}.json`, JSON.stringify({ resolve: input.resolve, seed: engineSeed, commands }, null, 1));
  }
  return found;
}

// --- the run --------------------------------------------------------------------------------

const dir = values.out!;
mkdirSync(dir, { recursive: true });
const started = Date.now();
const deadline = started + SECONDS * 1000;
let done = 0;
let failures = 0;
console.log(`config-fuzz: base seed ${BASE}, ${SECONDS} s${Number.isFinite(ITERATIONS) ? `, at most ${ITERATIONS} iterations` : ''}, driver ${values.driver}`);
while (done < ITERATIONS && Date.now() < deadline) {
  const seed = (BASE + done) >>> 0;
  const found = await differences(seed, dir);
  done++;
  if (found.length) {
    failures++;
    console.log(`config-fuzz: DIFFERENCE at seed ${seed} (inputs in ${join(dir, `seed-${seed}`)}.conf/.json); replay with --seed ${seed} --iterations 1`);
    for (const f of found.slice(0, 10)) console.log(`  ${f}`);
    if (failures >= 5) break;
  }
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`config-fuzz: ${done} iterations (seeds ${BASE}..${(BASE + done - 1) >>> 0}) in ${seconds} s, ${failures} with differences`);
process.exitCode = failures ? 1 : 0;
