// The configuration language (assembly/config/): every form of a line, and every error,
// warning and note with its line and column.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Rule } from '../host/engine.js';
import { bind, connect, diagnosticsOf, load, ruled } from './helpers/engine.js';

/** 1-based byte column of `token` in `line` (all test lines are ASCII). */
function col(line: string, token: string): number {
  const at = line.indexOf(token);
  if (at < 0) throw new Error(`'${token}' is not in '${line}'`);
  return at + 1;
}

function only<T>(items: T[]): T {
  assert.is(items.length, 1, `expected exactly one, got ${JSON.stringify(items)}`);
  return items[0];
}

// ---------------------------------------------------------------------------------------
const forms = suite('forms');

forms('blank lines and comments are ignored, but counted as lines', async () => {
  const e = await load('# a comment\n\n   # indented\n\t \n10.0.0.0/8 onevipa 192.0.2.1\n');
  assert.equal(diagnosticsOf(e), []);
  const rule = only(e.rules());
  assert.is(rule.line, 5);
});

forms('IPv4 destination rule', async () => {
  const e = await load('10.0.0.0/8 onevipa 192.0.2.1 192.0.2.2');
  assert.equal(diagnosticsOf(e), []);
  assert.equal(only(e.rules()), {
    id: 0, line: 1, kind: 'dest', family: 4, network: '10.0.0.0', prefix: 8, policy: 'onevipa',
    sources: ['192.0.2.1', '192.0.2.2'], shadowedBy: null, connections: 0,
  } satisfies Rule);
});

forms('IPv6 destination rule, sources in any RFC 4291 form, shown as RFC 5952', async () => {
  const e = await load('2001:DB8:0:0::/32 random 2001:0db8:0000:0000:0000:0000:0000:0001 2001:db8::c000:207');
  assert.equal(diagnosticsOf(e), []);
  const rule = only(e.rules());
  assert.is(rule.kind, 'dest');
  assert.is(rule.family, 6);
  assert.is(rule.kind === 'dest' && `${rule.network}/${rule.prefix}`, '2001:db8::/32');
  assert.equal(rule.sources, ['2001:db8::1', '2001:db8::c000:207']);
});

forms('prefix lengths from 0 to the full address', async () => {
  const e = await load('0.0.0.0/0 onevipa 192.0.2.1\n10.1.2.3/32 onevipa 192.0.2.2\n::/0 onevipa ::1\n2001:db8::1/128 onevipa ::2');
  assert.equal(diagnosticsOf(e), []);
  assert.equal(e.rules().map((r) => r.kind === 'dest' && `${r.network}/${r.prefix}`),
    ['0.0.0.0/0', '10.1.2.3/32', '::/0', '2001:db8::1/128']);
});

forms('tabs, runs of blanks, CRLF line ends and a comment after the sources', async () => {
  const e = await load('10.0.0.0/8\t lrr  192.0.2.1\t\t192.0.2.2   # the rest is a comment\r\n11.0.0.0/8 onevipa 192.0.2.3\r\n');
  assert.equal(diagnosticsOf(e), []);
  assert.equal(e.rules().map((r) => [r.line, r.sources]), [[1, ['192.0.2.1', '192.0.2.2']], [2, ['192.0.2.3']]]);
});

forms('every policy word, in any case; rr keeps its permission digits', async () => {
  const words = ['onevipa', 'RANDOM', 'Lrr', 'rr:600', 'RR:640', 'rr:007', 'lc'];
  const e = await load(words.map((w, i) => `10.${i}.0.0/16 ${w} 192.0.2.1 192.0.2.2`).join('\n'));
  assert.equal(diagnosticsOf(e), []);
  assert.equal(e.rules().map((r) => r.policy), ['onevipa', 'random', 'lrr', 'rr:600', 'rr:640', 'rr:007', 'lc']);
});

forms('.INADDR_ANY with a port range and with one port, in any case', async () => {
  const e = await load('.INADDR_ANY 1024-65535 onevipa 192.0.2.1\n.inaddr_any 0 lrr 192.0.2.2\n.INADDR_ANY 80 onevipa ::1');
  assert.equal(diagnosticsOf(e), []);
  assert.equal(e.rules().map((r) => r.kind === 'bind' && [r.line, r.family, r.ports, r.sources]),
    [[1, 4, [1024, 65535], ['192.0.2.1']], [2, 4, [0, 0], ['192.0.2.2']], [3, 6, [80, 80], ['::1']]]);
});

forms('the wildcard as a source', async () => {
  const e = await load('.INADDR_ANY 512-1023 onevipa 0.0.0.0\n.INADDR_ANY 512-1023 onevipa ::');
  assert.equal(diagnosticsOf(e), []);
  assert.equal(e.rules().map((r) => r.sources), [['0.0.0.0'], ['::']]);
});

forms('host names as destination and as sources', async () => {
  const e = await load('db.example/32 onevipa vipa.example 192.0.2.9', {
    resolve: { 'db.example': ['10.9.9.9'], 'vipa.example': ['192.0.2.5'] },
  });
  assert.equal(diagnosticsOf(e), []);
  const rule = only(e.rules());
  assert.is(rule.kind === 'dest' && rule.network, '10.9.9.9');
  assert.equal(rule.sources, ['192.0.2.5', '192.0.2.9']);
});

forms('64 sources in one rule, all of them used', async () => {
  const sources = Array.from({ length: 64 }, (_, i) => `192.0.2.${i + 1}`);
  const e = await load(`10.0.0.0/8 rr:600 ${sources.join(' ')}`);
  assert.equal(only(e.rules()).sources, sources);
  const seen = new Set(Array.from({ length: 64 }, () => e.select({ kind: 'connect', address: '10.0.0.1' })));
  assert.is(new Set([...seen].map((d) => d.code === 'pass' ? 'pass' : d.source)).size, 64);
});

forms('a line of 65,535 bytes is read', async () => {
  const head = `2001:db8::/32 lrr ${'2001:0db8:0000:0000:0000:0000:0000:0001 '.repeat(1600)}`;
  const line = head.padEnd(65535, ' ');
  const e = await load(`${line}\n10.0.0.0/8 onevipa 192.0.2.1`);
  assert.equal(e.diagnostics().filter((d) => d.severity !== 'note'), []);
  assert.equal(e.rules().map((r) => [r.line, r.sources.length]), [[1, 1600], [2, 1]]);
});

forms('an IPv6 destination with an embedded dotted quad', async () => {
  const e = await load('64:ff9b::10.0.0.0/104 onevipa 64:ff9b::192.0.2.1');
  assert.equal(diagnosticsOf(e), []);
  const rule = only(e.rules());
  assert.is(rule.kind === 'dest' && `${rule.network}/${rule.prefix}`, '64:ff9b::a00:0/104');
  assert.equal(rule.sources, ['64:ff9b::c000:201']);
});

forms.run();

// ---------------------------------------------------------------------------------------
// Each error skips its line only: a valid line after it still makes a rule.
const errors = suite('errors');

const VALID = '99.0.0.0/8 onevipa 192.0.2.99';

async function expectError(line: string, name: string, column: number, options: Parameters<typeof load>[1] = {}) {
  const e = await load(`# first line\n${line}\n${VALID}`, options);
  assert.equal(diagnosticsOf(e), [{ line: 2, column, severity: 'error', name }], line.slice(0, 80));
  assert.equal(e.rules().map((r) => r.line), [3], 'only the valid line makes a rule');
  const message = only(e.diagnostics()).message;
  assert.match(message, /\b(write|split)\b/, 'the message says what to write instead');
  return message;
}

errors('SYNTAX: more tokens than a line may have', async () => {
  const sources = (n: number) => Array.from({ length: n }, () => 'a').join(' ');
  const message = await expectError(`10.0.0.0/8 onevipa ${sources(5000)}`, 'SYNTAX', 0);
  assert.match(message, /split the rule/);
});

errors('SYNTAX: the limit the message states is accepted', async () => {
  // The message names the largest number of sources a line may have; that many must work.
  const e = await load(`10.0.0.0/8 onevipa ${Array.from({ length: 5000 }, () => 'a').join(' ')}`);
  const stated = Number(/at most (\d+)/.exec(only(e.diagnostics()).message)?.[1]);
  const atLimit = await load(`10.0.0.0/8 onevipa ${Array.from({ length: stated }, () => 'a').join(' ')}`,
    { resolve: { a: ['192.0.2.1'] } });
  assert.equal(atLimit.diagnostics().filter((d) => d.severity === 'error'), [],
    `a line with the stated ${stated} sources is refused`);
});

errors('BAD_DEST: not an address and not a host name', async () => {
  await expectError('10.0.0.300/8 onevipa 192.0.2.1', 'BAD_DEST', 1);
  await expectError('bad!name/8 onevipa 192.0.2.1', 'BAD_DEST', 1);
  await expectError('1:2:3:4:5:6:7:8:9/64 onevipa ::1', 'BAD_DEST', 1);
});

errors('BAD_DEST: INADDR_ANY without its dot', async () => {
  const message = await expectError('INADDR_ANY 80 onevipa 192.0.2.1', 'BAD_DEST', 1);
  assert.match(message, /\.INADDR_ANY/);
});

errors('BAD_MASK: missing, empty, not a number, or too long for the family', async () => {
  // a missing prefix is reported where it belongs: right after the destination
  await expectError('10.0.0.0 onevipa 192.0.2.1', 'BAD_MASK', '10.0.0.0'.length + 1);
  await expectError('2001:db8:: onevipa ::1', 'BAD_MASK', '2001:db8::'.length + 1);
  // a bad prefix is reported at its first digit
  for (const line of ['10.0.0.0/33 onevipa 192.0.2.1', '10.0.0.0/ onevipa 192.0.2.1',
                      '10.0.0.0/8x onevipa 192.0.2.1', '2001:db8::/129 ::1', 'db.example/129 onevipa ::1']) {
    await expectError(line, 'BAD_MASK', line.indexOf('/') + 2);
  }
});

errors('BAD_PORT: missing, out of range, malformed or reversed', async () => {
  await expectError('.INADDR_ANY', 'BAD_PORT', '.INADDR_ANY'.length + 1);
  for (const port of ['65536', '80-65536', '-80', '80-', '1-2-3', 'http', '123456']) {
    const line = `.INADDR_ANY ${port} onevipa 192.0.2.1`;
    await expectError(line, 'BAD_PORT', col(line, port));
  }
  const message = await expectError('.INADDR_ANY 2000-1000 onevipa 192.0.2.1', 'BAD_PORT', 13);
  assert.match(message, /1000-2000/, 'the reversed range is shown the right way round');
});

errors('BAD_SOURCE: not an address and not a host name', async () => {
  let line = '10.0.0.0/8 onevipa 192.0.2.1 192.0.2.256';
  await expectError(line, 'BAD_SOURCE', col(line, '192.0.2.256'));
  line = '10.0.0.0/8 onevipa 192.0.2.1, 192.0.2.2';
  const message = await expectError(line, 'BAD_SOURCE', col(line, '192.0.2.1,'));
  assert.match(message, /blanks, not commas/);
  line = '.INADDR_ANY 80 lrr 192.0.2.1 no/slash';
  await expectError(line, 'BAD_SOURCE', col(line, 'no/slash'));
});

errors('MIXED_FAMILY: IPv4 and IPv6 in one rule, at the first source of the other family', async () => {
  let line = '10.0.0.0/8 onevipa 192.0.2.1 2001:db8::1';
  await expectError(line, 'MIXED_FAMILY', col(line, '2001:db8::1'));
  line = '2001:db8::/32 onevipa 2001:db8::1 192.0.2.1';
  await expectError(line, 'MIXED_FAMILY', col(line, '192.0.2.1'));
  line = '2001:db8::/32 onevipa 192.0.2.1';
  await expectError(line, 'MIXED_FAMILY', col(line, '192.0.2.1'));
  line = '.INADDR_ANY 80 onevipa ::1 127.0.0.1';
  await expectError(line, 'MIXED_FAMILY', col(line, '127.0.0.1'));
  line = 'db.example/24 onevipa 192.0.2.1 ::1';
  await expectError(line, 'MIXED_FAMILY', col(line, '::1'), { resolve: { 'db.example': ['10.0.0.1'] } });
});

errors('NO_SOURCES: no policy and no sources, or a policy without sources', async () => {
  await expectError('10.0.0.0/8', 'NO_SOURCES', 0);
  await expectError('10.0.0.0/8 lrr', 'NO_SOURCES', 0);
  await expectError('.INADDR_ANY 80', 'NO_SOURCES', 0);
  await expectError('.INADDR_ANY 80 onevipa # 192.0.2.1', 'NO_SOURCES', 0);
});

errors('LINE_TOO_LONG: a line of 65,536 bytes', async () => {
  const line = '10.0.0.0/8 onevipa 192.0.2.1'.padEnd(65536, ' ');
  await expectError(line, 'LINE_TOO_LONG', 0);
});

errors('the line numbers of several errors in one file', async () => {
  const e = await load('10.0.0.0/8\n\n# x\n10.0.0.0/33 onevipa 192.0.2.1\r\n.INADDR_ANY x onevipa 192.0.2.1\n');
  assert.equal(diagnosticsOf(e).map((d) => [d.line, d.name]), [[1, 'NO_SOURCES'], [4, 'BAD_MASK'], [5, 'BAD_PORT']]);
});

errors.run();

// ---------------------------------------------------------------------------------------
// A warning keeps its line, possibly changed.
const warnings = suite('warnings');

async function expectWarning(config: string, expected: { line: number; column: number; name: string }[],
                             options: Parameters<typeof load>[1] = {}) {
  const e = await load(config, options);
  assert.equal(diagnosticsOf(e), expected.map((d) => ({ ...d, severity: 'warning' })), config.slice(0, 80));
  for (const d of e.diagnostics()) assert.match(d.message, /\b(write|remove|add)\b/, 'says what to do instead');
  return e;
}

warnings('BAD_POLICY: an unknown word or a broken rr:ABC means lrr', async () => {
  for (const word of ['roundrobin', 'rr', 'rr:', 'rr:9x', 'rr:60', 'rr:6000', 'rr:608', 'rr600', 'one-vipa']) {
    const line = `10.0.0.0/8 ${word} 192.0.2.1 192.0.2.2`;
    const e = await expectWarning(line, [{ line: 1, column: col(line, word), name: 'BAD_POLICY' }]);
    assert.is(only(e.rules()).policy, 'lrr', word);
    assert.match(only(e.diagnostics()).message, word);
  }
});

warnings('OLD_FORMAT: a src_vipa 1.x line without a policy is onevipa', async () => {
  let line = '10.0.0.0/8 192.0.2.1 192.0.2.2';
  let e = await expectWarning(line, [{ line: 1, column: col(line, '192.0.2.1'), name: 'OLD_FORMAT' }]);
  assert.equal(only(e.rules()).policy, 'onevipa');
  assert.equal(only(e.rules()).sources, ['192.0.2.1', '192.0.2.2']);
  assert.match(only(e.diagnostics()).message, "'10.0.0.0/8 onevipa 192.0.2.1 192.0.2.2'");
  line = '.INADDR_ANY 80 192.0.2.1';
  e = await expectWarning(line, [{ line: 1, column: col(line, '192.0.2.1'), name: 'OLD_FORMAT' }]);
  assert.match(only(e.diagnostics()).message, "'.INADDR_ANY 80 onevipa 192.0.2.1'");
});

warnings('HOST_BITS: bits beyond the prefix are dropped, and the network is suggested', async () => {
  let e = await expectWarning('10.1.2.3/8 onevipa 192.0.2.1', [{ line: 1, column: 1, name: 'HOST_BITS' }]);
  assert.is(only(e.rules()).kind === 'dest' && (only(e.rules()) as { network: string }).network, '10.0.0.0');
  assert.match(only(e.diagnostics()).message, '10.0.0.0/8');
  e = await expectWarning('2001:db8:1::1/32 onevipa ::1', [{ line: 1, column: 1, name: 'HOST_BITS' }]);
  assert.match(only(e.diagnostics()).message, '2001:db8::/32');
});

warnings('RESOLVE_FAILED: a destination name skips its line, a source name only itself', async () => {
  let line = 'gone.example/32 onevipa 192.0.2.1';
  let e = await expectWarning(`${line}\n${VALID}`, [{ line: 1, column: 1, name: 'RESOLVE_FAILED' }]);
  assert.equal(e.rules().map((r) => r.line), [2]);
  line = '10.0.0.0/8 lrr 192.0.2.1 gone.example 192.0.2.2';
  e = await expectWarning(line, [{ line: 1, column: col(line, 'gone.example'), name: 'RESOLVE_FAILED' }]);
  assert.equal(only(e.rules()).sources, ['192.0.2.1', '192.0.2.2']);
});

warnings('FAMILY_EMPTY: a family with no sources makes no rule', async () => {
  const resolve = { 'dual.example': ['10.0.0.1', '2001:db8::1'], 'gone.example': 'fail' as const };
  let e = await expectWarning('dual.example/32 onevipa 192.0.2.1', [{ line: 1, column: 1, name: 'FAMILY_EMPTY' }], { resolve });
  assert.equal(e.rules().map((r) => r.family), [4]);
  assert.match(only(e.diagnostics()).message, /IPv6/);
  // /64 fits IPv6 but not IPv4: the IPv4 addresses of the name give no rule
  e = await expectWarning('dual.example/64 onevipa ::1', [{ line: 1, column: 1, name: 'FAMILY_EMPTY' }], { resolve });
  assert.equal(e.rules().map((r) => r.family), [6]);
  // no source resolves at all
  const line = '10.0.0.0/8 onevipa gone.example';
  e = await expectWarning(line, [
    { line: 1, column: col(line, 'gone.example'), name: 'RESOLVE_FAILED' },
    { line: 1, column: 0, name: 'FAMILY_EMPTY' },
  ], { resolve });
  assert.equal(e.rules(), []);
});

warnings('SHADOWED: the same destination and prefix again; the later line wins', async () => {
  const e = await expectWarning('10.0.0.0/8 onevipa 192.0.2.1\n10.0.0.0/16 onevipa 192.0.2.2\n10.0.0.0/8 lc 192.0.2.3',
    [{ line: 1, column: 0, name: 'SHADOWED' }]);
  assert.equal(e.rules().map((r) => [r.line, r.shadowedBy]), [[1, 3], [2, null], [3, null]]);
  assert.match(only(e.diagnostics()).message, /line 3/);
});

warnings.run();

// ---------------------------------------------------------------------------------------
const notes = suite('notes');

notes('NOT_PORTABLE: more than 8 sources (src_vipa 2.x took 8)', async () => {
  const sources = (n: number) => Array.from({ length: n }, (_, i) => `192.0.2.${i + 1}`).join(' ');
  let e = await load(`10.0.0.0/8 lrr ${sources(8)}\n.INADDR_ANY 80 lrr ${sources(8)}`);
  assert.equal(diagnosticsOf(e), []);
  e = await load(`# x\n10.0.0.0/8 lrr ${sources(9)}\n.INADDR_ANY 80 lrr ${sources(9)}`);
  assert.equal(diagnosticsOf(e), [
    { line: 2, column: 0, severity: 'note', name: 'NOT_PORTABLE' },
    { line: 3, column: 0, severity: 'note', name: 'NOT_PORTABLE' },
  ]);
  assert.equal(e.rules().map((r) => r.sources.length), [9, 9]);
});

notes.run();

// ---------------------------------------------------------------------------------------
// Rules that can never match, or that break the sockets they answer: warnings that say
// what to write instead.
const useless = suite('rules that never match or cannot work');

useless('MAPPED_ADDRESS: an IPv6 destination inside ::ffff:0:0/96 never matches; the fix is its IPv4 form', async () => {
  const e = await load('::ffff:10.0.0.0/104 onevipa 2001:db8::1\n::ffff:0:0/96 lrr 2001:db8::2\n::/0 onevipa 2001:db8::3\n10.0.0.0/8 onevipa 192.0.2.1');
  assert.equal(diagnosticsOf(e), [
    { line: 1, column: 1, severity: 'warning', name: 'MAPPED_ADDRESS' },
    { line: 2, column: 1, severity: 'warning', name: 'MAPPED_ADDRESS' },
  ]);
  const [first, second] = e.diagnostics();
  assert.is(first.message, '::ffff:10.0.0.0/104 is an IPv4-mapped destination: sockets connecting to ::ffff:a.b.c.d are matched against the IPv4 rules, so this IPv6 rule never matches: write the IPv4 form, 10.0.0.0/8');
  assert.match(second.message, /write the IPv4 form, 0\.0\.0\.0\/0$/);
  // and indeed: the IPv4 rule answers, never the mapped one
  assert.is(connect(e, '::ffff:10.1.2.3').code === 'bind' && ruled(connect(e, '::ffff:10.1.2.3')).line, 4);
});

useless('MAPPED_ADDRESS: a host-name destination that resolves to a mapped address', async () => {
  const e = await load('odd.example/128 onevipa 2001:db8::1', { resolve: { 'odd.example': ['::ffff:10.0.0.7'] } });
  assert.equal(diagnosticsOf(e), [{ line: 1, column: 1, severity: 'warning', name: 'MAPPED_ADDRESS' }]);
  assert.match(e.diagnostics()[0].message, /^'odd\.example' resolves to ::ffff:10\.0\.0\.7, an IPv4-mapped address: .* write the IPv4 form, 10\.0\.0\.7\/32$/);
});

useless('MAPPED_ADDRESS: a mapped source in an IPv6 rule or IPv6 .INADDR_ANY statement', async () => {
  const dest = '2001:db8::/32 onevipa 2001:db8::1 ::ffff:192.0.2.7';
  const bind = '.INADDR_ANY 0 onevipa ::ffff:192.0.2.8';
  const e = await load(`${dest}\n${bind}`);
  assert.equal(diagnosticsOf(e), [
    { line: 1, column: col(dest, '::ffff:'), severity: 'warning', name: 'MAPPED_ADDRESS' },
    { line: 2, column: col(bind, '::ffff:'), severity: 'warning', name: 'MAPPED_ADDRESS' },
  ]);
  const [a, b] = e.diagnostics().map((d) => d.message);
  assert.match(a, /^source ::ffff:192\.0\.2\.7 is an IPv4-mapped address: an IPv6 socket bound to it can reach IPv4 destinations only, .*\(EAFNOSUPPORT\): write an IPv6 source/);
  assert.match(b, /^source ::ffff:192\.0\.2\.8 is an IPv4-mapped address: binding an IPv6 socket to it takes IPv6 away from the socket/);
});

useless('SHADOWED: an .INADDR_ANY statement whose ports later statements of its family all cover', async () => {
  const e = await load([
    '.INADDR_ANY 80 onevipa 192.0.2.1',           // covered by line 4
    '.INADDR_ANY 1000-2000 onevipa 192.0.2.2',    // covered by lines 3 and 5 together
    '.INADDR_ANY 1000-1499 onevipa 192.0.2.3',
    '.INADDR_ANY 0-1023 onevipa 192.0.2.4',
    '.INADDR_ANY 1500-2000 onevipa 192.0.2.5',
    '.INADDR_ANY 80 onevipa 2001:db8::1',         // IPv6: nothing later covers it
    '.INADDR_ANY 3000-4000 onevipa 192.0.2.6',    // partly covered only
    '.INADDR_ANY 3500-9000 onevipa 192.0.2.7',
  ].join('\n'));
  assert.equal(diagnosticsOf(e), [
    { line: 1, column: 0, severity: 'warning', name: 'SHADOWED' },
    { line: 2, column: 0, severity: 'warning', name: 'SHADOWED' },
  ]);
  assert.is(e.diagnostics()[1].message,
    'this .INADDR_ANY statement never applies to IPv4 sockets: later IPv4 statements cover its ports 1000-2000, and the last statement that covers a port wins: move it below them, or remove it');
  assert.is(ruled(bind(e, 3200)).line, 7);
});

useless.run();

// ---------------------------------------------------------------------------------------
// Messages quote the file; what they quote reaches terminals and syslog, so it is escaped.
const quoting = suite('the file\'s text in messages');

quoting('control characters, C1 and bidi controls, and invalid UTF-8 are written as \\xNN', async () => {
  const bytes = Buffer.concat([
    Buffer.from('\x1b[31mred\x07/8 onevipa 192.0.2.1\n'),                 // BAD_DEST
    Buffer.from('10.0.0.0/8 fast\x1b]0;title\x07 192.0.2.1\n'),            // BAD_POLICY
    Buffer.from('10.0.0.0/9 onevipa 192.0.2.1 x\u202ey\u009b\u2028,\n'),  // BAD_SOURCE
    Buffer.from('.INADDR_ANY 8'), Buffer.from([0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80]), Buffer.from(' onevipa 192.0.2.1\n'),
  ]);
  const e = await load(new Uint8Array(bytes));
  const messages = e.diagnostics().map((d) => d.message);
  assert.is(messages.length, 4);
  for (const m of messages) assert.not.match(m, /[\u0000-\u001f\u007f-\u009f\u2028\u202e\ufffd]/, m);
  assert.match(messages[0], /^'\\x1b\[31mred\\x07' is neither an IP address nor a host name/);
  assert.match(messages[1], /^unknown policy 'fast\\x1b\]0;title\\x07'/);
  assert.match(messages[2], /^source 'x\\xe2\\x80\\xaey\\xc2\\x9b\\xe2\\x80\\xa8,' is neither/);
  assert.match(messages[3], /^'8\\xff\\xc0\\x80\\xed\\xa0\\x80' is not a port or port range/);
});

quoting('long quoted text is cut short', async () => {
  const e = await load(`10.0.0.0/8 onevipa ${'\x01'.repeat(5000)}`);
  const m = only(e.diagnostics()).message;
  assert.match(m, /^source '(\\x01){24}\.\.\.' is neither/);
  assert.ok(m.length < 300, `${m.length} characters`);
});

quoting.run();
