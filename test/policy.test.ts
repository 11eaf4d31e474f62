// The five policies (assembly/policy/): which source comes out next, and what fork does.
// Exact for onevipa, lrr (with a fixed seed), rr and lc; statistical for random.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Engine } from '../host/engine.js';
import { connect, generator, load, picks, ruled } from './helpers/engine.js';

const SOURCES = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'];
const rule = (policy: string, sources = SOURCES) => `10.0.0.0/8 ${policy} ${sources.join(' ')}`;
const DEST = '10.1.2.3';

/** Asserts picks[i] = (picks[0] + i) mod n. */
function assertRotation(seq: number[], n: number, what: string): void {
  assert.equal(seq, seq.map((_, i) => (seq[0] + i) % n), `${what}: ${seq.join(',')}`);
}

// ---------------------------------------------------------------------------------------
const onevipa = suite('onevipa');

onevipa('always the first source', async () => {
  const e = await load(rule('onevipa'));
  assert.equal(new Set(picks(e, DEST, 200)), new Set([0]));
});

onevipa('any policy with one source gives that source', async () => {
  for (const policy of ['random', 'lrr', 'rr:600', 'lc']) {
    const e = await load(rule(policy, ['192.0.2.9']));
    assert.equal(new Set(picks(e, DEST, 20)), new Set([0]), policy);
  }
});

onevipa.run();

// ---------------------------------------------------------------------------------------
const lrr = suite('lrr');

lrr('round robin from where it starts', async () => {
  const e = await load(rule('lrr'), { seed: [7, 0] });
  assertRotation(picks(e, DEST, 3 * SOURCES.length), SOURCES.length, 'lrr');
});

lrr('the start is random: fixed by the seed, spread over the sources', async () => {
  const starts = new Set<number>();
  for (let seed = 0; seed < 64; seed++) {
    const a = await load(rule('lrr'), { seed: [seed, 1] });
    const b = await load(rule('lrr'), { seed: [seed, 1] });
    const first = picks(a, DEST, 1)[0];
    assert.is(picks(b, DEST, 1)[0], first, `seed ${seed} starts at the same place twice`);
    starts.add(first);
  }
  assert.equal(starts, new Set([0, 1, 2, 3]));
});

lrr('each rule keeps its own turn', async () => {
  const e = await load(`${rule('lrr')}\n11.0.0.0/8 lrr 192.0.2.7 192.0.2.8 192.0.2.9`, { seed: [3, 3] });
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 12; i++) {
    a.push(ruled(connect(e, '10.0.0.1')).index);
    if (i % 2) b.push(ruled(connect(e, '11.0.0.1')).index);
  }
  assertRotation(a, 4, 'first rule');
  assertRotation(b, 3, 'second rule');
});

lrr.run();

// ---------------------------------------------------------------------------------------
const rr = suite('rr');

rr('round robin on the shared counter, which starts at 0', async () => {
  const e = await load(rule('rr:600'));
  const seq = picks(e, DEST, 10);
  assert.equal(seq, seq.map((_, i) => i % SOURCES.length));
});

rr('the counter is asked for with the line and the permission bits', async () => {
  const calls: [number, number][] = [];
  let counter = 5;
  const e = await load(`# x\n${rule('rr:640')}`, { rrCounters: { scope: 'host', next: (line, perm) => { calls.push([line, perm]); return counter++; } } });
  const seq = picks(e, DEST, 4);
  assert.equal(calls, [[2, 0o640], [2, 0o640], [2, 0o640], [2, 0o640]]);
  assert.equal(seq, [5, 6, 7, 8].map((v) => v % SOURCES.length), 'the counter value picks the source');
});

rr('one counter per line', async () => {
  const e = await load(`${rule('rr:600')}\n11.0.0.0/8 rr:600 192.0.2.7 192.0.2.8 192.0.2.9`);
  const a = [0, 1, 2].map(() => ruled(connect(e, '10.0.0.1')).index);
  const b = [0, 1].map(() => ruled(connect(e, '11.0.0.1')).index);
  assert.equal([a, b], [[0, 1, 2], [0, 1]]);
});

rr('without a shared counter: round robin per process, said once in the log', async () => {
  const logs: [number, string][] = [];
  const e = await load(rule('rr:600'), {
    seed: [1, 2], rrCounters: { scope: 'host', next: () => 0xffffffff }, onLog: (level, message) => logs.push([level, message]),
  });
  assertRotation(picks(e, DEST, 8), SOURCES.length, 'fallback');
  assert.is(logs.length, 1, JSON.stringify(logs));
  assert.is(logs[0][0], 4, 'logged as a warning');
  assert.match(logs[0][1], /per process/);
});

rr.run();

// ---------------------------------------------------------------------------------------
const lc = suite('lc');

function counts(e: Engine): number {
  return e.rules()[0].connections;
}

lc('with no socket yet, the first source (ties go to the lowest index first)', async () => {
  const e = await load(rule('lc'));
  assert.is(ruled(connect(e, DEST)).index, 0);
});

lc('each pick has the fewest sockets; ties go round robin after the last pick', async () => {
  const n = SOURCES.length;
  const e = await load(rule('lc'));
  const open = SOURCES.map(() => 0);
  const sockets: number[] = [];
  const next = generator(42);
  let last = ruled(connect(e, DEST)).index;
  open[last]++;
  sockets.push(last);
  for (let step = 0; step < 2000; step++) {
    if (sockets.length && next() < 0.45) {
      const [index] = sockets.splice(Math.floor(next() * sockets.length), 1);
      e.release(0, index);
      open[index]--;
      continue;
    }
    const d = ruled(connect(e, DEST));
    assert.ok(d.counted, 'an lc decision is counted');
    const fewest = Math.min(...open);
    let expected = (last + 1) % n;
    while (open[expected] !== fewest) expected = (expected + 1) % n;
    assert.is(d.index, expected, `step ${step}, open ${open.join(',')}, last ${last}`);
    open[d.index]++;
    sockets.push(d.index);
    last = d.index;
    assert.is(counts(e), sockets.length);
  }
});

lc('releases that do not match a socket change nothing', async () => {
  const e = await load(`${rule('lc', SOURCES.slice(0, 2))}\n${'11.0.0.0/8 onevipa 192.0.2.9'}`);
  const first = ruled(connect(e, DEST)).index;
  e.release(0, 1 - first);   // a source with no socket: never below zero
  e.release(0, 7);           // no such source
  e.release(9, 0);           // no such rule
  e.release(1, 0);           // not an lc rule
  assert.is(counts(e), 1);
  assert.is(ruled(connect(e, DEST)).index, 1 - first, 'the other source is still the least used');
  assert.is(counts(e), 2);
});

lc('a wildcard answer is not counted', async () => {
  const e = await load('.INADDR_ANY 0-65535 lc 0.0.0.0 192.0.2.1');
  const decisions = [0, 1, 2, 3].map(() => ruled(e.select({ kind: 'bind', port: 80, family: 4 })));
  for (const d of decisions) assert.is(d.counted, d.code === 'bind', `${d.code} ${d.source}`);
  assert.ok(decisions.some((d) => d.code === 'keep') && decisions.some((d) => d.code === 'bind'));
  assert.is(e.rules()[0].connections, decisions.filter((d) => d.counted).length);
  assert.is(decisions.filter((d) => d.code === 'bind').length, 4 - decisions.filter((d) => d.code === 'keep').length);
});

lc('other policies count nothing', async () => {
  for (const policy of ['onevipa', 'random', 'lrr', 'rr:600']) {
    const e = await load(rule(policy));
    assert.is(ruled(connect(e, DEST)).counted, false, policy);
    assert.is(counts(e), 0, policy);
  }
});

lc.run();

// ---------------------------------------------------------------------------------------
const random = suite('random');

random('uniform over the sources (chi-square, fixed seed)', async () => {
  const sources = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'];
  const e = await load(rule('random', sources), { seed: [0x5eed, 2024] });
  const draws = 50_000;
  const seen = sources.map(() => 0);
  for (const index of picks(e, DEST, draws)) seen[index]++;
  const expected = draws / sources.length;
  const chi2 = seen.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
  // 18.47: the 0.999 quantile of chi-square with 4 degrees of freedom
  assert.ok(chi2 < 18.47, `chi-square ${chi2.toFixed(2)} for ${seen.join(',')}`);
});

random('no pattern between one pick and the next (chi-square on pairs)', async () => {
  const n = 3;
  const e = await load(rule('random', SOURCES.slice(0, n)), { seed: [11, 12] });
  const seq = picks(e, DEST, 45_001);
  const pairs = new Array(n * n).fill(0);
  for (let i = 1; i < seq.length; i++) pairs[seq[i - 1] * n + seq[i]]++;
  const expected = (seq.length - 1) / (n * n);
  const chi2 = pairs.reduce((sum, v) => sum + (v - expected) ** 2 / expected, 0);
  // 26.12: the 0.999 quantile of chi-square with 8 degrees of freedom
  assert.ok(chi2 < 26.12, `chi-square ${chi2.toFixed(2)} for ${pairs.join(',')}`);
});

random('a seed fixes the stream; another seed gives another one', async () => {
  const run = async (seed: [number, number]) => picks(await load(rule('random'), { seed }), DEST, 64);
  assert.equal(await run([1, 2]), await run([1, 2]));
  assert.not.equal(await run([1, 2]), await run([2, 1]));
});

random('without a seed, the engine seeds itself from random_u32', async () => {
  const stream = (start: number) => { let v = start; return () => (v = (Math.imul(v, 1103515245) + 12345) >>> 0); };
  let calls = 0;
  const counting = (inner: () => number) => () => { calls++; return inner(); };
  const a = picks(await load(rule('random'), { random: counting(stream(1)) }), DEST, 64);
  assert.ok(calls > 0, 'random_u32 was called');
  const b = picks(await load(rule('random'), { random: stream(1) }), DEST, 64);
  const c = picks(await load(rule('random'), { random: stream(99) }), DEST, 64);
  assert.equal(a, b);
  assert.not.equal(a, c);
});

random.run();

// ---------------------------------------------------------------------------------------
// A parent forks child number k after k fork_prepare calls; the child calls fork_child.
const fork = suite('fork');

async function childOf(config: string, k: number, seed: [number, number]): Promise<Engine> {
  const e = await load(config, { seed });
  for (let i = 0; i < k; i++) e.forkPrepare();
  e.forkChild();
  return e;
}

fork('lrr: the children of one parent start at different sources', async () => {
  const seed: [number, number] = [5, 6];
  const parentNext = picks(await load(rule('lrr'), { seed }), DEST, 1)[0];
  const n = SOURCES.length;
  const firsts: number[] = [];
  for (let k = 1; k <= n; k++) {
    const child = await childOf(rule('lrr'), k, seed);
    const seq = picks(child, DEST, n + 1);
    assertRotation(seq, n, `child ${k}`);
    firsts.push(seq[0]);
  }
  assert.equal(firsts, [1, 2, 3, 4].map((k) => (parentNext + k) % n), 'child k starts k places further on');
});

fork('the parent goes on where it was', async () => {
  const seed: [number, number] = [8, 9];
  const plain = picks(await load(rule('lrr'), { seed }), DEST, 6);
  const parent = await load(rule('lrr'), { seed });
  parent.forkPrepare();
  parent.forkPrepare();
  assert.equal(picks(parent, DEST, 6), plain);
});

fork('random: a child does not replay its parent, nor its sibling', async () => {
  const seed: [number, number] = [21, 22];
  const parent = picks(await load(rule('random'), { seed }), DEST, 64);
  const first = picks(await childOf(rule('random'), 1, seed), DEST, 64);
  const second = picks(await childOf(rule('random'), 2, seed), DEST, 64);
  assert.not.equal(first, parent);
  assert.not.equal(second, parent);
  assert.not.equal(first, second);
  assert.equal(picks(await childOf(rule('random'), 1, seed), DEST, 64), first, 'with a seed, a child is reproducible');
});

fork('random without a seed: the child reseeds from random_u32', async () => {
  let calls = 0;
  const e = await load(rule('random'), { random: () => { calls++; return 0x12345678; } });
  picks(e, DEST, 1);
  const before = calls;
  e.forkPrepare();
  e.forkChild();
  assert.ok(calls > before, `random_u32 calls: ${before} before the fork, ${calls} after`);
});

fork('lc: the child keeps the counts of the sockets it inherits', async () => {
  const e = await load(rule('lc'));
  const inherited = picks(e, DEST, 3);
  e.forkPrepare();
  e.forkChild();
  assert.is(e.rules()[0].connections, 3);
  const unused = [0, 1, 2, 3].filter((i) => !inherited.includes(i));
  assert.is(unused.length, 1, `three sockets on three sources: ${inherited.join(',')}`);
  assert.is(ruled(connect(e, DEST)).index, unused[0], 'the child picks the one source without a socket');
});

fork('rr: the shared counter goes on across a fork', async () => {
  const e = await load(rule('rr:600'));
  const before = picks(e, DEST, 3);
  e.forkPrepare();
  e.forkChild();
  assert.equal([...before, ...picks(e, DEST, 3)], [0, 1, 2, 3, 0, 1]);
});

fork.run();
