// Node client for the end-to-end tests: N sequential net.connect() to HOST PORT,
// printing the local address of each connection once the server has answered.
// usage: node client.cjs HOST PORT [N]
'use strict';
const net = require('node:net');

const [host, port, n = '1'] = process.argv.slice(2);

function once() {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port: Number(port) });
    sock.setTimeout(5000, () => sock.destroy(new Error('timeout')));
    sock.once('error', reject);
    sock.once('data', () => {
      const local = sock.localAddress;
      sock.end();
      resolve(local);
    });
  });
}

(async () => {
  for (let i = 0; i < Number(n); i++) console.log(await once());
})().catch((e) => {
  console.error(`client.cjs: ${e.message}`);
  process.exit(1);
});
