// IPv6 sources through connect(), agent(), dispatcher() and bindSocket(), and IPv4-mapped
// destinations of a dual-stack socket: test/helpers/ipv6-probe.ts runs in a private
// network namespace (unshare -rn) whose loopback has fd00::1 and fd00::11-13.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = ['fd00::11', 'fd00::12', 'fd00::13'];

const setup = [
  'ip link set lo up',
  ...['fd00::1', ...SOURCES].map((a) => `ip -6 addr add ${a}/128 dev lo nodad`),
  'exec node --import tsx test/helpers/ipv6-probe.ts',
].join(' && ');

const v6 = suite('IPv6 in a private network namespace');

v6('connect, agent, dispatcher and bindSocket take fd00::11-13 in turn; mapped answers mapped', () => {
  const r = spawnSync('unshare', ['-rn', 'bash', '-c', setup], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, `unshare -rn ...: ${r.error?.message ?? ''} ${r.stderr}`);
  const seen = JSON.parse(r.stdout) as Record<string, string[]>;
  for (const entry of ['connect', 'agent', 'dispatcher']) {
    const start = SOURCES.indexOf(seen[entry][0]);
    assert.ok(start >= 0, `${entry}: ${seen[entry][0]}`);
    assert.equal(seen[entry], [0, 1, 2].map((i) => SOURCES[(start + i) % 3]), `${entry}: lrr in turn`);
  }
  assert.equal([...seen.udp].sort(), SOURCES, 'bindSocket: one datagram from each source');
  assert.equal(seen.mapped, ['::ffff:127.0.0.12'], 'a dual-stack socket to ::ffff:127.0.0.1 leaves from ::ffff:127.0.0.12');
});

v6.run();
