// Run by test/ipv6.test.ts inside a private network namespace whose loopback has fd00::1
// and the sources fd00::11-13: connect(), agent(), dispatcher() and bindSocket() over IPv6,
// and a dual-stack socket to an IPv4-mapped destination. Prints one JSON object of what
// the servers saw; every server and agent is closed before it exits.
import { createSocket } from 'node:dgram';
import { get } from 'node:http';
import type { Agent as HttpAgent } from 'node:http';
import { request } from 'undici';
import { agent } from '../../host/agent.js';
import { bindSocket, connect } from '../../host/connect.js';
import { dispatcher } from '../../host/dispatcher.js';
import { load } from './engine.js';
import { httpRecorder, tcpRecorder, udpRecorder, until } from './servers.js';

const CONFIG = 'fd00::1/128 lrr fd00::11 fd00::12 fd00::13\n127.0.0.1/32 onevipa 127.0.0.12\n';

function tcpLine(options: Parameters<typeof connect>[0]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(options);
    socket.on('data', (d) => { resolve(String(d).trim()); socket.destroy(); });
    socket.on('error', reject);
  });
}

function httpText(url: string, through: HttpAgent): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent: through }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

const engine = await load(CONFIG, { seed: [11, 12] });
const result: Record<string, string[]> = {};

const tcp = await tcpRecorder('fd00::1');
result.connect = [];
for (let i = 0; i < 3; i++) result.connect.push(await tcpLine({ engine, host: 'fd00::1', port: tcp.port }));
await tcp.close();

// a server on :: takes IPv4 too; ::ffff:127.0.0.1 is asked about as 127.0.0.1 and answered mapped
const dual = await tcpRecorder('::');
result.mapped = [await tcpLine({ engine, host: '::ffff:127.0.0.1', port: dual.port })];
await dual.close();

const http = await httpRecorder('fd00::1');
const through = agent({ engine });
result.agent = [];
for (let i = 0; i < 3; i++) result.agent.push(await httpText(`http://[fd00::1]:${http.port}/`, through));
through.destroy();
const undici = dispatcher({ engine });
result.dispatcher = [];
for (let i = 0; i < 3; i++) {
  const { body } = await request(`http://[fd00::1]:${http.port}/`, { dispatcher: undici, reset: true });
  result.dispatcher.push(await body.text());
}
await undici.close();
await http.close();

const udp = await udpRecorder('fd00::1');
for (let i = 0; i < 3; i++) {
  const socket = createSocket('udp6');
  await bindSocket(socket, 'fd00::1', udp.port, { engine });
  await new Promise<void>((resolve, reject) => socket.send('x', udp.port, 'fd00::1', (e) => (e ? reject(e) : resolve())));
  socket.close();
}
await until(() => udp.sources.length === 3);
result.udp = udp.sources;
await udp.close();

process.stdout.write(`${JSON.stringify(result)}\n`);
