// The src-vipa command (host/cli.ts, host/commands/): the library functions directly, then
// the compiled dist/cli.js as a child process, as a user runs it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkArgs, explainArgs, parseSeed, simulateArgs } from '../host/commands/args.js';
import { check } from '../host/commands/check.js';
import { type CommandContext, UsageError } from '../host/commands/context.js';
import { explain } from '../host/commands/explain.js';
import { simulate } from '../host/commands/simulate.js';
import { tableResolver } from '../host/resolve.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'src-vipa-cli-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function configFile(text: string): string {
  const file = join(dir, `conf${++files}.conf`);
  writeFileSync(file, text);
  return file;
}

const GOOD = configFile([
  '# destinations',
  '10.0.0.0/8 lrr 192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4',
  '10.1.0.0/16 random 192.0.2.5 192.0.2.6',
  '2001:db8::/32 onevipa 2001:db8:ff::1',
  '.INADDR_ANY 0-65535 onevipa 192.0.2.10',
  '.INADDR_ANY 512-1023 onevipa 0.0.0.0',
  '',
].join('\n'));
const WITH_ERRORS = configFile('10.0.0.0/8 onevipa 192.0.2.1\n10.0.0.0/33 onevipa 192.0.2.2\n11.0.0.0/8 roundrobin 192.0.2.3\n12.0.0.0 onevipa 192.0.2.4\n');
const WARNINGS_ONLY = configFile('10.0.0.0/8 roundrobin 192.0.2.3\n');

/** A context that records output; host names resolve from a table. */
function recorder(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CommandContext = {
    io: { out: (line) => out.push(line), err: (line) => err.push(line) },
    env,
    resolver: tableResolver({ 'db.example': ['10.1.2.3'], 'v6.example': ['2001:db8::5'] }),
  };
  return { out, err, ctx };
}

// ---------------------------------------------------------------------------------------
const checkSuite = suite('check (library)');

checkSuite('errors: FILE:LINE: severity: message, in line order, then the summary; exit 1', async () => {
  const { out, ctx } = recorder();
  assert.is(await check({ file: WITH_ERRORS }, ctx), 1);
  assert.equal(out.slice(0, -1).map((l) => l.split(': ').slice(0, 2).join(': ')), [
    `${WITH_ERRORS}:2: error`, `${WITH_ERRORS}:3: warning`, `${WITH_ERRORS}:4: error`,
  ]);
  assert.match(out[0], /prefix length '33'/);
  assert.is(out.at(-1), `${WITH_ERRORS}: 2 rules, 2 errors, 1 warning`);
});

checkSuite('warnings only: exit 0', async () => {
  const { out, ctx } = recorder();
  assert.is(await check({ file: WARNINGS_ONLY }, ctx), 0);
  assert.is(out.length, 2);
  assert.match(out[0], `${WARNINGS_ONLY}:1: warning: unknown policy 'roundrobin'`);
  assert.is(out[1], `${WARNINGS_ONLY}: 1 rule, 0 errors, 1 warning`);
});

checkSuite('a clean file: only the summary, or nothing with --quiet; exit 0', async () => {
  const { out, err, ctx } = recorder();
  assert.is(await check({ file: GOOD }, ctx), 0);
  assert.equal([out, err], [[`${GOOD}: 5 rules, 0 errors, 0 warnings`], []]);
  const quiet = recorder();
  assert.is(await check({ file: GOOD, quiet: true }, quiet.ctx), 0);
  assert.equal([quiet.out, quiet.err], [[], []]);
});

checkSuite('--json: schema 1, the file, the rule count, errors, warnings and notes', async () => {
  const { out, ctx } = recorder();
  assert.is(await check({ file: WITH_ERRORS, json: true }, ctx), 1);
  assert.is(out.length, 1);
  const report = JSON.parse(out[0]);
  assert.equal(Object.keys(report), ['schema', 'file', 'rules', 'errors', 'warnings', 'notes']);
  assert.equal([report.schema, report.file, report.rules], [1, WITH_ERRORS, 2]);
  assert.equal(report.errors.map((e: { line: number }) => e.line), [2, 4]);
  assert.equal(report.warnings.map((e: { line: number; code: string }) => [e.line, e.code]), [[3, 'BAD_POLICY']]);
  for (const entry of [...report.errors, ...report.warnings]) assert.type(entry.message, 'string');
});

checkSuite('the file defaults to $SRC_VIPA_CONFIG_FILE', async () => {
  const { out, ctx } = recorder({ SRC_VIPA_CONFIG_FILE: WITH_ERRORS });
  assert.is(await check({}, ctx), 1);
  assert.ok(out.every((l) => l.startsWith(`${WITH_ERRORS}:`)), out.join('\n'));
});

checkSuite('an unreadable file is a usage error', async () => {
  const { ctx } = recorder();
  const error = await check({ file: join(dir, 'missing.conf') }, ctx).catch((e: Error) => e);
  assert.instance(error, UsageError);
  assert.match((error as Error).message, /cannot read .*missing\.conf: no such file/);
});

checkSuite('control characters of the file and of its name are printed escaped', async () => {
  const named = join(dir, 'odd\x1b[2Jname.conf');
  writeFileSync(named, '10.0.0.0/8 \x1b]0;owned\x07 192.0.2.1\n');
  const { out, ctx } = recorder();
  assert.is(await check({ file: named, quiet: true }, ctx), 0);
  assert.equal(out, [`${join(dir, 'odd\\x1b[2Jname.conf')}:1: warning: unknown policy '\\x1b]0;owned\\x07'; using round robin per process (lrr): write onevipa, random, lrr, rr:600 or lc`]);
  assert.not.match(out[0], /[\u0000-\u001f]/);
});

checkSuite('an IPv6 rule that can never match: check warns, with the IPv4 form to write', async () => {
  const { out, ctx } = recorder();
  assert.is(await check({ file: configFile('::ffff:10.0.0.0/104 onevipa 2001:db8::1\n'), quiet: true }, ctx), 0);
  assert.is(out.length, 1);
  assert.match(out[0], /:1: warning: ::ffff:10\.0\.0\.0\/104 is an IPv4-mapped destination: .* never matches: write the IPv4 form, 10\.0\.0\.0\/8$/);
});

checkSuite.run();

// ---------------------------------------------------------------------------------------
const explainSuite = suite('explain (library)');

explainSuite('a destination: line, policy, sources and the next source', async () => {
  const { out, ctx } = recorder();
  assert.is(await explain({ config: GOOD, dest: '10.1.2.3', port: 443, json: true }, ctx), 0);
  const answer = JSON.parse(out[0]);
  assert.equal([answer.line, answer.policy, answer.sources, answer.rule], [3, 'random', ['192.0.2.5', '192.0.2.6'], '10.1.0.0/16']);
  assert.ok(answer.sources.includes(answer.source));
});

explainSuite('text output names the rule and the next source', async () => {
  const { out, ctx } = recorder();
  await explain({ config: GOOD, dest: '2001:db8::1', port: 22 }, ctx);
  assert.equal(out, [
    '2001:db8::1 port 22',
    '  rule         line 4: 2001:db8::/32',
    '  policy       onevipa',
    '  sources      2001:db8:ff::1',
    '  next source  2001:db8:ff::1',
  ]);
});

explainSuite('no rule: {"schema":1,"line":null}', async () => {
  const { out, ctx } = recorder();
  await explain({ config: GOOD, dest: '192.168.1.1', json: true }, ctx);
  assert.equal(out, ['{"schema":1,"line":null}']);
  const text = recorder();
  await explain({ config: GOOD, dest: '192.168.1.1' }, text.ctx);
  assert.match(text.out[0], /no rule matches/);
});

explainSuite('a mapped destination is answered by the IPv4 rule', async () => {
  const { out, ctx } = recorder();
  await explain({ config: GOOD, dest: '::ffff:10.9.9.9', json: true }, ctx);
  const answer = JSON.parse(out[0]);
  assert.equal([answer.line, answer.mapped], [2, true]);
  assert.match(answer.source, /^::ffff:192\.0\.2\.[1-4]$/);
});

explainSuite('a host name DEST is resolved', async () => {
  const { out, ctx } = recorder();
  await explain({ config: GOOD, dest: 'db.example', json: true }, ctx);
  const answer = JSON.parse(out[0]);
  assert.equal([answer.address, answer.line], ['10.1.2.3', 3]);
  const fail = await explain({ config: GOOD, dest: 'gone.example' }, recorder().ctx).catch((e: Error) => e);
  assert.instance(fail, UsageError);
  assert.match((fail as Error).message, /'gone\.example' .* does not resolve/);
});

explainSuite('--bind: the last statement covering the port, and the wildcard kept', async () => {
  const { out, ctx } = recorder();
  await explain({ config: GOOD, bind: 8080, json: true }, ctx);
  await explain({ config: GOOD, bind: 600, json: true }, ctx);
  const [open, except] = out.map((l) => JSON.parse(l));
  assert.equal([open.line, open.source, open.code, open.rule], [5, '192.0.2.10', 'bind', '.INADDR_ANY 0-65535']);
  assert.equal([except.line, except.source, except.code], [6, '0.0.0.0', 'keep']);
});

explainSuite('--bind --family 6: IPv4 statements answer no IPv6 socket, dual-stack or --v6only', async () => {
  const { out, ctx } = recorder();
  await explain({ config: GOOD, bind: 8080, family: 6, json: true }, ctx);
  await explain({ config: GOOD, bind: 8080, family: 6, v6only: true, json: true }, ctx);
  assert.equal(out.map((l) => JSON.parse(l)), [{ schema: 1, line: null }, { schema: 1, line: null }]);
  const text = recorder();
  await explain({ config: GOOD, bind: 8080, family: 6 }, text.ctx);
  assert.equal(text.out, [
    'bind of :: port 8080 (dual-stack): no .INADDR_ANY statement covers the port; the bind is left alone',
    "  (line 5's IPv4 statement covers the port, but IPv4 statements never answer IPv6 sockets: a mapped source would take IPv6 away; write an IPv6 statement for them)",
  ]);
});

explainSuite('errors in the file go to stderr; the answer still comes', async () => {
  const { out, err, ctx } = recorder();
  await explain({ config: WITH_ERRORS, dest: '10.0.0.1', json: true }, ctx);
  assert.equal(err.map((l) => l.split(': ')[0]), [`${WITH_ERRORS}:2`, `${WITH_ERRORS}:4`]);
  assert.is(JSON.parse(out[0]).line, 1);
});

explainSuite.run();

// ---------------------------------------------------------------------------------------
const simulateSuite = suite('simulate (library)');

function rows(out: string[]): Map<string, number> {
  return new Map(out.slice(2).map((l) => l.trim().split(/\s+/)).map(([source, count]) => [source, Number(count)]));
}

simulateSuite('lrr spreads N decisions exactly evenly, with a bar per source', async () => {
  const { out, ctx } = recorder();
  assert.is(await simulate({ config: GOOD, dest: '10.200.0.1', count: 1000 }, ctx), 0);
  assert.match(out[0], /line 2 \(10\.0\.0\.0\/8\), policy lrr, 1000 decisions/);
  assert.equal(rows(out), new Map([['192.0.2.1', 250], ['192.0.2.2', 250], ['192.0.2.3', 250], ['192.0.2.4', 250]]));
  for (const line of out.slice(2)) assert.match(line, / 25\.0% {2}#{10}$/, 'a bar as long as the share: 25 % of 40');
});

simulateSuite('random: counts add up, bars follow the counts, a seed repeats a run', async () => {
  const run = async (seed: [number, number]) => {
    const { out, ctx } = recorder();
    await simulate({ config: GOOD, dest: '10.1.0.1', count: 999, seed }, ctx);
    return out;
  };
  const a = await run([1, 0]);
  const counts = rows(a);
  assert.equal([...counts.keys()], ['192.0.2.5', '192.0.2.6']);
  assert.is([...counts.values()].reduce((x, y) => x + y), 999);
  for (const line of a.slice(2)) {
    const n = Number(line.trim().split(/\s+/)[1]);
    assert.is(/#*$/.exec(line)?.[0].length, Math.round((40 * n) / 999), 'the bar is the share');
  }
  assert.equal(await run([1, 0]), a);
  assert.not.equal(await run([2, 0]), a);
});

simulateSuite('no rule: all calls are left alone', async () => {
  const { out, ctx } = recorder();
  await simulate({ config: GOOD, dest: '192.168.0.1', count: 5 }, ctx);
  assert.equal(out, ['192.168.0.1: no rule matches; all 5 calls are left alone']);
});

simulateSuite('--bind on a port the wildcard keeps', async () => {
  const { out, ctx } = recorder();
  await simulate({ config: GOOD, bind: 600, count: 10 }, ctx);
  assert.equal(rows(out), new Map([['0.0.0.0', 10]]));
});

simulateSuite.run();

// ---------------------------------------------------------------------------------------
const args = suite('command-line arguments');

args('options before or after the positional arguments', () => {
  const expected = { help: false, options: { dest: '10.1.2.3', port: 443, config: 'f.conf', json: true } };
  assert.equal(explainArgs(['--config', 'f.conf', '--json', '10.1.2.3', '443']), expected);
  assert.equal(explainArgs(['10.1.2.3', '443', '--config=f.conf', '--json']), expected);
  assert.equal(explainArgs(['10.1.2.3', '--json', '443', '--config', 'f.conf']), expected);
  assert.equal(simulateArgs(['10.1.2.3', '-n', '5', '--seed', '7']),
    { help: false, options: { dest: '10.1.2.3', count: 5, seed: [7, 0] } });
  assert.equal(simulateArgs(['-n5', '--bind', '80', '--family', '6', '--v6only']),
    { help: false, options: { bind: 80, family: 6, v6only: true, count: 5 } });
  assert.equal(checkArgs(['--json', 'x.conf']), { help: false, options: { file: 'x.conf', json: true } });
  assert.equal(checkArgs([]), { help: false, options: { json: false } });
});

args('--help wins over everything else', () => {
  for (const parse of [checkArgs, explainArgs, simulateArgs]) assert.equal(parse(['--help', 'x', 'y', 'z']), { help: true });
});

args('mistakes are usage errors that say what is wrong', () => {
  const table: [() => unknown, RegExp][] = [
    [() => checkArgs(['a', 'b']), /unexpected argument 'b'/],
    [() => checkArgs(['--yaml']), /unknown option '--yaml'/],
    [() => explainArgs([]), /missing DEST/],
    [() => explainArgs(['10.0.0.1', '99999']), /port '99999' is not a number from 0 to 65535/],
    [() => explainArgs(['10.0.0.1', '80', 'x']), /unexpected argument 'x'/],
    [() => explainArgs(['10.0.0.1', '--family', '6']), /--family and --v6only go with --bind/],
    [() => explainArgs(['--bind', '80', '10.0.0.1']), /unexpected argument '10\.0\.0\.1'/],
    [() => explainArgs(['--bind', '80', '--family', '5']), /--family must be 4 or 6/],
    [() => explainArgs(['--bind', '80', '--v6only']), /--v6only goes with --family 6/],
    [() => explainArgs(['--config']), /option '--config' needs a value/],
    [() => explainArgs(['--json=yes', '10.0.0.1']), /option '--json' takes no value/],
    [() => simulateArgs(['10.0.0.1']), /missing -n COUNT/],
    [() => simulateArgs(['10.0.0.1', '-n', '0']), /count '0' is not a number from 1/],
    [() => simulateArgs(['10.0.0.1', '-n', 'ten']), /count 'ten'/],
    [() => simulateArgs(['10.0.0.1', '-n', '3', '--seed', '-1']), /seed/],
  ];
  for (const [run, message] of table) {
    assert.throws(run, (e: Error) => e instanceof UsageError && message.test(e.message), String(message));
  }
});

args('a seed has 64 bits, split for sv_seed', () => {
  assert.equal(parseSeed('0'), [0, 0]);
  assert.equal(parseSeed(String(2n ** 32n + 5n)), [5, 1]);
  assert.equal(parseSeed('18446744073709551615'), [0xffffffff, 0xffffffff]);
  assert.throws(() => parseSeed('18446744073709551616'), (e: Error) => e instanceof UsageError);
});

args.run();

// ---------------------------------------------------------------------------------------
const cli = suite('dist/cli.js');

function run(argv: string[], env: Record<string, string> = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it with make node`);
  const { SRC_VIPA_CONFIG_FILE: _, ...parent } = process.env;
  const r = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8', env: { ...parent, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

cli('check: exit status and FILE:LINE lines', () => {
  const bad = run(['check', WITH_ERRORS]);
  assert.is(bad.status, 1);
  assert.equal(bad.stdout.trimEnd().split('\n').map((l) => l.split(': ').slice(0, 2).join(': ')),
    [`${WITH_ERRORS}:2: error`, `${WITH_ERRORS}:3: warning`, `${WITH_ERRORS}:4: error`, `${WITH_ERRORS}: 2 rules, 2 errors, 1 warning`]);
  assert.equal(run(['check', GOOD]), { status: 0, stdout: `${GOOD}: 5 rules, 0 errors, 0 warnings\n`, stderr: '' });
  const json = run(['check', WITH_ERRORS, '--json']);
  assert.is(json.status, 1);
  assert.equal(JSON.parse(json.stdout).errors.map((e: { line: number }) => e.line), [2, 4]);
});

cli('check reads $SRC_VIPA_CONFIG_FILE, and says so when it cannot', () => {
  assert.is(run(['check'], { SRC_VIPA_CONFIG_FILE: WITH_ERRORS }).status, 1);
  const missing = run(['check'], { SRC_VIPA_CONFIG_FILE: join(dir, 'nope.conf') });
  assert.equal([missing.status, missing.stdout], [2, '']);
  assert.equal(missing.stderr, `src-vipa: cannot read ${join(dir, 'nope.conf')}: no such file\n`);
});

cli('usage errors: one line on stderr, exit 2', () => {
  for (const argv of [[], ['frobnicate'], ['check', '--nope'], ['explain'], ['simulate', '10.0.0.1'], ['explain', '--bind', 'x']]) {
    const r = run(argv);
    assert.is(r.status, 2, argv.join(' '));
    assert.is(r.stdout, '', argv.join(' '));
    assert.match(r.stderr, /^src-vipa: [^\n]+\n$/, argv.join(' '));
  }
});

cli('--help for the command and for each subcommand; --version', () => {
  for (const argv of [['--help'], ['check', '--help'], ['explain', '--help'], ['simulate', '--help'], ['explain', '10.0.0.1', '--help']]) {
    const r = run(argv);
    assert.equal([r.status, r.stderr], [0, ''], argv.join(' '));
    assert.match(r.stdout, /^Usage: src-vipa/, argv.join(' '));
  }
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  assert.equal(run(['--version']), { status: 0, stdout: `src-vipa ${version}\n`, stderr: '' });
  assert.equal(run(['-V']), { status: 0, stdout: `src-vipa ${version}\n`, stderr: '' });
});

cli('explain and simulate, options anywhere', () => {
  const e = run(['explain', '10.9.8.7', '--json', '--config', GOOD]);
  assert.is(e.status, 0);
  assert.equal(JSON.parse(e.stdout).line, 2);
  const s = run(['simulate', '-n', '8', '10.9.8.7', '--config', GOOD]);
  assert.is(s.status, 0);
  assert.equal(s.stdout.split('\n').slice(2, 6).map((l) => l.trim().split(/\s+/)[1]), ['2', '2', '2', '2']);
});

cli('explain resolves localhost with the system resolver', () => {
  const conf = configFile('127.0.0.0/8 onevipa 127.0.0.2\n::1/128 onevipa ::1\n');
  const r = run(['explain', '--config', conf, '--json', 'localhost']);
  assert.is(r.status, 0, r.stderr);
  const answer = JSON.parse(r.stdout);
  assert.ok(answer.address === '::1' || answer.address.startsWith('127.'), r.stdout);
  assert.is(answer.line, answer.address === '::1' ? 2 : 1);
});

cli('the package entry: import { Engine } from \'src-vipa\'', () => {
  const script = "import { Engine } from 'src-vipa'; const e = await Engine.load('10.0.0.0/8 onevipa 192.0.2.1');" +
    " console.log(e.select({ kind: 'connect', address: '10.0.0.1' }).source);";
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal([r.status, r.stdout, r.stderr], [0, '192.0.2.1\n', '']);
});

cli.run();
