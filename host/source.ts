// What agent(), dispatcher(), connect() and bindSocket() share: which Engine answers, how
// a destination is resolved, and the source the engine gives for it.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import { type Decision, Engine, type Family, type RuleDecision } from './engine.js';
import { ConfigError, EngineError, OptionsError } from './errors.js';

/** Node's `lookup` option (dns.lookup's signature); called with `all: true`. */
export type LookupFunction = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[] | string, family?: number) => void,
) => void;

/** The options every Node entry point of src-vipa takes. */
export interface SourceOptions {
  /** The Engine that decides. Give this or `config`, not both. */
  engine?: Engine;
  /**
   * A configuration file, opened once (Engine.open). Default, without `engine` either: the
   * file the preload library reads ($SRC_VIPA_CONFIG_FILE, else /etc/src_vipa.conf), one
   * Engine for the whole process; a missing default file means no rules, as for the library.
   */
  config?: string;
  /**
   * Milliseconds to resolve the destination and connect (a ConnectTimeoutError,
   * ERR_SV_TIMEOUT, after that). Default: none for agent() and connect(), 10000 for
   * dispatcher() (as undici's connect timeout).
   */
  timeout?: number;
  /** Resolves destination host names instead of dns.lookup (Node's `lookup` option). */
  lookup?: LookupFunction;
}

/** Where one connection goes and from which source, with the engine's decision. */
export interface Choice {
  /** The address connected to (the first one the host name resolved to). */
  address: string;
  family: Family;
  /** The `localAddress` to bind, or undefined when no rule answers (Node's default source). */
  localAddress: string | undefined;
  decision: Decision;
  /** Gives an `lc` count back (once; nothing for other policies): call when the socket is gone. */
  release(): void;
}

let defaultEngine: Promise<Engine> | null = null;

// The process's one Engine for the default file: no file means no rules, as the preload
// library has it; any other problem with the file is an error of every connection.
function openDefault(): Promise<Engine> {
  defaultEngine ??= Engine.open().catch((error: unknown) => {
    if (error instanceof ConfigError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      return Engine.load('');
    }
    throw error;
  });
  return defaultEngine;
}

/** Checks the shared options and returns how to get the Engine (opened on first use). */
export function engineGetter(options: SourceOptions, entry: string): () => Promise<Engine> {
  checkSourceOptions(options, entry);
  const { engine, config } = options;
  if (engine) {
    const ready = Promise.resolve(engine);
    return () => ready;
  }
  if (config !== undefined) {
    let opened: Promise<Engine> | null = null;
    return () => (opened ??= Engine.open(config));
  }
  return openDefault;
}

export function checkSourceOptions(options: SourceOptions, entry: string): void {
  if (options === null || typeof options !== 'object') throw new OptionsError(`${entry}: options must be an object`);
  const { engine, config, timeout, lookup } = options;
  if (engine !== undefined && config !== undefined) {
    throw new OptionsError(`${entry}: give either engine or config, not both`);
  }
  if (engine !== undefined && !(engine instanceof Engine)) {
    throw new OptionsError(`${entry}: engine must be an Engine (from Engine.open or Engine.load)`);
  }
  if (config !== undefined && (typeof config !== 'string' || config === '')) {
    throw new OptionsError(`${entry}: config must be the path of a configuration file`);
  }
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0 && Number.isFinite(timeout))) {
    throw new OptionsError(`${entry}: timeout must be a number of milliseconds (0 or more)`);
  }
  if (lookup !== undefined && typeof lookup !== 'function') {
    throw new OptionsError(`${entry}: lookup must be a function like dns.lookup`);
  }
}

/** The addresses of `host`, in the order the lookup gives them (Node's own order). */
export function resolveAll(host: string, family: 0 | Family, lookup: LookupFunction | undefined): Promise<LookupAddress[]> {
  const literal = isIP(host);
  if (literal) return Promise.resolve([{ address: host, family: literal }]);
  return new Promise((resolve, reject) => {
    (lookup ?? (dnsLookup as unknown as LookupFunction))(host, { all: true, family }, (error, addresses, f) => {
      if (error) reject(error);
      // a lookup written for the single-address form answers (error, address, family)
      else resolve(typeof addresses === 'string' ? [{ address: addresses, family: f ?? isIP(addresses) }] : addresses);
    });
  });
}

/**
 * The address Node connects to when a localAddress is set: the first one `host` resolves
 * to (of `family`, when given). Fails like dns.lookup (ENOTFOUND) when there is none.
 */
export async function firstAddress(host: string, family: 0 | Family,
                                   lookup: LookupFunction | undefined): Promise<LookupAddress> {
  const addresses = await resolveAll(host, family, lookup);
  const first = addresses.find((a) => family === 0 || a.family === family);
  if (!first) {
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host, syscall: 'getaddrinfo' });
  }
  return first;
}

/** A connection that src-vipa leaves alone: no decision, `localAddress` as the caller gave it. */
export function leftAlone(address: string, localAddress?: string): Choice {
  return {
    address, family: (isIP(address) || 4) as Family, localAddress, decision: { code: 'pass', stable: false }, release: () => {},
  };
}

/** The engine's source for a connection to one address. */
export function chooseFor(engine: Engine, address: string, port: number, proto: 'tcp' | 'udp'): Choice {
  let decision: Decision;
  try {
    // the engine reads no zone ids (fe80::1%eth0): such a destination has no rule
    if (!engine.parseAddress(address)) return leftAlone(address);
    decision = engine.select({ kind: 'connect', address, port, proto });
  } catch (error) {
    // the engine trapped: as the preload library does, say so once and stay out of the way
    if (!(error instanceof EngineError)) throw error;
    if (!brokenEngines.has(engine)) {
      brokenEngines.add(engine);
      process.emitWarning(`${error.message}; connections now use Node's default source`, { type: 'SrcVipaWarning' });
    }
    return leftAlone(address);
  }
  return {
    address,
    family: (isIP(address) || 4) as Family,
    localAddress: decision.code === 'bind' ? decision.source : undefined,
    decision,
    release: releaser(engine, decision),
  };
}

const brokenEngines = new WeakSet<Engine>();

function releaser(engine: Engine, decision: Decision): () => void {
  if (decision.code === 'pass' || !decision.counted) return () => {};
  const { rule, index } = decision as RuleDecision;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    engine.release(rule, index);
  };
}
