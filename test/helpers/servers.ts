// Local servers that record the source address of every connection or datagram, for the
// tests of connect(), agent(), dispatcher() and bindSocket(). They listen on loopback (or
// on an address of a private network namespace) and on a port the system picks.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';

/** The self-signed certificate of the https servers (CN localhost, 127.0.0.1, ::1). */
export const TLS = {
  cert: readFileSync(new URL('../fixtures/localhost.crt', import.meta.url)),
  key: readFileSync(new URL('../fixtures/localhost.key', import.meta.url)),
};

export interface Recorder {
  port: number;
  /** The source address of each connection (or datagram), in the order they came. */
  sources: string[];
  close(): Promise<void>;
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as { port: number }).port));
  });
}

// Closes the server and every connection it still has (keep-alive ones included).
function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
}

/** TCP: records each connection's source, sends it back as one line, then waits for the end. */
export async function tcpRecorder(host = '127.0.0.1'): Promise<Recorder & { received: string[] }> {
  const sources: string[] = [];
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    sources.push(socket.remoteAddress!);
    socket.write(`${socket.remoteAddress}\n`);
    let data = '';
    socket.on('data', (chunk) => { data += chunk; });
    socket.on('end', () => {
      received.push(data);
      socket.end();
    });
    socket.on('error', () => {});
  });
  const port = await listen(server, host);
  return { port, sources, received, close: closer(server, sockets) };
}

function answerWithSource(sources: string[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    sources.push(req.socket.remoteAddress!);
    res.setHeader('content-type', 'text/plain');
    res.end(req.socket.remoteAddress);
  };
}

/** HTTP: answers every request with the source address of its connection. */
export async function httpRecorder(host = '127.0.0.1'): Promise<Recorder> {
  const sources: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer(answerWithSource(sources));
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const port = await listen(server, host);
  return { port, sources, close: closer(server, sockets) };
}

/** HTTPS, with the certificate of TLS. */
export async function httpsRecorder(host = '127.0.0.1'): Promise<Recorder> {
  const sources: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpsServer(TLS, answerWithSource(sources));
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const port = await listen(server, host);
  return { port, sources, close: closer(server, sockets) };
}

/** UDP: records the source of each datagram. */
export async function udpRecorder(host = '127.0.0.1'): Promise<Recorder> {
  const sources: string[] = [];
  const server = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  server.on('message', (_message, rinfo) => sources.push(rinfo.address));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.bind(0, host, () => resolve());
  });
  return {
    port: server.address().port,
    sources,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Runs `body` with a server that `start` makes, and closes the server afterwards. */
export async function withServer<S extends Recorder>(start: () => Promise<S>, body: (server: S) => Promise<void>): Promise<void> {
  const server = await start();
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** Resolves when `check()` is true, checking every 5 ms for at most `ms` milliseconds. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    if (waited >= ms) throw new Error(`not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A lookup (dns.lookup's signature) answering from a table; every other name: ENOTFOUND. */
export function stubLookup(table: Record<string, { address: string; family: number }[]>) {
  return (hostname: string, _options: unknown,
          callback: (error: NodeJS.ErrnoException | null, addresses: { address: string; family: number }[]) => void) => {
    const answer = table[hostname];
    setImmediate(() => (answer
      ? callback(null, answer)
      : callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), [])));
  };
}
