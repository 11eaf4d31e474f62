// Uses every export of the installed src-vipa package; app.mjs (import) and app.cjs
// (require) hand it the module. A local HTTP server records the source of each connection:
// an http.get through agent(), a fetch through dispatcher() and a raw request through
// connect() must each leave from one of 127.0.0.11-13 (lrr: all three, in turn).
'use strict';
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const http = require('node:http');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const VIPAS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];

module.exports = async function useAll(sv, expectedExports) {
  assert.deepEqual(Object.keys(sv).filter((k) => k !== 'default').sort(), [...expectedExports].sort(),
    'the exports are the documented ones');
  const conf = join(__dirname, 'app.conf');
  writeFileSync(conf, `127.0.0.1/32 lrr ${VIPAS.join(' ')}\n127.0.0.2/32 rr:600 127.0.0.11\n`);

  // the engine and its helpers
  const logs = [];
  const engine = await sv.Engine.open(conf, { onLog: (level, message) => logs.push([level, message]) });
  assert.equal(engine.file, conf);
  assert.equal(engine.rrScope, 'process');
  assert.match(logs.map((l) => l[1]).join('\n'), /count round robin in this process only/);
  assert.equal((await sv.Engine.load('', { resolver: sv.tableResolver({}) })).rules().length, 0);
  assert.equal(sv.defaultConfigFile({}), sv.DEFAULT_CONFIG_FILE);
  assert.deepEqual(await sv.tableResolver({ 'a.example': ['192.0.2.1'] })('a.example'), ['192.0.2.1']);
  assert.equal(sv.resolveError('x.example', 'ENOTFOUND').code, 'ENOTFOUND');
  assert.equal(typeof sv.systemResolver, 'function');
  const counters = sv.processCounters();
  assert.deepEqual([counters.scope, counters.next(1, 0o600), counters.next(1, 0o600)], ['process', 0, 1]);
  sv.setDefaultRrProvider(() => ({ scope: 'host', next: () => 0 }));
  assert.equal((await sv.Engine.load('', { onLog() {} })).rrScope, 'host');
  sv.setDefaultRrProvider(null);

  // the errors
  for (const [Class, code] of [[sv.ConfigError, 'ERR_SV_CONFIG'], [sv.AddressError, 'ERR_SV_ADDRESS'],
    [sv.AbiError, 'ERR_SV_ABI'], [sv.EngineError, 'ERR_SV_ENGINE'], [sv.OptionsError, 'ERR_SV_OPTIONS'],
    [sv.ConnectTimeoutError, 'ERR_SV_TIMEOUT'], [sv.UsageError, 'ERR_SV_USAGE'], [sv.CaseError, 'ERR_SV_CASE']]) {
    const error = new Class('m');
    assert.ok(error instanceof sv.SrcVipaError && error.code === code, code);
  }
  await assert.rejects(sv.Engine.open(join(__dirname, 'missing.conf')), { code: 'ERR_SV_CONFIG' });

  // the commands as functions
  const out = [];
  const ctx = { io: { out: (l) => out.push(l), err: () => {} }, env: {} };
  assert.equal(await sv.check({ file: conf, json: true }, ctx), 0);
  assert.equal(JSON.parse(out.pop()).rules, 2);
  assert.deepEqual(sv.checkReport(engine.diagnostics()), { errors: [], warnings: [], notes: [] });
  assert.equal(await sv.explain({ config: conf, dest: '127.0.0.1', json: true }, ctx), 0);
  assert.equal(JSON.parse(out.pop()).line, 1);
  assert.equal(await sv.simulate({ config: conf, dest: '127.0.0.1', count: 30 }, ctx), 0);
  const target = await sv.resolveTarget({ dest: '127.0.0.1' }, engine, ctx);
  assert.equal(sv.explainTarget(engine, target).line, 1);
  assert.deepEqual(sv.simulateTarget(engine, target, 3).rows.map((r) => r.count), [1, 1, 1]);

  // policy tests
  const policyCase = sv.parseCase(JSON.stringify({
    name: 'lrr', steps: [{ connect: '127.0.0.1', cycle: VIPAS, count: 6 }],
  }), 'inline.json');
  const result = await sv.runCase(policyCase, { config: { bytes: Buffer.from(`127.0.0.1/32 lrr ${VIPAS.join(' ')}\n`), name: 'inline' } });
  assert.equal(result.ok, true);
  const caseFile = join(__dirname, 'case.json');
  writeFileSync(caseFile, JSON.stringify({ name: 'onevipa', steps: [{ connect: '127.0.0.2', expect: { source: '127.0.0.11' } }] }));
  assert.equal(await sv.test({ cases: [caseFile], config: conf }, ctx), 0);
  assert.equal(out.pop(), '1 case, 1 check: all hold');

  // connections
  const sources = [];
  const server = http.createServer((req, res) => {
    sources.push(req.socket.remoteAddress);
    res.setHeader('connection', 'close');
    res.end(req.socket.remoteAddress);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  try {
    const viaAgent = await new Promise((resolve, reject) => {
      http.get(`http://127.0.0.1:${port}/`, { agent: sv.agent({ engine }) }, (res) => {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    const d = sv.dispatcher({ engine });
    const viaDispatcher = await (await fetch(`http://127.0.0.1:${port}/`, { dispatcher: d })).text();
    await d.close();
    const viaConnect = await new Promise((resolve, reject) => {
      const socket = sv.connect({ engine, host: '127.0.0.1', port });
      let data = '';
      socket.on('data', (c) => { data += c; });
      socket.on('end', () => resolve(data.split('\r\n\r\n')[1]));
      socket.on('error', reject);
      socket.end('GET / HTTP/1.0\r\n\r\n');
    });
    assert.deepEqual([viaAgent, viaDispatcher, viaConnect], sources);
    assert.deepEqual([...sources].sort(), VIPAS, 'lrr: each of the three sources once');
    assert.ok(sv.httpsAgent({ engine }) instanceof require('node:https').Agent);
    const udp = dgram.createSocket('udp4');
    const decision = await sv.bindSocket(udp, '127.0.0.2', 9, { engine });
    assert.equal(decision.code === 'bind' && udp.address().address, '127.0.0.11');
    udp.close();
  } finally {
    server.close();
  }
  return sources;
};
