// dispatcher() (host/dispatcher.ts): Node's fetch and undici's own request/fetch through
// it, against local servers that answer with the source address they saw.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fetch as undiciFetch, getGlobalDispatcher, request, setGlobalDispatcher } from 'undici';
import { dispatcher } from '../host/dispatcher.js';
import { ConnectTimeoutError, OptionsError } from '../host/errors.js';
import { load } from './helpers/engine.js';
import { httpRecorder, httpsRecorder, stubLookup, TLS, until } from './helpers/servers.js';

const VIPAS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];

const d = suite('dispatcher()');

d('lrr: fetch(url, { dispatcher }) takes the three sources in turn (a connection each)', async () => {
  const server = await httpRecorder();
  const engine = await load(`127.0.0.1/32 lrr ${VIPAS.join(' ')}`, { seed: [9, 10] });
  const agent = dispatcher({ engine, pipelining: 0 });
  try {
    const seen = [];
    for (let i = 0; i < 6; i++) {
      // a connection per request: the server closes it
      const res = await fetch(`http://127.0.0.1:${server.port}/${i}`, { dispatcher: agent, headers: { connection: 'close' } } as RequestInit);
      seen.push(await res.text());
    }
    assert.equal(seen, server.sources);
    const start = VIPAS.indexOf(seen[0]);
    assert.ok(start >= 0, seen[0]);
    assert.equal(seen, seen.map((_, i) => VIPAS[(start + i) % 3]));
  } finally {
    await agent.close();
    await server.close();
  }
});

d('a kept connection keeps its source; lc counts come back when it closes', async () => {
  const server = await httpRecorder();
  const engine = await load(`127.0.0.1/32 lc ${VIPAS.join(' ')}`);
  const agent = dispatcher({ engine, connections: 1 });
  try {
    for (let i = 0; i < 3; i++) {
      const { body } = await request(`http://127.0.0.1:${server.port}/`, { dispatcher: agent });
      assert.is(await body.text(), '127.0.0.11');
    }
    assert.is(engine.rules()[0].connections, 1);
    await agent.close();
    await until(() => engine.rules()[0].connections === 0);
  } finally {
    await agent.destroy();
    await server.close();
  }
});

d('https: undici\'s fetch, the TLS name is the host\'s, not the address connected to', async () => {
  const server = await httpsRecorder();
  const engine = await load('127.0.0.1/32 onevipa 127.0.0.13');
  const lookup = stubLookup({ localhost: [{ address: '127.0.0.1', family: 4 }] });
  const agent = dispatcher({ engine, lookup, connect: { ca: TLS.cert } });
  try {
    const res = await undiciFetch(`https://localhost:${server.port}/`, { dispatcher: agent });
    assert.is(await res.text(), '127.0.0.13');
  } finally {
    await agent.close();
    await server.close();
  }
});

d('as the global dispatcher; no rule: the default source', async () => {
  const server = await httpRecorder();
  const engine = await load('10.0.0.0/8 onevipa 127.0.0.12\n127.0.0.1/32 onevipa 127.0.0.12');
  const agent = dispatcher({ engine });
  const before = getGlobalDispatcher();
  setGlobalDispatcher(agent);
  try {
    const ruled = await undiciFetch(`http://127.0.0.1:${server.port}/`);
    assert.is(await ruled.text(), '127.0.0.12');
    const other = await httpRecorder('127.0.0.3');
    try {
      const plain = await undiciFetch(`http://127.0.0.3:${other.port}/`);
      assert.is(await plain.text(), '127.0.0.1', 'no rule: Node\'s default source');
    } finally {
      await other.close();
    }
  } finally {
    setGlobalDispatcher(before);
    await agent.close();
    await server.close();
  }
});

d('timeout, and options that cannot work', async () => {
  const engine = await load('');
  const agent = dispatcher({ engine, timeout: 50, lookup: () => {} });
  try {
    const error = await request('http://hang.example/', { dispatcher: agent }).catch((e: Error) => e);
    assert.instance(error, ConnectTimeoutError);
    assert.is((error as ConnectTimeoutError).code, 'ERR_SV_TIMEOUT');
  } finally {
    await agent.close();
  }
  assert.throws(() => dispatcher({ engine, connect: (() => {}) as never }), (e: Error) => e instanceof OptionsError);
  assert.throws(() => dispatcher({ engine, config: 'x' }), (e: Error) => e instanceof OptionsError);
});

d.run();
