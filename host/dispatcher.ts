// dispatcher(): an undici Agent (for fetch(url, { dispatcher }) and setGlobalDispatcher)
// whose connections leave from the source the rules choose.
import { Agent, buildConnector } from 'undici';
import type { Engine } from './engine.js';
import { ConnectTimeoutError, OptionsError } from './errors.js';
import { type Choice, chooseFor, engineGetter, firstAddress, leftAlone, type SourceOptions } from './source.js';

/** undici's Agent options, with `connect` as options only (src-vipa is the connector). */
export type DispatcherOptions = Omit<Agent.Options, 'connect'> & SourceOptions & {
  /** undici's connect options (TLS, keepAlive, socketPath, ...); its `timeout` is SourceOptions' `timeout`. */
  connect?: buildConnector.BuildOptions;
};

const DEFAULT_TIMEOUT = 10_000; // undici's own connect timeout

/**
 * An undici Agent that resolves each new connection's host, asks the engine for the
 * source of the address it connects to and connects from there (undici's own connector
 * does the TCP and TLS part). An `lc` count is given back when the socket closes; a kept
 * connection keeps its source.
 */
export function dispatcher(options: DispatcherOptions = {}): Agent {
  const getEngine = engineGetter(options, 'dispatcher');
  const { engine: _e, config: _c, timeout: given, lookup, connect = {}, ...agentOptions } = options;
  if (typeof connect !== 'object' || connect === null) {
    throw new OptionsError('dispatcher: connect must be an object of connect options; src-vipa makes the connections');
  }
  const timeout = given ?? connect.timeout ?? DEFAULT_TIMEOUT;
  const socketPath = (connect as { socketPath?: string | null }).socketPath;
  const undiciConnect = buildConnector({ ...connect, timeout: 0 } as buildConnector.BuildOptions);
  const connector: buildConnector.connector = (target, callback) => {
    if (socketPath) {
      undiciConnect(target, callback);
      return;
    }
    connectFrom(getEngine, target, timeout, lookup, undiciConnect, callback);
  };
  return new Agent({ ...agentOptions, connect: connector });
}

function connectFrom(getEngine: () => Promise<Engine>, target: buildConnector.Options, timeout: number,
                     lookup: SourceOptions['lookup'], undiciConnect: buildConnector.connector,
                     callback: buildConnector.Callback): void {
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
  let done = false;
  let socket: { destroy(): void } | null = null;
  let choice: Choice | null = null;
  const finish = (...args: Parameters<buildConnector.Callback>) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    callback(...args);
  };
  const timer = timeout ? setTimeout(() => {
    socket?.destroy();
    choice?.release();
    finish(new ConnectTimeoutError(`no connection to ${target.hostname} port ${port} within ${timeout} ms`), null);
  }, timeout) : undefined;

  (async () => {
    const { address } = await firstAddress(target.hostname, 0, lookup);
    // undici passes its client's localAddress option: then the socket is the caller's to bind
    return target.localAddress ? leftAlone(address, target.localAddress) : chooseFor(await getEngine(), address, port, 'tcp');
  })().then((chosen) => {
    if (done) {
      chosen.release();
      return;
    }
    choice = chosen;
    socket = undiciConnect({
      ...target,
      hostname: chosen.address,
      port: String(port),
      localAddress: chosen.localAddress ?? null,
      // the TLS server name is the host's name, not the address connected to
      servername: target.servername || (chosen.address === target.hostname ? undefined : target.hostname),
    }, (error, connected) => {
      if (error) {
        chosen.release();
        finish(error, null);
        return;
      }
      connected!.once('close', chosen.release);
      if (done) connected!.destroy();
      else finish(null, connected!);
    }) as unknown as { destroy(): void };
  }, (error: Error) => finish(error, null));
}
