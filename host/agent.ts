// agent() and httpsAgent(): Node's http.Agent and https.Agent whose new connections leave
// from the source the rules choose (made by connect()).
import { Agent as HttpAgent, type AgentOptions as HttpAgentOptions } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { createConnection, type NetConnectOpts, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectOptions, connectWith } from './connect.js';
import type { Engine } from './engine.js';
import { engineGetter, type SourceOptions } from './source.js';

/** http.Agent's options and src-vipa's (`timeout` is the connect timeout, see SourceOptions). */
export type AgentOptions = Omit<HttpAgentOptions, 'timeout' | 'lookup'> & SourceOptions;
/** https.Agent's options and src-vipa's. */
export type HttpsAgentSourceOptions = Omit<HttpsAgentOptions, 'timeout' | 'lookup'> & SourceOptions;

// What Node hands createConnection: the request's options merged with the agent's.
type ConnectionOptions = Omit<ConnectOptions, keyof SourceOptions> & { timeout?: number };

// The request's own `timeout` is the socket's idle timeout, which ClientRequest sets
// itself; the connect timeout is the agent's. A UNIX socket (socketPath) is no business
// of src-vipa's, as for the preload library.
function connection(getEngine: () => Promise<Engine>, source: SourceOptions, options: ConnectionOptions): Socket {
  if ((options as { socketPath?: string }).socketPath) return createConnection(options as NetConnectOpts);
  const { timeout: _idle, ...rest } = options;
  return connectWith(getEngine, { ...rest, timeout: source.timeout, lookup: source.lookup });
}

/**
 * An http.Agent whose every new connection is made by connect(): the host is resolved,
 * the engine chooses the source of the address connected to, and an `lc` count is given
 * back when the socket closes. With keepAlive, a kept socket keeps the source it was
 * given; only new connections ask the engine.
 */
export function agent(options: AgentOptions = {}): HttpAgent {
  const getEngine = engineGetter(options, 'agent');
  const { engine: _e, config: _c, timeout: _t, lookup: _l, ...httpOptions } = options;
  return new (class SrcVipaAgent extends HttpAgent {
    override createConnection(connectionOptions: ConnectionOptions): Duplex {
      return connection(getEngine, options, connectionOptions);
    }
  })(httpOptions);
}

/** The same for https: https.Agent runs TLS (and its session cache) over that connection. */
export function httpsAgent(options: HttpsAgentSourceOptions = {}): HttpsAgent {
  const getEngine = engineGetter(options, 'httpsAgent');
  const { engine: _e, config: _c, timeout: _t, lookup: _l, ...httpsOptions } = options;
  const tlsConnection = HttpsAgent.prototype.createConnection as unknown as
    (this: HttpsAgent, options: object, callback?: unknown) => Duplex;
  return new (class SrcVipaHttpsAgent extends HttpsAgent {
    override createConnection(connectionOptions: ConnectionOptions, callback?: unknown): Duplex {
      const socket = connection(getEngine, options, connectionOptions);
      return tlsConnection.call(this, { ...connectionOptions, socket }, callback);
    }
  })(httpsOptions);
}
