// Node's dgram: one datagram to [::1]:PORT and one to 127.0.0.1:PORT from a 'udp6'
// socket bound by bind(0) (the wildcard [::]:0), or to 127.0.0.1 from a 'udp4' socket
// bound to 0.0.0.0:0. Prints "TARGET: sent" or "TARGET: error CODE"; payload "TAG TARGET".
// usage: node dualstack.cjs udp6|udp4 PORT TAG
'use strict';
const dgram = require('node:dgram');

const [mode, portText, tag] = process.argv.slice(2);
const port = Number(portText);
const targets = mode === 'udp6' ? ['::1', '127.0.0.1'] : ['127.0.0.1'];
const sock = dgram.createSocket(mode);
const timer = setTimeout(() => { console.log('timeout: no answer from dgram in 5 s'); process.exit(1); }, 5000);

sock.on('error', (e) => { console.log(`socket: error ${e.code}`); process.exit(1); });
sock.bind(0, () => {
  let left = targets.length;
  for (const t of targets) {
    // the IPv4 target on a udp6 socket is written as ::ffff:127.0.0.1, as Node requires
    const addr = mode === 'udp6' && !t.includes(':') ? `::ffff:${t}` : t;
    sock.send(`${tag} ${t}`, port, addr, (err) => {
      console.log(err ? `${t}: error ${err.code}` : `${t}: sent`);
      if (--left === 0) { clearTimeout(timer); sock.close(); }
    });
  }
});
