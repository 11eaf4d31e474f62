// The shared cases (test/cases/*.json) through the policy test runner that `src-vipa test`
// uses (host/policytest/): every case must hold on the Node host, must not depend on the
// engine's random numbers unless it fixes a seed, and, when SV_DRIVER names the native
// driver (the engine embedded by the C shim, build/sv_driver), must give identical
// decisions and diagnostics there. The case format: docs/policy-tests.md.
//
// The native driver's protocol: `SV_DRIVER CONFIG_FILE [RESOLVE_FILE]`, where RESOLVE_FILE
// has lines `NAME ADDR [ADDR ...]` or `NAME !` (a failure). It reads commands from stdin,
// one a line:
//   seed LO HI                 (only as the first line: applied before the configuration
//                               is loaded, as Engine.load(text, {seed}) does, so that lrr
//                               starting points are reproducible)
//   connect FAMILY ADDR PORT PROTO     (FAMILY of the socket: 4, or 6 also for ::ffff:a.b.c.d;
//                                       PROTO 6, 17 or 0)
//   bind FAMILY PORT FLAGS             (FLAGS 1 = dual-stack)
//   release RULE INDEX    fork_prepare    fork_child
// and prints one line per diagnostic `diag LINE COL SEVERITY CODE MESSAGE`, then
// `ready RULES`, then per connect/bind one line
// `code=N rule=R index=I family=F source=TEXT line=L flags=X` (source=- when code is 0).
// Unset SV_DRIVER: the native half does not run (make test-cases-native sets it). Set to a
// missing file: the native half fails, unless SRC_VIPA_SKIP_NATIVE=1.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DIAGNOSTIC_CODES, type DiagnosticName, SEVERITIES } from '../host/abi.js';
import type { Decision, Engine, Query } from '../host/engine.js';
import { decisionsOf, parseCase, type PolicyCase, type Step } from '../host/policytest/case.js';
import { type CaseResult, runCase } from '../host/policytest/run.js';

const CASES_DIR = fileURLToPath(new URL('./cases/', import.meta.url));
const FILES = readdirSync(CASES_DIR).filter((f) => f.endsWith('.json')).sort();
const CASES = FILES.map((f) => parseCase(readFileSync(join(CASES_DIR, f), 'utf8'), f));

/** A decision as the native driver prints it. */
interface Result { code: number; rule: number; index: number; family: number; source: string; line: number; flags: number }

function resultOf(d: Decision): Result {
  if (d.code === 'pass') return { code: 0, rule: -1, index: -1, family: 0, source: '-', line: 0, flags: d.stable ? 4 : 0 };
  return {
    code: d.code === 'bind' ? 1 : 2, rule: d.rule, index: d.index, family: d.family, source: d.source, line: d.line,
    flags: (d.mapped ? 1 : 0) | (d.counted ? 2 : 0) | (d.stable ? 4 : 0),
  };
}

/** Every decision of a run, with the number of the step that made it. */
function madeBy(run: CaseResult): { step: number; query: Query; decision: Decision }[] {
  return run.steps.flatMap((s) => s.decisions.map((decision) => ({ step: s.step, query: s.query!, decision })));
}

function lcgRandom(seed: number): () => number {
  let v = seed;
  return () => (v = (Math.imul(v, 1664525) + 1013904223) >>> 0);
}

// ---------------------------------------------------------------------------------------
const node = suite('cases: Node host');

node('there are cases; each has steps, and says which diagnostics it expects', () => {
  assert.ok(CASES.length >= 18, `${CASES.length} cases`);
  for (const c of CASES) {
    assert.ok(c.steps.length > 0, c.file);
    assert.ok(c.diagnostics !== undefined, `${c.file}: the project's cases always give "diagnostics" (maybe [])`);
    assert.ok(c.config !== undefined, `${c.file}: the project's cases bring their configuration`);
  }
});

for (const c of CASES) {
  node(`${c.file}: ${c.name}`, async () => {
    const run = await runCase(c);
    const problems = [...(run.diagnostics?.problems ?? []),
      ...run.steps.flatMap((s) => s.problems.map((p) => `step ${s.step} (${s.label}): ${p}`))];
    assert.equal(problems, [], `${c.file}`);
    assert.ok(run.ok);
    // The native driver gets other random numbers: a case must not depend on them.
    const [a, b] = await Promise.all([runCase(c, { random: lcgRandom(1) }), runCase(c, { random: lcgRandom(2) })]);
    assert.equal(madeBy(a).map((d) => resultOf(d.decision)), madeBy(b).map((d) => resultOf(d.decision)),
      `${c.file}: the results depend on random_u32; give the case a seed`);
  });
}

node.run();

// ---------------------------------------------------------------------------------------
const DRIVER = process.env.SV_DRIVER;

if (DRIVER) {
  const native = suite('cases: native driver');
  const skip = process.env.SRC_VIPA_SKIP_NATIVE === '1';
  const dir = mkdtempSync(join(tmpdir(), 'src-vipa-cases-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

  native('the driver exists', () => {
    if (skip && !existsSync(DRIVER)) {
      console.log(`\n  (SRC_VIPA_SKIP_NATIVE=1: ${DRIVER} is missing; the native cases are skipped)`);
      return;
    }
    assert.ok(existsSync(DRIVER), `SV_DRIVER=${DRIVER} does not exist: build it, or set SRC_VIPA_SKIP_NATIVE=1`);
  });

  for (const c of CASES) {
    native(`${c.file}: identical to the Node host`, async () => {
      if (skip && !existsSync(DRIVER)) return;
      const expected = await runCase(c);
      const made = madeBy(expected);
      const out = runDriver(c, expected.engine, made.map((d) => d.query), dir);
      const diagnostics = expected.engine.diagnostics().map((d) => ({ line: d.line, column: d.column, severity: d.severity, code: d.abiCode, message: d.message }));
      assert.equal(out.diagnostics, diagnostics, `${c.file}: diagnostics`);
      assert.is(out.rules, expected.engine.rules().length, `${c.file}: ready RULES`);
      const want = made.map((d) => resultOf(d.decision));
      assert.is(out.results.length, want.length, `${c.file}: number of results`);
      assertSameResults(out.results, want, (k) => `${c.file}: result ${k + 1} (step ${made[k].step})`);
    });
  }

  // The C host keeps the answers the engine marks stable (SV_R_STABLE) in 64 slots and
  // answers repeated destinations itself: many destinations, repeated in random order,
  // with colliding slots, rules of every kind and no-rule gaps, must still decide exactly
  // as the Node host (which never keeps answers) does.
  native('generated: 600 queries over 160 repeated destinations, identical to the Node host', async () => {
    if (skip && !existsSync(DRIVER)) return;
    const next = lcgRandom(20261129);
    const config: string[] = [];
    const policies = ['onevipa', 'lrr', 'lc', 'random', 'rr:600'];
    for (let i = 0; i < 40; i++) {
      const many = next() % 3 !== 0;
      const sources = many ? `192.0.2.${i * 2 + 1} 192.0.2.${i * 2 + 2}` : `192.0.2.${i * 2 + 1}`;
      config.push(`10.${i}.0.0/16 ${policies[next() % policies.length]} ${sources}`);
      config.push(`fd00:${i.toString(16)}::/32 ${policies[next() % policies.length]} 2001:db8::${(i + 1).toString(16)}${many ? ` 2001:db8::1:${(i + 1).toString(16)}` : ''}`);
    }
    const destinations: string[] = [];
    for (let i = 0; i < 160; i++) {
      const net = next() % 48; // 40..47: no rule
      const host = `${next() % 256}.${next() % 256}`;
      const kind = next() % 3;
      destinations.push(kind === 0 ? `10.${net}.${host}` : kind === 1 ? `::ffff:10.${net}.${host}` : `fd00:${net.toString(16)}::${(next() % 65536).toString(16)}`);
    }
    const steps: Step[] = [];
    for (let i = 0; i < 600; i++) {
      steps.push({ kind: 'connect', connect: destinations[next() % destinations.length], port: 1 + (next() % 65535), proto: next() % 2 ? 'tcp' : 'udp', expect: {} });
    }
    const c: PolicyCase = { file: 'generated', name: 'repeated destinations', config: `${config.join('\n')}\n`, hosts: {}, seed: [7, 11], diagnostics: [], steps };
    const expected = await runCase(c);
    const made = madeBy(expected);
    const out = runDriver(c, expected.engine, made.map((d) => d.query), dir);
    const want = made.map((d) => resultOf(d.decision));
    assert.is(out.results.length, want.length, 'number of results');
    assert.ok(want.filter((r) => r.flags & 4).length > 100, 'enough stable answers to exercise the kept answers');
    assertSameResults(out.results, want, (k) => `query ${k + 1}: ${(made[k].query as { address: string }).address}`);
  });

  native.run();
}

/** The driver's results against the Node host's, one by one. */
function assertSameResults(got: Result[], want: Result[], where: (k: number) => string): void {
  got.forEach((g, k) => {
    // a pass leaves the other fields of the result record undefined
    const comparable = want[k].code === 0 ? { code: g.code, flags: g.flags } : g;
    const wanted = want[k].code === 0 ? { code: 0, flags: want[k].flags } : want[k];
    assert.equal(comparable, wanted, where(k));
  });
}

// Replays a case on the driver: the same configuration, host names, seed, and the
// queries (with their addresses resolved) and actions of the Node run, in order.
function runDriver(c: PolicyCase, engine: Engine, queries: Query[], dir: string) {
  const base = join(dir, c.file.replace(/\.json$/, ''));
  writeFileSync(`${base}.conf`, c.config!);
  const args = [`${base}.conf`];
  if (Object.keys(c.hosts).length) {
    const lines = Object.entries(c.hosts).map(([name, v]) => `${name} ${v === 'fail' ? '!' : v.join(' ')}`);
    writeFileSync(`${base}.resolve`, `${lines.join('\n')}\n`);
    args.push(`${base}.resolve`);
  }
  const input: string[] = c.seed ? [`seed ${c.seed[0]} ${c.seed[1]}`] : [];
  let next = 0;
  for (const step of c.steps) {
    if (step.kind === 'release') input.push(`release ${step.release[0]} ${step.release[1]}`);
    else if (step.kind === 'fork') input.push(step.fork === 'prepare' ? 'fork_prepare' : 'fork_child');
    else {
      for (let n = decisionsOf(step); n > 0; n--) {
        const q = queries[next++];
        input.push(q.kind === 'connect'
          ? `connect ${engine.parseAddress(q.address)?.family} ${q.address} ${q.port ?? 0} ${q.proto === 'tcp' ? 6 : q.proto === 'udp' ? 17 : 0}`
          : `bind ${q.family} ${q.port} ${q.dualstack ? 1 : 0}`);
      }
    }
  }
  const r = spawnSync(DRIVER!, args, { input: `${input.join('\n')}\n`, encoding: 'utf8', timeout: 30_000 });
  assert.is(r.status, 0, `${DRIVER} ${args.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  const diagnostics: unknown[] = [];
  const results: Result[] = [];
  let rules = -1;
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [word, ...rest] = line.split(' ');
    if (word === 'diag') {
      // SEVERITY and CODE may be numbers or names; the message is the rest of the line, as is
      const m = /^diag (\d+) (\d+) (\S+) (\S+) (.*)$/.exec(line);
      assert.ok(m, `${DRIVER}: malformed line '${line}'`);
      const [, l, column, severity, code, message] = m;
      diagnostics.push({
        line: Number(l), column: Number(column),
        severity: SEVERITIES[Number(severity)] ?? severity,
        code: DIAGNOSTIC_CODES[code as DiagnosticName] ?? Number(code),
        message,
      });
    } else if (word === 'ready') {
      rules = Number(rest[0]);
    } else if (word.startsWith('code=')) {
      const f = Object.fromEntries(line.split(' ').map((kv) => kv.split('=')));
      results.push({
        code: Number(f.code), rule: Number(f.rule), index: Number(f.index), family: Number(f.family),
        source: f.source, line: Number(f.line), flags: Number(f.flags),
      });
    } else {
      assert.unreachable(`${DRIVER}: unexpected output line '${line}'`);
    }
  }
  return { diagnostics, rules, results };
}
