// connect(): net.connect with the source chosen by the rules, and bindSocket() for UDP.
//
// connect() returns its socket at once, as net.connect does, although the source is known
// only once the destination is resolved: the socket says it is connecting (so writes are
// buffered, as during net.connect's own lookup) and really connects when the engine has
// answered. Node's net.connect reads `localAddress` before its lookup, which is why the
// lookup cannot simply be handed to it.
import type { Socket as DgramSocket } from 'node:dgram';
import { isIP, Socket, type TcpNetConnectOpts } from 'node:net';
import type { Decision, Engine, Family } from './engine.js';
import { AddressError, ConnectTimeoutError } from './errors.js';
import {
  type Choice, chooseFor, engineGetter, firstAddress, leftAlone, type SourceOptions,
} from './source.js';

/** net.connect's TCP options and src-vipa's; `localAddress` given means "leave the socket alone". */
export type ConnectOptions = Omit<TcpNetConnectOpts, 'timeout' | 'lookup'> & SourceOptions;

/**
 * Like net.connect(options): a TCP connection to `host` (default localhost) and `port`,
 * bound to the source the rules give the first address `host` resolves to. A destination
 * without a rule, or options with `localAddress`, connect as net.connect would. The `lc`
 * count is given back when the socket closes. Emits 'lookup' like net.connect.
 */
export function connect(options: ConnectOptions, onConnect?: () => void): Socket {
  return connectWith(engineGetter(options, 'connect'), options, onConnect);
}

/** connect() with the Engine already settled (agent() opens its configuration once). */
export function connectWith(getEngine: () => Promise<Engine>, options: ConnectOptions,
                            onConnect?: () => void): Socket {
  const { engine: _engine, config: _config, timeout, lookup, ...netOptions } = options;
  const port = checkedPort(netOptions.port);
  const host = netOptions.host || 'localhost';
  const family = (netOptions.family === 4 || netOptions.family === 6 ? netOptions.family : 0) as 0 | Family;
  const socket = new Socket(netOptions);
  if (onConnect) socket.once('connect', onConnect);
  connectLater(socket, host, port, timeout, async () => {
    const { address } = await firstAddress(host, family, lookup);
    const choice = netOptions.localAddress ? leftAlone(address, netOptions.localAddress)
      : chooseFor(await getEngine(), address, port, 'tcp');
    socket.emit('lookup', null, choice.address, choice.family, host);
    return choice;
  }, (error) => socket.emit('lookup', error, undefined, undefined, host));
  return socket;
}

/** A port as net.connect takes it (a number or its decimal text), checked at once. */
export function checkedPort(port: unknown): number {
  const n = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new AddressError(`port ${String(port)} is not a port number (0-65535)`);
  }
  return n;
}

/**
 * Makes `socket` look like a socket in net.connect's lookup phase until `plan` has chosen
 * the address and source, then connects it. Destroyed meanwhile: nothing is connected and
 * the count is given back.
 */
export function connectLater(socket: Socket, host: string, port: number, timeout: number | undefined,
                             plan: () => Promise<Choice>, onPlanError?: (error: Error) => void): void {
  (socket as { connecting: boolean }).connecting = true;
  // Socket.connect() resets the writable side's "ended" state (it is meant for reused
  // sockets): an end() called before it is kept here and made afterwards.
  let ended: unknown[] | null = null;
  socket.end = function end(this: Socket, ...args: unknown[]) {
    ended = args;
    return this;
  } as Socket['end'];
  const timer = timeout ? setTimeout(() => {
    socket.destroy(new ConnectTimeoutError(`no connection to ${host} port ${port} within ${timeout} ms`));
  }, timeout) : null;
  if (timer) {
    socket.once('connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  }
  plan().then((choice) => {
    if (socket.destroyed) {
      choice.release();
      return;
    }
    socket.once('close', choice.release);
    delete (socket as Partial<Socket>).end;
    socket.connect({
      host: choice.address, port, family: choice.family,
      ...(choice.localAddress ? { localAddress: choice.localAddress } : {}),
    });
    if (ended) socket.end(...(ended as []));
  }, (error: Error) => {
    onPlanError?.(error);
    socket.destroy(error);
  });
}

/**
 * For UDP: binds `socket` (not yet bound) to the source the rules give datagrams to
 * `address` (a host name is resolved in the socket's family) and `port`, and resolves
 * with the engine's decision. Without a rule the socket is left unbound (Node binds it to
 * the wildcard on its first send). An `lc` count is given back when the socket closes.
 * On a udp6 socket an IPv4 destination is asked about as ::ffff:a.b.c.d, as it is sent.
 */
export async function bindSocket(socket: DgramSocket, address: string, port: number,
                                 options: SourceOptions = {}): Promise<Decision> {
  const getEngine = engineGetter(options, 'bindSocket');
  // dgram sockets carry their type ('udp4' or 'udp6') from dgram.createSocket
  const udp6 = (socket as DgramSocket & { type?: string }).type === 'udp6';
  const first = await firstAddress(address, isIP(address) ? 0 : udp6 ? 6 : 4, options.lookup);
  const destination = udp6 && isIP(first.address) === 4 ? `::ffff:${first.address}` : first.address;
  const choice = chooseFor(await getEngine(), destination, checkedPort(port), 'udp');
  if (!choice.localAddress) {
    choice.release();
    return choice.decision;
  }
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      choice.release();
      reject(error);
    };
    socket.once('error', fail);
    try {
      socket.bind({ address: choice.localAddress, port: 0 }, () => {
        socket.off('error', fail);
        socket.once('close', choice.release);
        resolve();
      });
    } catch (error) {
      socket.off('error', fail);
      fail(error as Error);
    }
  });
  return choice.decision;
}
