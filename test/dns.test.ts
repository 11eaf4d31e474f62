// Host names (assembly/config/names.ts, finalize.ts, and the host's resolution between
// sv_parse and sv_finalize), through stub resolvers only: no DNS traffic.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../host/engine.js';
import { type Resolver, resolveError } from '../host/resolve.js';
import { diagnosticsOf, load, sourceFor } from './helpers/engine.js';

function summary(e: Engine): string[] {
  return e.rules().map((r) => `${r.line} ${r.kind === 'dest' ? `${r.network}/${r.prefix}` : r.ports.join('-')} ${r.sources.join(',')}`);
}

// ---------------------------------------------------------------------------------------
const dest = suite('names as destinations');

dest('every address of the name becomes a rule with the line\'s prefix', async () => {
  const e = await load('db.example/32 onevipa 192.0.2.1', { resolve: { 'db.example': ['10.0.0.1', '10.0.0.2'] } });
  assert.equal(diagnosticsOf(e), []);
  assert.equal(summary(e), ['1 10.0.0.1/32 192.0.2.1', '1 10.0.0.2/32 192.0.2.1']);
  assert.is(sourceFor(e, '10.0.0.2'), '192.0.2.1');
  assert.is(sourceFor(e, '10.0.0.3'), 'pass');
});

dest('addresses of one name in one network make one rule', async () => {
  const e = await load('db.example/24 onevipa 192.0.2.1', { resolve: { 'db.example': ['10.0.0.1', '10.0.0.2', '10.0.1.1'] } });
  assert.equal(summary(e), ['1 10.0.0.0/24 192.0.2.1', '1 10.0.1.0/24 192.0.2.1']);
  assert.equal(diagnosticsOf(e), []);
});

// The line's prefix applies to every address of the name: /32 is a whole IPv6 network,
// which the engine applies as written but warns about.
dest('a name with both families gives a rule per family, each with its own sources', async () => {
  const e = await load('dual.example/32 lrr vipa.example', {
    resolve: { 'dual.example': ['2001:db8::10', '10.0.0.10'], 'vipa.example': ['192.0.2.1', '2001:db8:ff::1', '192.0.2.2'] },
  });
  assert.equal(diagnosticsOf(e), [{ line: 1, column: 1, severity: 'warning', name: 'SHORT_PREFIX' }]);
  assert.equal(summary(e), ['1 10.0.0.10/32 192.0.2.1,192.0.2.2', '1 2001:db8::/32 2001:db8:ff::1']);
  assert.is(sourceFor(e, '2001:db8::10'), '2001:db8:ff::1');
  assert.is(sourceFor(e, '2001:db8:1::'), '2001:db8:ff::1');
});

dest('a family without sources makes no rule, with a warning', async () => {
  const e = await load('dual.example/32 onevipa 192.0.2.1', { resolve: { 'dual.example': ['10.0.0.10', '2001:db8::10'] } });
  assert.equal(diagnosticsOf(e), [{ line: 1, column: 1, severity: 'warning', name: 'FAMILY_EMPTY' }]);
  assert.equal(summary(e), ['1 10.0.0.10/32 192.0.2.1']);
  assert.is(sourceFor(e, '2001:db8::10'), 'pass');
});

dest('a name that does not resolve skips its line only', async () => {
  const e = await load('gone.example/32 onevipa 192.0.2.1\n10.0.0.0/8 onevipa 192.0.2.2', { resolve: { 'gone.example': 'fail' } });
  assert.equal(diagnosticsOf(e), [{ line: 1, column: 1, severity: 'warning', name: 'RESOLVE_FAILED' }]);
  assert.equal(summary(e), ['2 10.0.0.0/8 192.0.2.2']);
});

dest.run();

// ---------------------------------------------------------------------------------------
const sources = suite('names as sources');

sources('a name gives its addresses of the rule\'s family, in the written order', async () => {
  const e = await load('10.0.0.0/8 lrr 192.0.2.1 pool.example 192.0.2.9', {
    resolve: { 'pool.example': ['192.0.2.5', '2001:db8::5', '192.0.2.4'] },
  });
  assert.equal(summary(e), ['1 10.0.0.0/8 192.0.2.1,192.0.2.5,192.0.2.4,192.0.2.9']);
});

sources('.INADDR_ANY with a two-family name: a statement per family', async () => {
  const e = await load('.INADDR_ANY 80 onevipa vipa.example', { resolve: { 'vipa.example': ['2001:db8::1', '192.0.2.1'] } });
  assert.equal(e.rules().map((r) => [r.family, r.sources]), [[4, ['192.0.2.1']], [6, ['2001:db8::1']]]);
  const v6 = e.select({ kind: 'bind', port: 80, family: 6 });
  assert.is(v6.code === 'bind' && v6.source, '2001:db8::1');
});

sources('a source that does not resolve is skipped; no source left skips the line', async () => {
  const line = '10.0.0.0/8 lrr gone.example 192.0.2.1';
  let e = await load(line, { resolve: {} });
  assert.equal(diagnosticsOf(e), [{ line: 1, column: line.indexOf('gone') + 1, severity: 'warning', name: 'RESOLVE_FAILED' }]);
  assert.equal(summary(e), ['1 10.0.0.0/8 192.0.2.1']);
  e = await load('.INADDR_ANY 80 lrr gone.example', { resolve: {} });
  assert.equal(diagnosticsOf(e).map((d) => d.name), ['RESOLVE_FAILED', 'FAMILY_EMPTY']);
  assert.equal(e.rules(), []);
});

sources.run();

// ---------------------------------------------------------------------------------------
const resolver = suite('the resolver');

resolver('each distinct name is asked once, whatever its case; literals never', async () => {
  const asked: string[] = [];
  const stub: Resolver = async (name) => { asked.push(name); return ['192.0.2.1']; };
  await Engine.load('DB.example/32 onevipa vipa.example 192.0.2.7\ndb.EXAMPLE/32 lrr VIPA.example\n10.0.0.0/8 onevipa 192.0.2.8', { resolver: stub });
  assert.equal(asked.map((n) => n.toLowerCase()).sort(), ['db.example', 'vipa.example']);
});

resolver('answers keep the name order, whichever comes back first', async () => {
  const delays: Record<string, number> = { 'slow.example': 30, 'fast.example': 0 };
  const addresses: Record<string, string> = { 'slow.example': '192.0.2.1', 'fast.example': '192.0.2.2' };
  const stub: Resolver = (name) => new Promise((done) => setTimeout(() => done([addresses[name]]), delays[name]));
  const e = await Engine.load('10.0.0.0/8 lrr slow.example fast.example', { resolver: stub });
  assert.equal(e.rules()[0].sources, ['192.0.2.1', '192.0.2.2']);
});

resolver('why a name failed is in the message', async () => {
  const table: [string, RegExp][] = [['ENOTFOUND', /no such name/], ['EAI_AGAIN', /temporary/], ['EAI_FAIL', /resolver error/]];
  for (const [code, why] of table) {
    const e = await Engine.load('gone.example/32 onevipa 192.0.2.1', { resolver: async (name) => { throw resolveError(name, code); } });
    const [d] = e.diagnostics();
    assert.is(d.name, 'RESOLVE_FAILED', code);
    assert.match(d.message, why, code);
    assert.match(d.message, 'gone.example');
  }
});

resolver('no answer, unusable answers and duplicates', async () => {
  const answers: Record<string, string[]> = {
    'none.example': [],
    'zoned.example': ['fe80::1%eth0', 'not an address'],
    'twice.example': ['10.0.0.1', '10.0.0.1', '2001:db8::1', '2001:DB8::1'],
  };
  const e = await Engine.load('none.example/32 onevipa 192.0.2.1\nzoned.example/128 onevipa ::1\ntwice.example/32 lrr 192.0.2.3 ::3',
    { resolver: async (name) => answers[name] }).catch((error: Error) => error);
  // ::3 and 192.0.2.3 are mixed literals: that line is an error; the other two do not resolve
  assert.ok(e instanceof Engine, String(e));
  assert.equal(diagnosticsOf(e).map((d) => [d.line, d.name]), [[3, 'MIXED_FAMILY'], [1, 'RESOLVE_FAILED'], [2, 'RESOLVE_FAILED']]);
  assert.match(e.diagnostics()[1].message, /no such name/);
  assert.match(e.diagnostics()[2].message, /resolver error/);
  const twice = await Engine.load('twice.example/128 lrr vipa.example', {
    resolver: async (name) => name === 'vipa.example' ? ['192.0.2.3', '2001:db8::3'] : answers[name],
  });
  // /128 is longer than an IPv4 prefix: only the IPv6 address makes a rule
  assert.equal(summary(twice), ['1 2001:db8::1/128 2001:db8::3']);
  assert.equal(diagnosticsOf(twice).map((d) => d.name), ['FAMILY_EMPTY']);
  const once = await Engine.load('twice.example/32 lrr 192.0.2.3', { resolver: async (name) => answers[name] });
  assert.equal(summary(once), ['1 10.0.0.1/32 192.0.2.3']);
});

resolver.run();
