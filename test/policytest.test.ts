// `src-vipa test` (host/commands/test.ts) and its runner (host/policytest/): cases that
// hold and cases that do not, with the messages and exit statuses an operator sees; the
// configuration a case runs against; hosts, seeds, TAP (read by prove) and JSON; invalid
// case files; and the JSON Schema shipped for editors, which must agree with the runner.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DIAGNOSTIC_CODES } from '../host/abi.js';
import type { CommandContext } from '../host/commands/context.js';
import { test as runTests, type TestOptions } from '../host/commands/test.js';
import { CaseError, UsageError } from '../host/errors.js';
import { parseCase } from '../host/policytest/case.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'src-vipa-policytest-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

let made = 0;
/** Writes a case (an object or raw text) and returns its path. */
function caseFile(body: object | string, name = `case${++made}.json`): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  return path;
}

function confFile(text: string, name = `conf${++made}.conf`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(options: TestOptions, env: Record<string, string> = {}, resolver?: CommandContext['resolver']) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CommandContext = { io: { out: (l) => out.push(l), err: (l) => err.push(l) }, env, ...(resolver ? { resolver } : {}) };
  const status = await runTests(options, ctx);
  return { status, out, err };
}

const LRR = {
  name: 'lrr over three',
  config: ['10.0.0.0/8 lrr 192.0.2.1 192.0.2.2 192.0.2.3', '.INADDR_ANY 600 onevipa 0.0.0.0'],
  diagnostics: [],
  steps: [
    { connect: '10.1.2.3', port: 443, proto: 'tcp', cycle: ['192.0.2.1', '192.0.2.2', '192.0.2.3'], count: 6 },
    { connect: '10.1.2.3', expect: { sourceIn: ['192.0.2.0/30'], policy: 'lrr', line: 1 } },
    { bind: 600, expect: { code: 'keep' } },
    { connect: '192.168.1.1', expect: { code: 'pass' } },
  ],
};

// ---------------------------------------------------------------------------------------
const results = suite('results and exit statuses');

results('every step holds: the summary only, exit 0', async () => {
  const r = await run({ cases: [caseFile(LRR)] });
  assert.equal(r, { status: 0, out: ['1 case, 5 checks: all hold'], err: [] });
});

results('a step that does not hold: the file, the step, expected, answered, the rule; exit 1', async () => {
  const file = caseFile({
    name: 'wrong source',
    config: ['# mail', '10.0.0.0/8 onevipa 192.0.2.10', '10.1.2.25/32 onevipa 192.0.2.25'],
    steps: [
      { connect: '10.1.2.25', port: 25, proto: 'tcp', expect: { source: '192.0.2.25' } },
      { connect: '10.1.2.26', port: 25, proto: 'tcp', expect: { source: '192.0.2.25', line: 3 } },
      { connect: '10.1.2.27', expect: { code: 'pass' } },
    ],
  });
  const r = await run({ cases: [file] });
  assert.is(r.status, 1);
  assert.equal(r.out, [
    `${file}: step 2: connect 10.1.2.26 port 25/tcp: expected source 192.0.2.25, got 192.0.2.10, line 3, got 2; the engine answered 192.0.2.10 (line 2: 10.0.0.0/8, onevipa)`,
    `${file}: step 3: connect 10.1.2.27: expected code pass, got bind; the engine answered 192.0.2.10 (line 2: 10.0.0.0/8, onevipa)`,
    '1 case, 3 checks: 2 failed',
  ]);
});

results('cycles, counts, sourceIn and diagnostics say what did not hold', async () => {
  const file = caseFile({
    name: 'several kinds',
    config: ['10.0.0.0/8 onevipa 192.0.2.1 192.0.2.2', '10.0.0.0/8 roundrobin 192.0.2.5'],
    diagnostics: [{ line: 1, severity: 'warning', code: 'SHADOWED' }, { line: 2, severity: 'error', code: 'BAD_POLICY' }],
    steps: [
      { connect: '10.0.0.1', cycle: ['192.0.2.1', '192.0.2.2'], count: 2 },
      { connect: '10.0.0.1', count: 2, expect: { sourceIn: ['192.0.2.0/30', '2001:db8::/32'] } },
      { connect: '::ffff:10.0.0.1', expect: { sourceIn: ['192.0.2.5'], mapped: true } },
    ],
  });
  const r = await run({ cases: [file] });
  assert.is(r.status, 1);
  assert.equal(r.out, [
    `${file}: diagnostics of the case: expected the diagnostic line 2 error BAD_POLICY; the engine gave none such`,
    `${file}: diagnostics of the case: the engine gave the diagnostic line 2 warning BAD_POLICY (unknown policy 'roundrobin'; using round robin per process (lrr): write onevipa, random, lrr, rr:600 or lc), which the case does not expect`,
    `${file}: step 1: connect 10.0.0.1: sources 192.0.2.5 192.0.2.5 do not follow the cycle 192.0.2.1 192.0.2.2`,
    `${file}: step 2: connect 10.0.0.1: decision 1 of 2: expected a source in 192.0.2.0/30, 2001:db8::/32, got 192.0.2.5; the engine answered 192.0.2.5 (line 2: 10.0.0.0/8, lrr)`,
    `${file}: step 2: connect 10.0.0.1: decision 2 of 2: expected a source in 192.0.2.0/30, 2001:db8::/32, got 192.0.2.5; the engine answered 192.0.2.5 (line 2: 10.0.0.0/8, lrr)`,
    '1 case, 4 checks: 3 failed',
  ]);
});

results('lc: release steps give counts back; fork steps act as the library does', async () => {
  const file = caseFile({
    name: 'lc',
    config: '10.0.0.0/8 lc 192.0.2.1 192.0.2.2\n',
    steps: [
      { connect: '10.0.0.1', expect: [{ source: '192.0.2.1', counted: true }, { source: '192.0.2.2' }] },
      { release: [0, 0] },
      { fork: 'prepare' },
      { fork: 'child' },
      { connect: '10.0.0.1', expect: { source: '192.0.2.1' } },
    ],
  });
  assert.equal(await run({ cases: [file] }), { status: 0, out: ['1 case, 2 checks: all hold'], err: [] });
});

results.run();

// ---------------------------------------------------------------------------------------
const configs = suite('which configuration');

const NO_CONFIG = {
  name: 'the site file',
  steps: [{ connect: '10.1.2.3', expect: { source: '192.0.2.7', line: 1 } }],
};

configs('--config FILE for a case without "config"; a case with one keeps its own', async () => {
  const site = confFile('10.0.0.0/8 onevipa 192.0.2.7\n');
  const r = await run({ cases: [caseFile(NO_CONFIG), caseFile(LRR)], config: site });
  assert.equal(r, { status: 0, out: ['2 cases, 6 checks: all hold'], err: [] });
  const json = await run({ cases: [caseFile(NO_CONFIG), caseFile(LRR)], config: site, format: 'json' });
  assert.equal(JSON.parse(json.out[0]).cases.map((c: { config: string }) => c.config), [site, 'the case']);
});

configs('without --config: the library\'s file ($SRC_VIPA_CONFIG_FILE)', async () => {
  const site = confFile('10.0.0.0/8 onevipa 192.0.2.7\n');
  assert.is((await run({ cases: [caseFile(NO_CONFIG)] }, { SRC_VIPA_CONFIG_FILE: site })).status, 0);
  const missing = await run({ cases: [caseFile(NO_CONFIG)] }, { SRC_VIPA_CONFIG_FILE: join(dir, 'none.conf') }).catch((e: Error) => e);
  assert.instance(missing, UsageError);
  assert.match((missing as Error).message, /cannot read .*none\.conf: no such file/);
});

configs('a configuration file is not read when every case has its own', async () => {
  const r = await run({ cases: [caseFile(LRR)], config: join(dir, 'never-read.conf') });
  assert.is(r.status, 0);
});

configs.run();

// ---------------------------------------------------------------------------------------
const names = suite('host names and seeds');

names('host names resolve through "hosts" only; --resolve asks the resolver for the rest', async () => {
  const body = {
    name: 'names',
    config: ['db.example/32 onevipa 192.0.2.20', 'other.example/32 onevipa 192.0.2.21'],
    hosts: { 'db.example': ['10.20.1.5', '2001:db8::5'], 'web.example': ['2001:db8::80', '10.80.0.1'] },
    diagnostics: [{ line: 1, severity: 'warning', code: 'FAMILY_EMPTY' }, { line: 2, severity: 'warning', code: 'RESOLVE_FAILED' }],
    steps: [
      { connect: 'db.example', expect: { source: '192.0.2.20' } },
      { connect: 'web.example', family: 4, expect: { code: 'pass' } },
      { connect: 'unknown.example', expect: { code: 'pass' } },
    ],
  };
  const asked: string[] = [];
  const resolver = async (name: string) => { asked.push(name); return name === 'unknown.example' ? ['10.99.0.1'] : ['10.21.0.1']; };
  const strict = await run({ cases: [caseFile(body)] }, {}, resolver);
  assert.is(strict.status, 1);
  assert.equal(asked, [], 'without --resolve nothing reaches the resolver');
  assert.match(strict.out[0], /step 3: connect unknown\.example: 'unknown\.example' does not resolve: add it to the case's "hosts" \(or give --resolve\)$/);
  const open = await run({ cases: [caseFile({ ...body, diagnostics: [{ line: 1, severity: 'warning', code: 'FAMILY_EMPTY' }] })], resolve: true }, {}, resolver);
  assert.equal(asked.sort(), ['other.example', 'unknown.example']);
  assert.equal(open.out, ['1 case, 4 checks: all hold']);
});

names('--seed repeats a random run; a case\'s own seed wins', async () => {
  const random = {
    name: 'random',
    config: '10.0.0.0/8 random 192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4\n',
    steps: [{ connect: '10.0.0.1', count: 20, expect: { sourceIn: ['192.0.2.0/29'] } }],
  };
  const sources = async (options: Partial<TestOptions>, body: object = random) => {
    const r = await run({ cases: [caseFile(body)], format: 'json', ...options });
    return JSON.parse(r.out[0]).cases[0].steps[0];
  };
  assert.equal(await sources({ seed: [5, 0] }), await sources({ seed: [5, 0] }));
  // the decisions themselves: ask for a source that never comes, and read what came
  const picks = async (seed: [number, number], body: object) => {
    const r = await run({ cases: [caseFile(body)], seed });
    return r.out.slice(0, -1).map((l) => /got (\S+);/.exec(l)?.[1]);
  };
  const never = { ...random, steps: [{ connect: '10.0.0.1', count: 20, expect: { source: '192.0.2.9' } }] };
  const a = await picks([5, 0], never);
  assert.equal(await picks([5, 0], never), a);
  assert.not.equal(await picks([6, 0], never), a);
  assert.equal(await picks([6, 0], { ...never, seed: 5 }), a, 'the case\'s seed 5 is [5, 0]');
});

names.run();

// ---------------------------------------------------------------------------------------
const formats = suite('TAP and JSON');

formats('--tap: a plan, a test point per check, the problems as comments', async () => {
  const bad = caseFile({ name: 'bad', config: '10.0.0.0/8 onevipa 192.0.2.1\n', steps: [{ connect: '10.0.0.1', expect: { source: '192.0.2.2' } }] });
  const r = await run({ cases: [caseFile(LRR), bad], format: 'tap' });
  assert.is(r.status, 1);
  assert.equal(r.out.slice(0, 2), ['TAP version 13', '1..6']);
  assert.match(r.out[2], /^ok 1 - .*: diagnostics of the case$/);
  assert.match(r.out[3], /^ok 2 - .*: step 1: connect 10\.1\.2\.3 port 443\/tcp$/);
  assert.match(r.out[7], /^not ok 6 - .*: step 1: connect 10\.0\.0\.1$/);
  assert.match(r.out[8], /^# expected source 192\.0\.2\.2, got 192\.0\.2\.1; the engine answered/);
  assert.is(r.out.at(-1), '# 2 cases, 6 checks: 1 failed');
});

formats('prove reads it', () => {
  const good = caseFile(LRR);
  const cli = join(ROOT, 'dist/cli.js');
  const r = spawnSync('prove', ['--exec', `${process.execPath} ${cli} test --tap`, good], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /All tests successful\.\nFiles=1, Tests=5,/);
  const bad = caseFile({ name: 'bad', config: '10.0.0.0/8 onevipa 192.0.2.1\n', steps: [{ connect: '10.0.0.1', expect: { code: 'pass' } }] });
  const failing = spawnSync('prove', ['--exec', `${process.execPath} ${cli} test --tap`, bad], { encoding: 'utf8', timeout: 60_000 });
  assert.is.not(failing.status, 0);
  assert.match(failing.stdout, /Failed 1\/1 subtests/);
});

formats('--json: schema 1 and the documented keys', async () => {
  const r = await run({ cases: [caseFile(LRR)], format: 'json' });
  const report = JSON.parse(r.out[0]);
  assert.equal(Object.keys(report), ['schema', 'cases', 'checks', 'failed']);
  assert.equal([report.schema, report.checks, report.failed], [1, 5, 0]);
  assert.equal(Object.keys(report.cases[0]), ['file', 'name', 'config', 'ok', 'diagnostics', 'steps']);
  assert.equal(report.cases[0].steps[0], { step: 1, label: 'connect 10.1.2.3 port 443/tcp', ok: true, problems: [] });
});

formats.run();

// ---------------------------------------------------------------------------------------
const invalid = suite('case files that are not valid');

const BAD_CASES: [string, object | string, RegExp][] = [
  ['not JSON', '{ "name": ', /not valid JSON/],
  ['no name', { steps: [{ connect: '10.0.0.1', expect: {} }] }, /"name" must be a non-empty string/],
  ['no steps', { name: 'x', steps: [] }, /steps: must be a non-empty array/],
  ['unknown key', { name: 'x', stpes: [] }, /unknown key "stpes"/],
  ['unknown step key', { name: 'x', steps: [{ connect: '10.0.0.1', expcet: {} }] }, /step 1: unknown key "expcet"/],
  ['unknown expectation', { name: 'x', steps: [{ connect: '10.0.0.1', expect: { sorce: '192.0.2.1' } }] }, /step 1: expect: unknown key "sorce"/],
  ['no expectation', { name: 'x', steps: [{ connect: '10.0.0.1' }] }, /a query needs "expect" or "cycle"/],
  ['bad port', { name: 'x', steps: [{ connect: '10.0.0.1', port: 70000, expect: {} }] }, /"port" must be a port number/],
  ['bad proto', { name: 'x', steps: [{ connect: '10.0.0.1', proto: 'sctp', expect: {} }] }, /"proto" must be "tcp" or "udp"/],
  ['cycle without count', { name: 'x', steps: [{ connect: '10.0.0.1', cycle: ['192.0.2.1'] }] }, /"cycle" needs "count"/],
  ['bad source', { name: 'x', steps: [{ connect: '10.0.0.1', expect: { source: 'nowhere' } }] }, /"source" must be an IP address/],
  ['unknown diagnostic code', { name: 'x', diagnostics: [{ line: 1, severity: 'error', code: 'TYPO' }], steps: [{ bind: 1, expect: {} }] }, /"code" must be one of SYNTAX/],
  ['bad hosts', { name: 'x', hosts: { 'a.example': 'somewhere' }, steps: [{ bind: 1, expect: {} }] }, /hosts: a\.example: must be an array of IP addresses/],
  ['dualstack on IPv4', { name: 'x', steps: [{ bind: 80, dualstack: true, expect: {} }] }, /"dualstack" goes with "family": 6/],
  ['hosts and resolve', { name: 'x', hosts: {}, resolve: {}, steps: [{ bind: 1, expect: {} }] }, /give "hosts" only/],
  ['bad seed', { name: 'x', seed: -1, steps: [{ bind: 1, expect: {} }] }, /"?seed"?: must be a whole number/],
];

invalid('each problem is named with the file and the step; nothing runs; exit 2', async () => {
  for (const [what, body, message] of BAD_CASES) {
    assert.throws(() => parseCase(typeof body === 'string' ? body : JSON.stringify(body), 'x.json'),
      (e: Error) => e instanceof CaseError && e.code === 'ERR_SV_CASE' && message.test(e.message) && e.message.startsWith('x.json'), what);
  }
  const files = BAD_CASES.slice(0, 3).map(([, body]) => caseFile(body));
  const error = await run({ cases: [caseFile(LRR), ...files] }).catch((e: Error) => e);
  assert.instance(error, UsageError);
  const lines = (error as Error).message.split('\n');
  assert.is(lines.length, 3, 'every invalid file is reported');
  lines.forEach((line, i) => assert.ok(line.startsWith(`${files[i]}: `), line));
});

invalid('directories: every *.json in name order; none is a usage error', async () => {
  const folder = join(dir, 'suite');
  caseFile(LRR, 'suite/b.json');
  caseFile({ ...LRR, name: 'first' }, 'suite/a.json');
  writeFileSync(join(folder, 'notes.txt'), 'not a case');
  const r = await run({ cases: [folder], format: 'json' });
  assert.equal(JSON.parse(r.out[0]).cases.map((c: { name: string }) => c.name), ['first', 'lrr over three']);
  mkdirSync(join(dir, 'empty'), { recursive: true });
  const empty = await run({ cases: [join(dir, 'empty')] }).catch((e: Error) => e);
  assert.match((empty as Error).message, /a directory without case files/);
});

invalid.run();

// ---------------------------------------------------------------------------------------
const cli = suite('dist/cli.js test');

cli('exit statuses 0, 1 and 2, from the command line', () => {
  const node = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'test', ...args], { encoding: 'utf8', timeout: 60_000 });
  const good = node([caseFile(LRR)]);
  assert.equal([good.status, good.stdout, good.stderr], [0, '1 case, 5 checks: all hold\n', '']);
  const failing = node([caseFile({ name: 'f', config: '10.0.0.0/8 onevipa 192.0.2.1\n', steps: [{ connect: '10.0.0.1', expect: { code: 'pass' } }] })]);
  assert.is(failing.status, 1);
  const broken = node([caseFile('[]'), caseFile('{')]);
  assert.is(broken.status, 2);
  assert.is(broken.stdout, '');
  assert.equal(broken.stderr.split('\n').filter(Boolean).map((l) => l.startsWith('src-vipa: ')), [true, true]);
  assert.is(node([]).status, 2);
  assert.is(node(['--json', '--tap', 'x']).status, 2);
});

cli.run();

// ---------------------------------------------------------------------------------------
const schema = suite('schema/policy-test.schema.json');

const ajv = new Ajv2020({ allErrors: true });
const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema/policy-test.schema.json'), 'utf8')));

schema('the shared cases and the examples are valid', () => {
  const files = [
    ...readdirSync(join(ROOT, 'test/cases')).filter((f) => f.endsWith('.json')).map((f) => join(ROOT, 'test/cases', f)),
    ...readdirSync(join(ROOT, 'examples/policy-tests')).filter((f) => f.endsWith('.json')).map((f) => join(ROOT, 'examples/policy-tests', f)),
  ];
  assert.ok(files.length >= 20);
  for (const f of files) assert.ok(validate(JSON.parse(readFileSync(f, 'utf8'))), `${f}: ${ajv.errorsText(validate.errors)}`);
  assert.ok(validate(LRR), ajv.errorsText(validate.errors));
});

schema('it rejects what the runner rejects', () => {
  for (const [what, body] of BAD_CASES) {
    if (typeof body === 'string') continue;
    assert.not.ok(validate(body), `${what}: the schema accepts it`);
  }
});

schema('its diagnostic codes are the engine\'s', () => {
  const raw = JSON.parse(readFileSync(join(ROOT, 'schema/policy-test.schema.json'), 'utf8'));
  assert.equal([...raw.properties.diagnostics.items.properties.code.enum].sort(), Object.keys(DIAGNOSTIC_CODES).sort());
});

schema.run();
