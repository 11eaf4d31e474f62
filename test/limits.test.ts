// Loading is bounded (docs/abi.md "Memory", src_vipa(8) LIMITS): the engine's memory grows
// with rules, not with lines or bytes; stored diagnostics are capped; a configuration
// within the documented limits keeps every rule, one beyond them gets a diagnostic in words.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Engine } from '../host/engine.js';
import { connect, load, ruled } from './helpers/engine.js';

const MB = 1e6;
const RULE = '10.0.0.0/8 onevipa 192.0.2.1';

/** Engine memory beyond the input text itself (which the C host discards after loading). */
function overInput(e: Engine, text: string): number {
  return e.memoryBytes() - Buffer.byteLength(text);
}

// ---------------------------------------------------------------------------------------
const memory = suite('memory grows with rules, not lines');

for (const [what, line] of [['blank lines', '\n'], ['comment lines', '# a comment\n']]) {
  memory(`2 M ${what} and one rule: the rule applies, memory is the text and 2 MB more`, async () => {
    const text = `${line.repeat(2_000_000)}${RULE}\n`;
    const e = await load(text);
    assert.equal(e.diagnostics(), []);
    assert.is(ruled(connect(e, '10.1.2.3')).line, 2_000_001);
    // before: 400 bytes were reserved per line (800 MB asked for; 236 MB in the C host)
    assert.ok(overInput(e, text) < 2 * MB, `${e.memoryBytes()} bytes of memory`);
  });
}

memory('1 M bad lines: 1000 diagnostics kept, one more says how many were left out', async () => {
  const text = `${'10.0.0.0/8\n'.repeat(1_000_000)}11.0.0.0/8 onevipa 192.0.2.2\n`;
  const e = await load(text);
  const d = e.diagnostics();
  assert.is(d.length, 1001);
  assert.ok(d.slice(0, 1000).every((x) => x.name === 'NO_SOURCES' && x.severity === 'error'));
  const last = d[1000];
  assert.equal([last.line, last.severity, last.name], [0, 'error', 'DIAGNOSTICS_OMITTED']);
  assert.match(last.message, /^999000 more problems \(999000 errors, 0 warnings, 0 notes\) not listed: only the first 1000 are kept; fix the lines above and check the file again \(src-vipa check FILE\)$/);
  assert.is(ruled(connect(e, '11.1.2.3')).line, 1_000_001);
  // before: every message was kept (and built): the engine ran out of memory and trapped
  assert.ok(overInput(e, text) < 4 * MB, `${e.memoryBytes()} bytes of memory`);
});

memory('the omitted-diagnostics line is as severe as the worst left out', async () => {
  const warnings = '10.0.0.1/8 onevipa 192.0.2.1\n'.repeat(1500); // HOST_BITS each, SHADOWED each but the last
  const e = await load(warnings);
  const last = e.diagnostics().at(-1)!;
  assert.equal([last.severity, last.name], ['warning', 'DIAGNOSTICS_OMITTED']);
  assert.match(last.message, /^1999 more problems \(0 errors, 1999 warnings, 0 notes\)/);
});

memory('one host name on many lines costs its memory once', async () => {
  const name = `${'x'.repeat(63)}.${'y'.repeat(63)}.${'z'.repeat(63)}.example`;
  const lines = Array.from({ length: 50_000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24 onevipa ${name}`);
  const text = `${lines.join('\n')}\n`;
  const e = await load(text, { resolve: { [name]: ['192.0.2.9'] } });
  assert.equal(e.diagnostics(), []);
  assert.is(ruled(connect(e, '10.195.79.1')).source, '192.0.2.9');
  // rules, sources and the prefix table: under 400 bytes per line (a copy of the name per
  // use would be 800 bytes more)
  assert.ok(overInput(e, text) < 50_000 * 400, `${overInput(e, text)} bytes beyond the text`);
});

memory.run();

// ---------------------------------------------------------------------------------------
const limits = suite('limits');

limits('within the documented limits every rule applies: 64 MiB, 500,000 rules, 1,000,000 sources', async () => {
  const rules = Array.from({ length: 500_000 }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32 lc 192.0.2.1 192.0.2.2`);
  const body = `${rules.join('\n')}\n`;
  const comment = `#${'-'.repeat(998)}\n`;
  const text = comment.repeat(Math.floor((64 * 1024 * 1024 - body.length) / comment.length)) + body;
  assert.ok(text.length > 64 * 1024 * 1024 - 1000 && text.length <= 64 * 1024 * 1024, `${text.length} bytes`);
  const e = await load(text);
  assert.equal(e.diagnostics(), []);
  const lastLine = text.split('\n').length - 1;
  assert.is(ruled(connect(e, '10.7.161.31')).line, lastLine, 'the last rule applies');
});

limits('beyond them: the rules that fit apply, the others are skipped with one error in words', async () => {
  // 1,500 lines of 4,000 sources: 6 million sources, far beyond what 256 MiB hold
  const sources = '::1 '.repeat(4000);
  const lines = Array.from({ length: 1500 }, (_, i) => `2001:db8:${i.toString(16)}::/48 lrr ${sources}`);
  const e = await load(`${lines.join('\n')}\n`);
  const errors = e.diagnostics().filter((d) => d.severity === 'error');
  assert.is(errors.length, 1);
  const [d] = errors;
  assert.is(d.name, 'TOO_MANY_RULES');
  assert.match(d.message, new RegExp(`^the configuration has 1500 rules, but only the ${d.line - 1} before this line fit in the engine's 256 MiB of memory; this line and the ${1500 - d.line} rules after it are skipped: give each group of programs a smaller file of its own \\(SRC_VIPA_CONFIG_FILE\\)`));
  assert.ok(d.line > 500 && d.line < 1500, `cut at line ${d.line}`);
  assert.is(e.rule(d.line - 2)?.line, d.line - 1, 'the rules before the line all apply');
  assert.is(e.rule(d.line - 1), null);
  assert.is(ruled(connect(e, `2001:db8:${(d.line - 2).toString(16)}::1`)).line, d.line - 1);
  assert.is(connect(e, `2001:db8:${(d.line - 1).toString(16)}::1`).code, 'pass');
});

limits('host names that make too many rules: the lines that fit apply, one error for the rest', async () => {
  // 256 addresses each: every line makes 256 rules of 256 sources (50 kB); 6,000 lines do not fit
  const resolve = {
    'd.example': Array.from({ length: 256 }, (_, k) => `10.0.${k}.1`),
    'pool.example': Array.from({ length: 256 }, (_, k) => `192.0.${k}.1`),
  };
  const e = await load('d.example/32 lrr pool.example\n'.repeat(6000), { resolve });
  const [d, ...more] = e.diagnostics().filter((x) => x.severity === 'error');
  assert.is(more.length, 0);
  assert.is(d.name, 'TOO_MANY_RULES');
  assert.match(d.message, new RegExp(`^with their host names resolved, the lines before this one make ${(d.line - 1) * 256} rules with ${(d.line - 1) * 256} source addresses, and no more fit in the engine's 256 MiB of memory; this line and the ${6000 - d.line} rule lines after it are skipped`));
  assert.ok(d.line > 1000 && d.line < 6000, `cut at line ${d.line}`);
  assert.is(e.rule((d.line - 1) * 256 - 1)?.line, d.line - 1);
  assert.is(e.rule((d.line - 1) * 256), null);
  assert.is(ruled(connect(e, '10.0.255.1')).line, d.line - 1, 'the last line that fits wins');
});

limits('a name with more than 256 addresses: the first 256 are used, with a warning', async () => {
  const many = Array.from({ length: 300 }, (_, k) => `192.0.${k >> 8}.${k & 255}`);
  const e = await load('10.0.0.0/8 lrr big.example', { resolve: { 'big.example': many } });
  const d = e.diagnostics();
  assert.equal(d.map((x) => [x.line, x.column, x.severity, x.name]), [[1, 16, 'warning', 'TOO_MANY_ADDRESSES'], [1, 0, 'note', 'NOT_PORTABLE']]);
  assert.match(d.find((x) => x.name === 'TOO_MANY_ADDRESSES')!.message, /'big\.example' resolved to more addresses than the engine keeps for one name \(256\); 44 more are ignored/);
  assert.is(e.rules()[0].sources.length, 256);
});

limits.run();
