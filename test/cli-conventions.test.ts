// The src-vipa command as a Unix tool: a closed pipe, a full disk, errors without stack
// traces, one help text that README.md and src-vipa(1) agree with, check's conventions,
// the JSON outputs' keys, and the bash completion.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { check } from '../host/commands/check.js';
import type { CommandContext } from '../host/commands/context.js';
import { allSynopses, formatHelp } from '../host/commands/help.js';
import { HELPS } from '../host/commands/main.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'src-vipa-conventions-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function run(argv: string[], options: { input?: string; cli?: string } = {}) {
  const { SRC_VIPA_CONFIG_FILE: _, SRC_VIPA_DEBUG: __, ...env } = process.env;
  const r = spawnSync(process.execPath, [options.cli ?? CLI, ...argv],
    { encoding: 'utf8', env, input: options.input, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A shell pipeline, `set -o pipefail`: the status is the CLI's when it fails. */
function shell(script: string) {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script],
    { encoding: 'utf8', env: { ...process.env, CLI, SRC_VIPA_DEBUG: '' }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GOOD = file('good.conf', '10.0.0.0/8 lrr 192.0.2.1 192.0.2.2 192.0.2.3\n.INADDR_ANY 80 onevipa 192.0.2.9\n');
// enough errors that the output (the 1000 the engine keeps) is larger than a pipe's buffer
const BIG = file('big.conf', Array.from({ length: 20_000 }, (_, i) => `10.${i >> 8 & 255}.${i & 255}.0/33 onevipa 192.0.2.1`).join('\n'));

// ---------------------------------------------------------------------------------------
const output = suite('output that cannot be written');

output('| head -1: the first line, then a quiet stop with status 141 (as for SIGPIPE)', () => {
  const r = shell('node "$CLI" check ' + BIG + ' | head -1');
  assert.is(r.status, 141, r.stderr);
  assert.is(r.stderr, '', 'nothing on stderr, no stack trace');
  assert.match(r.stdout, /^[^\n]*big\.conf: error: 19000 more problems [^\n]*\n$/);
});

output('/dev/full: one line on stderr and status 2', () => {
  for (const argv of [`check ${BIG}`, `check ${GOOD}`, '--help', '--version']) {
    const r = shell(`node "$CLI" ${argv} > /dev/full`);
    assert.is(r.status, 2, argv);
    assert.is(r.stderr, 'src-vipa: cannot write the output: no space left on device\n', argv);
  }
});

output('an engine that cannot be read: one line, status 2, no stack trace', () => {
  // the CLI without its engine.wasm, as a broken installation would have it
  const broken = join(dir, 'broken-install');
  mkdirSync(broken, { recursive: true });
  cpSync(join(ROOT, 'dist'), join(broken, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(broken, 'package.json'));
  const r = run(['check', GOOD], { cli: join(broken, 'dist/cli.js') });
  assert.is(r.status, 2);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /^src-vipa: cannot read the engine .*engine\.wasm: no such file \(ENOENT\): build it \(make engine\) or reinstall src-vipa\n$/);
});

output.run();

// ---------------------------------------------------------------------------------------
const help = suite('one help text');

help('help COMMAND, COMMAND --help and COMMAND -h print the same text', () => {
  for (const h of HELPS) {
    const texts = [['help', h.name], [h.name, '--help'], [h.name, '-h']].map((argv) => run(argv));
    for (const t of texts) assert.equal([t.status, t.stderr], [0, ''], h.name);
    assert.is(texts[0].stdout, `${formatHelp(h)}\n`);
    assert.is(texts[1].stdout, texts[0].stdout);
    assert.is(texts[2].stdout, texts[0].stdout);
    assert.match(texts[0].stdout, new RegExp(`^Usage: src-vipa ${h.name}`));
  }
  const top = run(['--help']).stdout;
  assert.is(run(['-h']).stdout, top);
  assert.is(run(['help']).stdout, top);
  for (const line of allSynopses(HELPS)) assert.ok(top.includes(`  ${line}\n`), line);
});

help('README.md lists exactly the synopsis lines', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Using src-vipa (check'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  assert.equal(block.trimEnd().split('\n'), allSynopses(HELPS));
});

// the page as man shows it, on lines long enough that no synopsis wraps
function manText(): string {
  const r = spawnSync('groff', ['-man', '-Tutf8', '-rLL=300n', join(ROOT, 'docs/src-vipa.1')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  // overstrike bold and underline, as col -b removes them
  return r.stdout.replace(/.\x08/g, '').replace(/\x1b\[[0-9;]*m/g, '');
}

function section(text: string, name: string): string {
  const start = text.indexOf(`\n${name}\n`);
  assert.ok(start >= 0, `section ${name}`);
  const next = /\n[A-Z][A-Z ]+\n/.exec(text.slice(start + name.length + 2));
  return text.slice(start + name.length + 2, next ? start + name.length + 2 + next.index : undefined);
}

help('src-vipa(1): the same synopsis, and every option of every command', () => {
  const text = manText();
  const synopsis = section(text, 'SYNOPSIS').split('\n').map((l) => l.trim()).filter(Boolean);
  assert.equal(synopsis, allSynopses(HELPS));
  const options = section(text, 'OPTIONS');
  for (const h of HELPS) {
    for (const [flag] of h.options) {
      for (const option of flag.split(', ').map((f) => f.split(' ')[0])) {
        assert.ok(new RegExp(`^ {7}(-\\S+, )?${option}\\b`, 'm').test(options), `${h.name}: ${option} in OPTIONS`);
      }
    }
  }
});

help('--version and -V: "src-vipa VERSION"', () => {
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  for (const flag of ['--version', '-V']) assert.equal(run([flag]), { status: 0, stdout: `src-vipa ${version}\n`, stderr: '' });
});

help.run();

// ---------------------------------------------------------------------------------------
const checking = suite('check conventions');

checking('--config FILE is FILE; both at once is a usage error', () => {
  assert.equal(run(['check', '--config', GOOD]), run(['check', GOOD]));
  const both = run(['check', '--config', GOOD, GOOD]);
  assert.equal([both.status, both.stdout], [2, '']);
  assert.match(both.stderr, /give the file once/);
});

checking('- reads standard input, named <stdin>', () => {
  const r = run(['check', '-'], { input: '10.0.0.0/8 onevipa 192.0.2.1\n10.0.0.0/33 onevipa 192.0.2.2\n' });
  assert.is(r.status, 1);
  assert.match(r.stdout, /^<stdin>:2: error: prefix length '33'/);
  assert.match(r.stdout, /\n<stdin>: 1 rule, 1 error, 0 warnings\n$/);
});

checking('a UTF-8 byte-order mark is skipped (as the library skips it)', () => {
  const bom = file('bom.conf', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('10.0.0.0/8 onevipa 192.0.2.1\n')]));
  assert.equal(run(['check', bom]), { status: 0, stdout: `${bom}: 1 rule, 0 errors, 0 warnings\n`, stderr: '' });
});

checking('the summary counts the problems listed, and says how many more the engine left out', () => {
  const r = run(['check', BIG]);
  assert.is(r.status, 1);
  assert.match(r.stdout, /\n[^\n]*big\.conf: 0 rules, 1000 errors, 0 warnings \(19000 more not listed\)\n$/);
});

checking('a directory, a missing file: the reason in plain words, status 2', () => {
  for (const [path, reason] of [[dir, 'it is a directory, not a file'], [join(dir, 'none.conf'), 'no such file']]) {
    assert.equal(run(['check', path]), { status: 2, stdout: '', stderr: `src-vipa: cannot read ${path}: ${reason}\n` });
  }
});

checking('--no-resolve: names are notes, nothing is looked up', async () => {
  const names = file('names.conf', 'db.example/32 onevipa 192.0.2.1\n10.0.0.0/8 lrr gw.example 192.0.2.2\nx.example/32 onevipa 192.0.2.3\n');
  const asked: string[] = [];
  const out: string[] = [];
  const ctx: CommandContext = {
    io: { out: (l) => out.push(l), err: (l) => out.push(l) },
    env: {},
    resolver: async (name) => { asked.push(name); return ['192.0.2.99']; },
  };
  assert.is(await check({ file: names, noResolve: true }, ctx), 0);
  assert.equal(asked, [], 'no name reached the resolver');
  assert.equal(out, [
    `${names}:1: note: host name 'db.example' is not looked up (--no-resolve); what it resolves to is not checked`,
    `${names}:2: note: host name 'gw.example' is not looked up (--no-resolve); what it resolves to is not checked`,
    `${names}:3: note: host name 'x.example' is not looked up (--no-resolve); what it resolves to is not checked`,
    `${names}: 1 rule, 0 errors, 0 warnings`,
  ]);
  out.length = 0;
  await check({ file: names, noResolve: true, json: true }, ctx);
  const report = JSON.parse(out[0]);
  assert.equal(report.notes.map((n: { code: string; line: number; column: number }) => [n.code, n.line, n.column]),
    [['NOT_LOOKED_UP', 1, 1], ['NOT_LOOKED_UP', 2, 16], ['NOT_LOOKED_UP', 3, 1]]);
});

checking.run();

// ---------------------------------------------------------------------------------------
const json = suite('JSON outputs');

function keys(stdout: string): string[] {
  return Object.keys(JSON.parse(stdout));
}

json('every object has "schema": 1 and only the documented keys', () => {
  assert.equal(keys(run(['check', '--json', GOOD]).stdout), ['schema', 'file', 'rules', 'errors', 'warnings', 'notes']);
  const explained = JSON.parse(run(['explain', '--json', '--config', GOOD, '10.1.2.3']).stdout);
  assert.equal(Object.keys(explained), ['schema', 'line', 'rule', 'policy', 'sources', 'source', 'index', 'code', 'mapped']);
  assert.is(explained.schema, 1);
  assert.equal(keys(run(['explain', '--json', '--config', GOOD, '192.168.0.1']).stdout), ['schema', 'line']);
  const simulated = JSON.parse(run(['simulate', '--json', '--config', GOOD, '10.1.2.3', '-n', '9']).stdout);
  assert.equal(Object.keys(simulated), ['schema', 'line', 'rule', 'policy', 'mapped', 'count', 'rows']);
  assert.equal(simulated.rows, ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((source) => ({ source, count: 3, share: 1 / 3 })));
  assert.equal(JSON.parse(run(['simulate', '--json', '--config', GOOD, '--bind', '81', '-n', '2']).stdout),
    { schema: 1, line: null, count: 2 });
});

json.run();

// ---------------------------------------------------------------------------------------
const simulation = suite('simulate at scale');

simulation('-n 10000000: every decision counted, bars as long as the shares', () => {
  const r = run(['simulate', '--config', GOOD, '10.1.2.3', '-n', '10000000']);
  assert.is(r.status, 0, r.stderr);
  const rows = r.stdout.trimEnd().split('\n').slice(2).map((l) => l.trim().split(/\s+/));
  assert.equal(rows.map((row) => row[0]), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  assert.is(rows.reduce((sum, row) => sum + Number(row[1]), 0), 10_000_000);
  for (const row of rows) assert.is(row[3].length, 13, 'a third of 40 characters');
  assert.is(r.stderr, '', 'no progress when standard error is not a terminal');
});

simulation('on a terminal, progress on standard error', () => {
  // script(1) runs the command on a pseudo-terminal and copies what it shows
  const command = `${process.execPath} ${CLI} simulate --config ${GOOD} 10.1.2.3 -n 3000000`;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /simulate: 1000000 of 3000000 decisions\r/);
  assert.match(r.stdout, /simulate: 2000000 of 3000000 decisions\r/);
  assert.match(r.stdout, /192\.0\.2\.1 +1000000 +33\.3%/);
});

simulation.run();

// ---------------------------------------------------------------------------------------
const completion = suite('bash completion');

/** What the completion function offers for the words typed so far (the last is being typed). */
function complete(...words: string[]): string[] {
  const script = `source <(node "$CLI" completion bash)
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_src_vipa; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = shell(`cd ${dir} && ${script}`);
  assert.is(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

completion('commands, each command\'s options, their values and files', () => {
  assert.equal(complete('src-vipa', ''), ['--help', '--version', 'check', 'completion', 'explain', 'help', 'simulate', 'test'].sort());
  assert.equal(complete('src-vipa', 'test', '--'), ['--config', '--help', '--json', '--resolve', '--seed', '--tap']);
  assert.equal(complete('src-vipa', 'test', 'goo'), ['good.conf'], 'case files complete as files');
  assert.equal(complete('src-vipa', 'ex'), ['explain']);
  assert.equal(complete('src-vipa', 'check', '--'), ['--config', '--help', '--json', '--no-resolve', '--quiet'].sort());
  assert.ok(complete('src-vipa', 'check', '-').includes('-q'));
  assert.equal(complete('src-vipa', 'explain', '--bind', '80', '--family', ''), ['4', '6']);
  assert.equal(complete('src-vipa', 'check', 'goo'), ['good.conf']);
  assert.equal(complete('src-vipa', 'simulate', '--config', 'goo'), ['good.conf']);
  assert.equal(complete('src-vipa', 'help', 'si'), ['simulate']);
  assert.equal(complete('src-vipa', 'completion', ''), ['bash']);
});

completion('the script make installs is the one the CLI prints', () => {
  const installed = readFileSync(join(ROOT, 'build/completion/src-vipa'), 'utf8');
  assert.is(installed, run(['completion', 'bash']).stdout);
});

completion.run();
