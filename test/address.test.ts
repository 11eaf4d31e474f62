// The engine's address literals (assembly/addr.ts, through sv_addr_parse/sv_addr_format)
// against an independent oracle, the `ip-address` package, on a generated corpus.
import { Address4, Address6 } from 'ip-address';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Engine } from '../host/engine.js';
import { generator, load } from './helpers/engine.js';

// Where ip-address reads more than our grammar (docs/abi.md, sv_addr_parse) on purpose.
// Every disagreement must be one of these, and each must really occur in the corpus, so
// that the list stays true.
const KNOWN_EXCEPTIONS: { name: string; why: string; applies: (text: string) => boolean }[] = [
  {
    name: 'prefix length',
    why: 'ip-address takes ADDRESS/BITS as an address; our literals have no prefix (the configuration parser splits DEST/MASK itself)',
    applies: (text) => /\/\d+$/.test(text),
  },
  {
    name: 'zone id',
    why: 'ip-address takes an RFC 4007 zone id (fe80::1%eth0); sv_addr_parse refuses zone ids, which mean nothing in a rule',
    applies: (text) => text.includes('%'),
  },
];

type Verdict = 0 | 4 | 6;

function oracleFamily(text: string): Verdict {
  if (Address4.isValid(text)) return 4;
  if (Address6.isValid(text)) return 6;
  return 0;
}

/** The oracle's 16 bytes, as 32 hex digits. */
function oracleHex(text: string, family: Verdict): string {
  if (family === 4) return new Address4(text).toArray().map((b) => b.toString(16).padStart(2, '0')).join('').padEnd(32, '0');
  return new Address6(text).canonicalForm().replaceAll(':', '');
}

/** RFC 5952 text, and ::ffff:a.b.c.d for mapped addresses (as docs/abi.md says). */
function oracleText(text: string, family: Verdict): string {
  if (family === 4) return new Address4(text).correctForm();
  const a = new Address6(text);
  return a.isMapped4() ? a.to4in6() : a.correctForm();
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

// --- the corpus ---------------------------------------------------------------------------
const next = generator(0xadd7);
const below = (n: number) => Math.floor(next() * n);
const pick = <T>(items: readonly T[]): T => items[below(items.length)];

function randomQuad(): string {
  const part = () => String(pick([0, 1, 9, 10, 99, 100, 199, 255, below(256), below(256)]));
  return [part(), part(), part(), part()].join('.');
}

function groupText(value: number): string {
  const digits = value.toString(16);
  const padded = next() < 0.2 ? digits.padStart(4, '0') : digits; // leading zeros are allowed in IPv6
  return next() < 0.3 ? padded.toUpperCase() : padded;
}

/** Every text of the eight groups: in full, and with `::` over each run of zero groups. */
function everyForm(groups: number[]): string[] {
  const texts = groups.map(groupText);
  const forms = [texts.join(':')];
  for (let start = 0; start < 8; start++) {
    for (let end = start + 1; end <= 8 && groups[end - 1] === 0; end++) {
      forms.push(`${texts.slice(0, start).join(':')}::${texts.slice(end).join(':')}`);
    }
  }
  return forms;
}

function corpus(): string[] {
  const inputs: string[] = [];
  // IPv4
  for (let i = 0; i < 600; i++) inputs.push(randomQuad());
  // IPv6: every pattern of zero groups, every compressed form of it
  for (let zeros = 0; zeros < 256; zeros++) {
    const groups = Array.from({ length: 8 }, (_, g) => (zeros >> g) & 1 ? 0 : 1 + below(0xffff));
    inputs.push(...everyForm(groups));
  }
  // mapped, and other embedded dotted quads
  for (let i = 0; i < 200; i++) {
    const quad = randomQuad();
    inputs.push(`::ffff:${quad}`, `0:0:0:0:0:${pick(['ffff', 'FFFF', 'fFfF'])}:${quad}`);
    const head = Array.from({ length: 6 }, () => below(3) ? groupText(below(0x10000)) : '0');
    inputs.push(`${head.join(':')}:${quad}`, `${head.slice(0, below(6)).join(':')}::${quad}`, `64:ff9b::${quad}`);
  }
  // hand-made invalid forms
  inputs.push(
    '', ' ', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', '256.0.0.1', '1.2.3.-1', '1..2.3', '1.2.3.4.', '.1.2.3.4',
    '0x1.2.3.4', '1.2.3.4 ', ' 1.2.3.4', '١.٢.٣.٤', ':', ':::', '1::2::3', ':1::', '1::2:', '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7', '12345::', 'g::', '::ffff:1.2.3', '::ffff:1.2.3.256', '::1.2.3.4:5', '1:2:3:4:5:6:7:1.2.3.4',
    '::01.2.3.4', '[::1]', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '1.2.3.4::', '::1.2.3.4.5',
    // what ip-address takes and we do not (KNOWN_EXCEPTIONS)
    'fe80::1%eth0', 'fe80::1%1', '::1/128', '1.2.3.4/24', '2001:db8::/32',
  );
  // mutations of valid texts: one character inserted, removed or replaced
  const alphabet = '0123456789abcdefABCDEF:.%/ gx';
  for (let i = 0; i < 2500; i++) {
    const base = pick(inputs.slice(0, 2000));
    const at = below(base.length + 1);
    const c = pick([...alphabet]);
    const mutated = [base.slice(0, at) + c + base.slice(at), base.slice(0, at) + base.slice(at + 1),
                     base.slice(0, at) + c + base.slice(at + 1)][below(3)];
    inputs.push(mutated);
  }
  return [...new Set(inputs)];
}

const CORPUS = corpus();
let engine: Engine;

// ---------------------------------------------------------------------------------------
const parse = suite('sv_addr_parse against ip-address', { seen: new Map<string, number>() });

parse.before(async () => {
  engine = await load('');
});

parse('the corpus is large and varied', () => {
  const families = CORPUS.map(oracleFamily);
  assert.ok(CORPUS.length > 5000, `${CORPUS.length} inputs`);
  for (const f of [0, 4, 6]) assert.ok(families.filter((v) => v === f).length > 500, `family ${f}`);
});

parse('same verdict and same bytes, except for the known exceptions', (ctx) => {
  const unexplained: string[] = [];
  for (const text of CORPUS) {
    const ours = engine.parseAddress(text);
    const theirs = oracleFamily(text);
    const ourFamily = ours ? ours.family : 0;
    if (ourFamily !== theirs) {
      const exception = KNOWN_EXCEPTIONS.find((e) => e.applies(text));
      // an exception may only explain ip-address taking more than we do
      if (exception && ourFamily === 0) ctx.seen.set(exception.name, (ctx.seen.get(exception.name) ?? 0) + 1);
      else unexplained.push(`${JSON.stringify(text)}: engine ${ourFamily}, ip-address ${theirs}`);
      continue;
    }
    if (ours && hex(ours.bytes) !== oracleHex(text, theirs)) {
      unexplained.push(`${JSON.stringify(text)}: engine ${hex(ours.bytes)}, ip-address ${oracleHex(text, theirs)}`);
    }
  }
  assert.equal(unexplained.slice(0, 20), [], `${unexplained.length} disagreements`);
});

parse('every known exception occurs in the corpus', (ctx) => {
  for (const exception of KNOWN_EXCEPTIONS) {
    assert.ok((ctx.seen.get(exception.name) ?? 0) > 0, `'${exception.name}' never occurred: remove it from the list`);
  }
});

parse('longer than the scratch area is no address, and nothing breaks', () => {
  assert.is(engine.parseAddress(`${'0'.repeat(300)}::1`), null);
  assert.is(engine.parseAddress('1.2.3.4'.padEnd(257, ' ')), null);
  assert.is(engine.parseAddress('::1')?.family, 6);
});

parse.run();

// ---------------------------------------------------------------------------------------
const format = suite('sv_addr_format against ip-address');

format.before(async () => {
  engine = await load('');
});

format('the text of every valid corpus entry: RFC 5952, mapped as ::ffff:a.b.c.d', () => {
  const wrong: string[] = [];
  for (const text of CORPUS) {
    const parsed = engine.parseAddress(text);
    if (!parsed) continue;
    const ours = engine.formatAddress(parsed.family, parsed.bytes);
    const theirs = oracleText(text, parsed.family);
    if (ours !== theirs) wrong.push(`${JSON.stringify(text)}: engine ${ours}, ip-address ${theirs}`);
  }
  assert.equal(wrong.slice(0, 20), [], `${wrong.length} disagreements`);
});

format('random bytes with runs of zero groups: text, and back to the same bytes', () => {
  const rand = generator(5952);
  for (let i = 0; i < 3000; i++) {
    const bytes = new Uint8Array(16);
    for (let g = 0; g < 8; g++) {
      if (rand() < 0.45) continue; // a zero group
      const value = rand() < 0.2 ? 0xffff : Math.floor(rand() * 0x10000);
      bytes[2 * g] = value >> 8;
      bytes[2 * g + 1] = value & 0xff;
    }
    if (rand() < 0.1) bytes.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 0); // mapped
    const text = engine.formatAddress(6, bytes);
    const oracle = Address6.fromUnsignedByteArray([...bytes]);
    assert.is(text, oracle.isMapped4() ? oracle.to4in6() : oracle.correctForm(), hex(bytes));
    assert.is(hex(engine.parseAddress(text)?.bytes ?? new Uint8Array()), hex(bytes), text);
  }
});

format('IPv4: dotted quad without leading zeros', () => {
  const rand = generator(4);
  for (let i = 0; i < 1000; i++) {
    const bytes = new Uint8Array(16);
    for (let b = 0; b < 4; b++) bytes[b] = rand() < 0.2 ? 0 : Math.floor(rand() * 256);
    const text = engine.formatAddress(4, bytes);
    assert.is(text, Address4.fromByteArray([...bytes.slice(0, 4)]).correctForm());
    assert.is(hex(engine.parseAddress(text)?.bytes ?? new Uint8Array()), hex(bytes), text);
  }
});

format.run();
