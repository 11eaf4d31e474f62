// agent() and httpsAgent() (host/agent.ts): http.get and https.get through them against
// local servers that answer with the source address they saw.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get as httpsGet, type Agent as HttpsAgent } from 'node:https';
import type { Agent as HttpAgent } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { agent, httpsAgent } from '../host/agent.js';
import { OptionsError } from '../host/errors.js';
import { load } from './helpers/engine.js';
import { httpRecorder, httpsRecorder, stubLookup, TLS, until } from './helpers/servers.js';

const VIPAS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];

/** GET url through the agent; resolves with the body (the source the server saw). */
function fetchText(url: string, through: HttpAgent | HttpsAgent): Promise<string> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    get(url, { agent: through }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

function rotation(sources: string[]): string[] {
  const start = VIPAS.indexOf(sources[0]);
  return sources.map((_, i) => VIPAS[(start + i) % VIPAS.length]);
}

// ---------------------------------------------------------------------------------------
const http = suite('agent()');

http('lrr: each new connection leaves from the next of three sources', async () => {
  const server = await httpRecorder();
  const engine = await load(`127.0.0.1/32 lrr ${VIPAS.join(' ')}`, { seed: [5, 6] });
  const through = agent({ engine });
  try {
    const seen = [];
    for (let i = 0; i < 6; i++) seen.push(await fetchText(`http://127.0.0.1:${server.port}/${i}`, through));
    assert.equal(seen, server.sources);
    assert.ok(VIPAS.includes(seen[0]), seen[0]);
    assert.equal(seen, rotation(seen));
  } finally {
    through.destroy();
    await server.close();
  }
});

http('keepAlive: a kept socket keeps its source; the engine is asked per connection only', async () => {
  const server = await httpRecorder();
  const engine = await load(`127.0.0.1/32 lc ${VIPAS.join(' ')}`);
  const through = agent({ engine, keepAlive: true, maxSockets: 1 });
  try {
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await fetchText(`http://127.0.0.1:${server.port}/`, through));
    assert.equal(seen, Array(4).fill('127.0.0.11'), 'one connection, one source');
    assert.is(engine.rules()[0].connections, 1, 'one count, held by the kept socket');
    through.destroy();
    await until(() => engine.rules()[0].connections === 0);
  } finally {
    through.destroy();
    await server.close();
  }
});

http('lc: counts are given back when the connections close', async () => {
  const server = await httpRecorder();
  const engine = await load('127.0.0.1/32 lc 127.0.0.11 127.0.0.12');
  const through = agent({ engine }); // no keep-alive: each connection closes after its response
  try {
    for (let i = 0; i < 4; i++) {
      await fetchText(`http://127.0.0.1:${server.port}/`, through);
      await until(() => engine.rules()[0].connections === 0);
    }
    assert.equal(server.sources, ['127.0.0.11', '127.0.0.12', '127.0.0.11', '127.0.0.12'],
      'with no socket open, lc takes the sources in turn');
  } finally {
    through.destroy();
    await server.close();
  }
});

http('no rule, and a host name through the lookup option', async () => {
  const server = await httpRecorder();
  const engine = await load('10.0.0.0/8 onevipa 127.0.0.12\n127.0.0.2/32 onevipa 127.0.0.13');
  const lookup = stubLookup({ 'app.example': [{ address: '127.0.0.2', family: 4 }] });
  const through = agent({ engine, lookup });
  try {
    assert.is(await fetchText(`http://127.0.0.1:${server.port}/`, through), '127.0.0.1', 'no rule: Node\'s default');
    const second = await httpRecorder('127.0.0.2');
    try {
      assert.is(await fetchText(`http://app.example:${second.port}/`, through), '127.0.0.13');
    } finally {
      await second.close();
    }
  } finally {
    through.destroy();
    await server.close();
  }
});

http('a UNIX socket (socketPath) is left alone', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'src-vipa-agent-')), 'http.sock');
  const server = createServer((_req, res) => res.end('over a UNIX socket'));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const engine = await load('127.0.0.0/8 onevipa 127.0.0.12');
  const through = agent({ engine });
  try {
    const body = await new Promise<string>((resolve, reject) => {
      httpGet({ socketPath: path, path: '/', agent: through }, (res) => {
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    assert.is(body, 'over a UNIX socket');
  } finally {
    through.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(join(path, '..'), { recursive: true, force: true });
  }
});

http('engine and config together are refused', () => {
  assert.throws(() => agent({ config: '/etc/src_vipa.conf', engine: {} as never }), (e: Error) => e instanceof OptionsError);
});

http.run();

// ---------------------------------------------------------------------------------------
const https = suite('httpsAgent()');

https('lrr over three sources; TLS to the host name, session cache and all', async () => {
  const server = await httpsRecorder();
  const engine = await load(`127.0.0.1/32 lrr ${VIPAS.join(' ')}`, { seed: [7, 8] });
  const lookup = stubLookup({ localhost: [{ address: '127.0.0.1', family: 4 }] });
  const through = httpsAgent({ engine, lookup, ca: TLS.cert });
  try {
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(await fetchText(`https://localhost:${server.port}/`, through));
    assert.equal(seen, server.sources);
    assert.equal([...seen].sort(), VIPAS);
    assert.equal(seen, rotation(seen));
  } finally {
    through.destroy();
    await server.close();
  }
});

https('a certificate that does not match is still refused', async () => {
  const server = await httpsRecorder();
  const engine = await load('127.0.0.1/32 onevipa 127.0.0.12');
  const lookup = stubLookup({ 'other.example': [{ address: '127.0.0.1', family: 4 }] });
  const through = httpsAgent({ engine, lookup, ca: TLS.cert });
  try {
    const error = await fetchText(`https://other.example:${server.port}/`, through).catch((e: NodeJS.ErrnoException) => e);
    assert.instance(error, Error);
    assert.is((error as NodeJS.ErrnoException).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  } finally {
    through.destroy();
    await server.close();
  }
});

https.run();
