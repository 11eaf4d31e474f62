// Which rule answers (assembly/table/, assembly/select.ts): longest prefix, later line on
// equal prefixes, IPv4-mapped destinations, and .INADDR_ANY statements in file order.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AddressError } from '../host/errors.js';
import { bind, connect, generator, isA, load, ruled, sourceFor } from './helpers/engine.js';

// ---------------------------------------------------------------------------------------
const v4 = suite('IPv4 destinations');

v4('the longest matching prefix wins, whatever the line order', async () => {
  const e = await load([
    '10.1.2.0/24 onevipa 192.0.2.24',
    '0.0.0.0/0 onevipa 192.0.2.0',
    '10.1.2.3/32 onevipa 192.0.2.32',
    '10.0.0.0/8 onevipa 192.0.2.8',
    '10.1.0.0/16 onevipa 192.0.2.16',
  ].join('\n'));
  const table: [string, string][] = [
    ['10.1.2.3', '192.0.2.32'], ['10.1.2.4', '192.0.2.24'], ['10.1.3.3', '192.0.2.16'],
    ['10.2.2.3', '192.0.2.8'], ['11.1.2.3', '192.0.2.0'], ['255.255.255.255', '192.0.2.0'],
  ];
  for (const [address, source] of table) assert.is(sourceFor(e, address), source, address);
});

v4('prefixes that do not end on a byte', async () => {
  const e = await load('192.168.8.0/21 onevipa 192.0.2.21\n192.168.15.224/27 onevipa 192.0.2.27\n192.168.15.254/31 onevipa 192.0.2.31');
  const table: [string, string][] = [
    ['192.168.7.255', 'pass'], ['192.168.8.0', '192.0.2.21'], ['192.168.15.223', '192.0.2.21'],
    ['192.168.15.224', '192.0.2.27'], ['192.168.15.253', '192.0.2.27'], ['192.168.15.254', '192.0.2.31'],
    ['192.168.15.255', '192.0.2.31'], ['192.168.16.0', 'pass'],
  ];
  for (const [address, source] of table) assert.is(sourceFor(e, address), source, address);
});

v4('between equal prefixes the later line wins; a longer prefix still beats a later line', async () => {
  const e = await load('10.1.0.0/16 onevipa 192.0.2.16\n10.0.0.0/8 onevipa 192.0.2.1\n10.0.0.0/8 onevipa 192.0.2.2');
  assert.is(sourceFor(e, '10.9.9.9'), '192.0.2.2');
  assert.is(ruled(connect(e, '10.9.9.9')).line, 3);
  assert.is(sourceFor(e, '10.1.9.9'), '192.0.2.16');
});

v4('host bits in a destination are ignored when matching', async () => {
  const e = await load('10.1.2.3/8 onevipa 192.0.2.8');
  assert.is(sourceFor(e, '10.200.0.1'), '192.0.2.8');
  assert.is(sourceFor(e, '11.1.2.3'), 'pass');
});

v4('no IPv4 rule matches an IPv6 destination that is not mapped', async () => {
  const e = await load('0.0.0.0/0 onevipa 192.0.2.1');
  assert.is(sourceFor(e, '2001:db8::1'), 'pass');
  assert.is(sourceFor(e, '::10.1.2.3'), 'pass', 'IPv4-compatible (deprecated) is IPv6, not mapped');
});

v4('the port and protocol do not matter to 1.0 rules', async () => {
  const e = await load('10.0.0.0/8 onevipa 192.0.2.1');
  for (const query of [{ port: 0 }, { port: 65535, proto: 'udp' as const }, { port: 22, proto: 'tcp' as const }]) {
    assert.is(ruled(e.select({ kind: 'connect', address: '10.0.0.1', ...query })).source, '192.0.2.1');
  }
});

v4('out-of-range ports and non-addresses are refused by the host', async () => {
  const e = await load('10.0.0.0/8 onevipa 192.0.2.1');
  assert.throws(() => connect(e, '10.0.0.1', 65536), isA(AddressError));
  assert.throws(() => connect(e, '10.0.0.1', -1), isA(AddressError));
  assert.throws(() => connect(e, 'example.com'), isA(AddressError));
});

v4.run();

// ---------------------------------------------------------------------------------------
const v6 = suite('IPv6 destinations');

v6('the longest matching prefix wins, across word boundaries', async () => {
  const e = await load([
    '2001:db8:1:2::/64 onevipa 2001:db8:ff::64',
    '::/0 onevipa 2001:db8:ff::0',
    '2001:db8::/32 onevipa 2001:db8:ff::32',
    '2001:db8:1:2::1/128 onevipa 2001:db8:ff::128',
    '2001:db8:1::/48 onevipa 2001:db8:ff::48',
    '2001:db8:1:ff80::/57 onevipa 2001:db8:ff::57',
    '2001:db8:1:ff80::8000:0/97 onevipa 2001:db8:ff::97',
  ].join('\n'));
  const table: [string, string][] = [
    ['2001:db8:1:2::1', '2001:db8:ff::128'], ['2001:db8:1:2::2', '2001:db8:ff::64'],
    ['2001:db8:1:ff80::8000:0', '2001:db8:ff::97'], ['2001:db8:1:ff80::ffff:ffff', '2001:db8:ff::97'],
    ['2001:db8:1:ff80::7fff:ffff', '2001:db8:ff::57'], ['2001:db8:1:ffff::', '2001:db8:ff::57'],
    ['2001:db8:1:ff7f::', '2001:db8:ff::48'],
    ['2001:db8:1:3::', '2001:db8:ff::48'], ['2001:db8:2::', '2001:db8:ff::32'], ['2001:db9::', '2001:db8:ff::'],
  ];
  for (const [address, source] of table) assert.is(sourceFor(e, address), source, address);
});

v6('between equal prefixes the later line wins', async () => {
  const e = await load('2001:db8::/32 onevipa ::1\n2001:0db8:0::/32 onevipa ::2');
  assert.is(sourceFor(e, '2001:db8::5'), '::2');
  assert.equal(e.rules().map((r) => r.shadowedBy), [2, null]);
});

v6.run();

// ---------------------------------------------------------------------------------------
// A random rule set against an independent longest-prefix oracle (BigInt masks).
const random = suite('random rule sets');

interface TestRule { net: bigint; prefix: number; line: number }

function oracle(rules: TestRule[], address: bigint, bits: number): number | null {
  let best: TestRule | null = null;
  for (const r of rules) {
    const shift = BigInt(bits - r.prefix);
    if ((address >> shift) !== (r.net >> shift)) continue;
    if (!best || r.prefix > best.prefix || (r.prefix === best.prefix && r.line > best.line)) best = r;
  }
  return best ? best.line : null;
}

function text(value: bigint, bits: number): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
}

for (const bits of [32, 128]) {
  random(`IPv${bits === 32 ? 4 : 6}: 300 rules, 3000 destinations`, async () => {
    const next = generator(bits);
    const randomBits = (n: number) => {
      let v = 0n;
      for (let i = 0; i < n; i += 16) v = (v << 16n) | BigInt(Math.floor(next() * 65536));
      return v & ((1n << BigInt(n)) - 1n);
    };
    // few distinct networks, so that prefixes nest and repeat
    const bases = Array.from({ length: 6 }, () => randomBits(bits));
    const rules: TestRule[] = [];
    const lines: string[] = [];
    for (let line = 1; line <= 300; line++) {
      const prefix = Math.floor(next() * (bits + 1));
      const base = bases[Math.floor(next() * bases.length)] ^ (randomBits(bits) >> BigInt(Math.floor(next() * bits) + 4));
      const net = prefix ? (base >> BigInt(bits - prefix)) << BigInt(bits - prefix) : 0n;
      rules.push({ net, prefix, line });
      lines.push(`${text(net, bits)}/${prefix} onevipa ${bits === 32 ? `10.0.${line >> 8}.${line & 255}` : `fd00::${line.toString(16)}`}`);
    }
    const e = await load(lines.join('\n'));
    const hit = new Set<number>();
    const asked: bigint[] = [];
    for (let i = 0; i < 3000; i++) {
      const base = bases[Math.floor(next() * bases.length)];
      const address = base ^ (randomBits(bits) >> BigInt(Math.floor(next() * bits)));
      const expected = oracle(rules, address, bits);
      const decision = connect(e, text(address, bits));
      assert.is(decision.code === 'pass' ? null : decision.line, expected, text(address, bits));
      if (expected !== null) hit.add(expected);
      asked.push(address);
    }
    // Again, in another order: now many answers come from the engine's destination cache,
    // whose slots the 3000 addresses share and overwrite.
    for (let i = asked.length - 1; i >= 0; i -= 3) {
      const address = asked[i];
      const decision = connect(e, text(address, bits));
      assert.is(decision.code === 'pass' ? null : decision.line, oracle(rules, address, bits), `again ${text(address, bits)}`);
    }
    assert.ok(hit.size >= 50, `the destinations reach many rules (${hit.size})`);
  });
}

random.run();

// ---------------------------------------------------------------------------------------
const mapped = suite('IPv4-mapped destinations');

mapped('::ffff:a.b.c.d is matched by the IPv4 rules and answered mapped', async () => {
  const e = await load('10.0.0.0/8 onevipa 192.0.2.8\n10.1.0.0/16 onevipa 192.0.2.16\n::/0 onevipa 2001:db8::1');
  for (const address of ['::ffff:10.1.2.3', '::FFFF:a01:203', '0:0:0:0:0:ffff:10.1.2.3']) {
    const d = ruled(connect(e, address));
    assert.equal([d.source, d.family, d.mapped, d.line], ['::ffff:192.0.2.16', 6, true, 2], address);
  }
  assert.equal(ruled(connect(e, '::ffff:10.2.0.1')).source, '::ffff:192.0.2.8');
});

mapped('a mapped destination that no IPv4 rule matches passes, even with an IPv6 ::/0 rule', async () => {
  const e = await load('10.0.0.0/8 onevipa 192.0.2.8\n::/0 onevipa 2001:db8::1');
  assert.is(sourceFor(e, '::ffff:11.0.0.1'), 'pass');
  assert.is(sourceFor(e, '2001:db8::7'), '2001:db8::1');
});

mapped('an IPv4 destination is answered unmapped by the same rule', async () => {
  const e = await load('10.0.0.0/8 onevipa 192.0.2.8');
  const d = ruled(connect(e, '10.1.2.3'));
  assert.equal([d.source, d.family, d.mapped], ['192.0.2.8', 4, false]);
});

mapped.run();

// ---------------------------------------------------------------------------------------
const wildcard = suite('.INADDR_ANY');

function bindResult(d: ReturnType<typeof bind>): string {
  return d.code === 'pass' ? 'pass' : `${d.code} ${d.source}`;
}

wildcard('every port except 512-1023: the later statement overrides the earlier one', async () => {
  const e = await load('.INADDR_ANY 0-65535 onevipa 192.0.2.10\n.INADDR_ANY 512-1023 onevipa 0.0.0.0');
  const table: [number, string][] = [
    [0, 'bind 192.0.2.10'], [80, 'bind 192.0.2.10'], [511, 'bind 192.0.2.10'], [512, 'keep 0.0.0.0'],
    [600, 'keep 0.0.0.0'], [1023, 'keep 0.0.0.0'], [1024, 'bind 192.0.2.10'], [65535, 'bind 192.0.2.10'],
  ];
  for (const [port, expected] of table) assert.is(bindResult(bind(e, port)), expected, `port ${port}`);
});

wildcard('the same statements in the other order: the full range overrides everything', async () => {
  const e = await load('.INADDR_ANY 512-1023 onevipa 0.0.0.0\n.INADDR_ANY 0-65535 onevipa 192.0.2.10');
  for (const port of [0, 600, 65535]) assert.is(bindResult(bind(e, port)), 'bind 192.0.2.10', `port ${port}`);
});

wildcard('three overlapping statements, last one first', async () => {
  const e = await load('.INADDR_ANY 1000-2000 onevipa 192.0.2.1\n.INADDR_ANY 1500-2500 onevipa 192.0.2.2\n.INADDR_ANY 1800 onevipa 192.0.2.3');
  const table: [number, string][] = [
    [999, 'pass'], [1000, 'bind 192.0.2.1'], [1499, 'bind 192.0.2.1'], [1500, 'bind 192.0.2.2'],
    [1799, 'bind 192.0.2.2'], [1800, 'bind 192.0.2.3'], [1801, 'bind 192.0.2.2'], [2500, 'bind 192.0.2.2'], [2501, 'pass'],
  ];
  for (const [port, expected] of table) assert.is(bindResult(bind(e, port)), expected, `port ${port}`);
  assert.is(ruled(bind(e, 1800)).line, 3);
});

wildcard('IPv6 binds use the IPv6 statements; IPv4 binds never do', async () => {
  const e = await load('.INADDR_ANY 80 onevipa 2001:db8::80\n.INADDR_ANY 0-65535 onevipa 192.0.2.1');
  assert.is(bindResult(bind(e, 80, 6)), 'bind 2001:db8::80');
  assert.is(bindResult(bind(e, 80, 4)), 'bind 192.0.2.1');
  assert.is(bindResult(bind(e, 81, 6)), 'pass', 'an IPV6_V6ONLY socket gets no IPv4 answer');
});

wildcard('a dual-stack IPv6 bind gets only IPv6 statements: an IPv4 one would take IPv6 away (::ffff:SRC)', async () => {
  const e = await load('.INADDR_ANY 80 onevipa 2001:db8::80\n.INADDR_ANY 0-65535 onevipa 192.0.2.1\n.INADDR_ANY 22 onevipa 0.0.0.0');
  assert.is(bindResult(bind(e, 80, 6, true)), 'bind 2001:db8::80', 'an IPv6 statement answers');
  for (const port of [0, 81, 22]) assert.is(bindResult(bind(e, port, 6, true)), 'pass', `port ${port}`);
  assert.is(bindResult(bind(e, 0, 4)), 'bind 192.0.2.1', 'IPv4 sockets still get the IPv4 statements');
});

wildcard('the IPv6 wildcard as a source keeps the bind', async () => {
  const e = await load('.INADDR_ANY 0-65535 onevipa 2001:db8::1\n.INADDR_ANY 512-1023 onevipa ::');
  assert.is(bindResult(bind(e, 600, 6)), 'keep ::');
  assert.is(bindResult(bind(e, 1024, 6)), 'bind 2001:db8::1');
});

wildcard('destination rules do not answer binds, nor statements connects', async () => {
  const e = await load('0.0.0.0/0 onevipa 192.0.2.1\n.INADDR_ANY 0-65535 onevipa 192.0.2.2');
  assert.is(bindResult(bind(e, 80)), 'bind 192.0.2.2');
  assert.is(sourceFor(e, '10.0.0.1'), '192.0.2.1');
});

wildcard.run();
