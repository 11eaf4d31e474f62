// connect() and bindSocket() (host/connect.ts) against local servers that record the
// source of every connection: 127.0.0.0/8 is all on loopback, so 127.0.0.11-13 can be
// bound without any setup. IPv6 sources need a namespace: test/ipv6.test.ts.
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bindSocket, connect, type ConnectOptions } from '../host/connect.js';
import type { Engine } from '../host/engine.js';
import { AddressError, ConfigError, ConnectTimeoutError, OptionsError } from '../host/errors.js';
import { load } from './helpers/engine.js';
import { stubLookup, tcpRecorder, udpRecorder, until, withServer } from './helpers/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'src-vipa-connect-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const VIPAS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];

/** Connects, writes `text`, ends, and resolves with the first line the server sent back. */
function roundTrip(options: ConnectOptions, text = ''): Promise<{ line: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(options);
    let data = '';
    socket.on('data', (chunk) => { data += chunk; });
    socket.on('end', () => resolve({ line: data.split('\n')[0], socket }));
    socket.on('error', reject);
    if (text) socket.write(text);
    socket.end();
  });
}

/** Destroys the socket and resolves after its 'close' event. */
function destroyed(socket: Socket): Promise<void> {
  const closing = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.destroy();
  return closing;
}

// ---------------------------------------------------------------------------------------
const tcp = suite('connect()');

tcp('lrr: three connections leave from the three sources in turn', () => withServer(tcpRecorder, async (server) => {
  const engine = await load(`127.0.0.1/32 lrr ${VIPAS.join(' ')}`, { seed: [1, 2] });
  for (let i = 0; i < 6; i++) await roundTrip({ engine, host: '127.0.0.1', port: server.port });
  const start = VIPAS.indexOf(server.sources[0]);
  assert.ok(start >= 0, server.sources[0]);
  assert.equal(server.sources, [0, 1, 2, 3, 4, 5].map((i) => VIPAS[(start + i) % 3]));
}));

tcp('what is written and ended before the connection is made arrives, in order', () => withServer(tcpRecorder, async (server) => {
  const engine = await load('127.0.0.1/32 onevipa 127.0.0.12');
  const { line } = await roundTrip({ engine, host: '127.0.0.1', port: server.port }, 'first, then second');
  assert.is(line, '127.0.0.12');
  await until(() => server.received.length === 1);
  assert.equal(server.received, ['first, then second']);
}));

tcp('no rule for the destination: Node\'s default source', () => withServer(tcpRecorder, async (server) => {
  const engine = await load('10.0.0.0/8 onevipa 127.0.0.12');
  assert.is((await roundTrip({ engine, host: '127.0.0.1', port: server.port })).line, '127.0.0.1');
}));

tcp('a caller\'s own localAddress is kept (the engine is not asked)', () => withServer(tcpRecorder, async (server) => {
  const engine = await load('127.0.0.1/32 lc 127.0.0.12');
  const { line } = await roundTrip({ engine, host: '127.0.0.1', port: server.port, localAddress: '127.0.0.13' });
  assert.is(line, '127.0.0.13');
  assert.is(engine.rules()[0].connections, 0);
}));

tcp('lc: a count per open socket, given back when the socket closes', () => withServer(tcpRecorder, async (server) => {
  const engine = await load('127.0.0.1/32 lc 127.0.0.11 127.0.0.12');
  const open = (): Promise<Socket> => new Promise((resolve, reject) => {
    const s = connect({ engine, host: '127.0.0.1', port: server.port }, () => resolve(s));
    s.on('error', reject);
    s.on('data', () => {});
  });
  const a = await open();
  const b = await open();
  assert.equal([a.localAddress, b.localAddress], ['127.0.0.11', '127.0.0.12']);
  assert.is(engine.rules()[0].connections, 2);
  await destroyed(a);
  assert.is(engine.rules()[0].connections, 1, 'the closed socket\'s count is given back');
  const c = await open();
  assert.is(c.localAddress, '127.0.0.11', 'the source with fewer open sockets');
  await Promise.all([destroyed(b), destroyed(c)]);
  assert.is(engine.rules()[0].connections, 0);
}));

tcp('a socket destroyed before it connects gives its count back and connects nowhere', () => withServer(tcpRecorder, async (server) => {
  const engine = await load('127.0.0.1/32 lc 127.0.0.11');
  let answer!: () => void;
  const lookup = (_h: string, _o: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) => {
    answer = () => cb(null, [{ address: '127.0.0.1', family: 4 }]);
  };
  const socket = connect({ engine, host: 'slow.example', port: server.port, lookup });
  socket.on('error', () => {});
  await until(() => answer !== undefined);
  socket.destroy();
  answer();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.is(engine.rules()[0].connections, 0);
  assert.equal(server.sources, []);
}));

tcp('a host name is resolved by the lookup option; \'lookup\' is emitted as net.connect does', () => withServer(tcpRecorder, async (server) => {
  const engine = await load('127.0.0.0/8 onevipa 127.0.0.13');
  const lookup = stubLookup({ 'db.example': [{ address: '127.0.0.1', family: 4 }, { address: '127.0.0.2', family: 4 }] });
  const events: unknown[][] = [];
  const socket = connect({ engine, host: 'db.example', port: server.port, lookup });
  socket.on('lookup', (...args) => events.push(args));
  const line = await new Promise<string>((resolve, reject) => {
    socket.on('data', (d) => resolve(String(d).trim()));
    socket.on('error', reject);
  });
  socket.destroy();
  assert.is(line, '127.0.0.13');
  assert.equal(events, [[null, '127.0.0.1', 4, 'db.example']], 'the first address is the one connected to');
  const failed = await new Promise<NodeJS.ErrnoException>((resolve) => {
    connect({ engine, host: 'gone.example', port: server.port, lookup }).on('error', resolve);
  });
  assert.is(failed.code, 'ENOTFOUND');
}));

tcp('timeout: a connection not made in time fails with ERR_SV_TIMEOUT', async () => {
  const engine = await load('');
  const never = () => {}; // a lookup that never answers
  const error = await new Promise<Error>((resolve) => {
    connect({ engine, host: 'hang.example', port: 80, lookup: never, timeout: 50 }).on('error', resolve);
  });
  assert.instance(error, ConnectTimeoutError);
  assert.is((error as ConnectTimeoutError).code, 'ERR_SV_TIMEOUT');
  assert.match(error.message, /no connection to hang\.example port 80 within 50 ms/);
});

tcp('config: the file is opened once; a missing one fails every connection with ERR_SV_CONFIG', () => withServer(tcpRecorder, async (server) => {
  const file = join(dir, 'connect.conf');
  writeFileSync(file, '127.0.0.1/32 onevipa 127.0.0.12\n');
  assert.is((await roundTrip({ config: file, host: '127.0.0.1', port: server.port })).line, '127.0.0.12');
  const error = await new Promise<Error>((resolve) => {
    connect({ config: join(dir, 'missing.conf'), host: '127.0.0.1', port: server.port }).on('error', resolve);
  });
  assert.instance(error, ConfigError);
  assert.is((error as ConfigError).code, 'ERR_SV_CONFIG');
  assert.match(error.message, /cannot read .*missing\.conf: no such file/);
}));

tcp('options that cannot work are refused at once', async () => {
  const engine = await load('');
  const refused: [() => unknown, new (...a: never[]) => Error, RegExp][] = [
    [() => connect({ engine, config: '/etc/src_vipa.conf', port: 1 }), OptionsError, /either engine or config/],
    [() => connect({ engine: {} as Engine, port: 1 }), OptionsError, /engine must be an Engine/],
    [() => connect({ engine, port: 1, timeout: -1 }), OptionsError, /timeout/],
    [() => connect({ engine, port: 70000 }), AddressError, /port 70000 is not a port number/],
  ];
  for (const [call, type, message] of refused) {
    assert.throws(call, (e: Error) => e instanceof type && message.test(e.message), String(message));
  }
});

tcp.run();

// ---------------------------------------------------------------------------------------
const udp = suite('bindSocket()');

function send(socket: DgramSocket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => socket.send('x', port, host, (e) => (e ? reject(e) : resolve())));
}

udp('lrr: datagrams of three sockets leave from the three sources in turn', () => withServer(udpRecorder, async (server) => {
  const engine = await load(`127.0.0.1/32 lrr ${VIPAS.join(' ')}`, { seed: [3, 4] });
  const decisions = [];
  for (let i = 0; i < 3; i++) {
    const socket = createSocket('udp4');
    const decision = await bindSocket(socket, '127.0.0.1', server.port, { engine });
    decisions.push(decision);
    await send(socket, server.port, '127.0.0.1');
    socket.close();
  }
  await until(() => server.sources.length === 3);
  assert.equal([...server.sources].sort(), VIPAS);
  assert.equal(decisions.map((d) => d.code === 'bind' && d.source), server.sources);
}));

udp('a udp6 socket sending to IPv4 is bound to the mapped source', () => withServer(udpRecorder, async (server) => {
  const engine = await load('127.0.0.1/32 onevipa 127.0.0.12');
  const socket = createSocket('udp6');
  const decision = await bindSocket(socket, '127.0.0.1', server.port, { engine });
  assert.equal(decision.code === 'bind' && [decision.source, decision.mapped], ['::ffff:127.0.0.12', true]);
  await send(socket, server.port, '::ffff:127.0.0.1');
  socket.close();
  await until(() => server.sources.length === 1);
  assert.equal(server.sources, ['127.0.0.12']);
}));

udp('no rule: the socket stays unbound; lc counts are given back on close', async () => {
  const engine = await load('127.0.0.1/32 lc 127.0.0.11');
  const plain = createSocket('udp4');
  assert.is((await bindSocket(plain, '127.0.0.2', 9, { engine })).code, 'pass');
  assert.throws(() => plain.address(), /EBADF/, 'not bound');
  plain.close();
  const counted = createSocket('udp4');
  await bindSocket(counted, '127.0.0.1', 9, { engine });
  assert.is(counted.address().address, '127.0.0.11');
  assert.is(engine.rules()[0].connections, 1);
  await new Promise<void>((resolve) => counted.close(() => resolve()));
  assert.is(engine.rules()[0].connections, 0);
});

udp.run();
